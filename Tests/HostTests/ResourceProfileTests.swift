import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("compute profiles: built-ins, overrides and custom profiles")
struct ResourceProfileTests {
  @Test("the six built-ins keep upstream's machines and zones")
  func builtIns() throws {
    let profiles = try loadConfig("project_name: demo\n").profiles
    #expect(profiles.names == ["a100-on-demand", "a100-spot", "cpu-large", "cpu-small", "h100-on-demand", "h100-spot"])
    let small = try profiles.resolve("cpu-small")
    #expect(small.machineType == "n2-standard-4" && small.gpu == .none)
    #expect(small.preemptibleAllowed && small.onDemandAllowed)
    #expect(small.zones == ["us-central1-a", "us-central1-b", "us-central1-f"])
    #expect(
      small.bootDisk.type == "pd-balanced" && small.bootDisk.sizeGB == 200
        && small.bootDisk.imageFamily == "common-cu129-ubuntu-2204-nvidia-580"
        && small.bootDisk.imageProject == "deeplearning-platform-release")
    #expect(small.dataDisk?.sizeGB == 100)
    #expect(small.localCPUs == 4 && small.localMemoryMB == 16 * 1024)
    let big = try profiles.resolve("h100-on-demand")
    #expect(big.machineType == "a3-highgpu-8g" && big.gpu.count == 8 && big.gpu.accelerator == "nvidia-h100-80gb")
    #expect(!big.preemptibleAllowed && big.onDemandAllowed && big.launchTimeoutSeconds == 1200)
    #expect(try profiles.resolve("h100-spot").zones.count == 11)
    // Every built-in boots an image with Docker and the NVIDIA driver that Google still publishes.
    for name in profiles.names {
      #expect(try profiles.resolve(name).bootDisk.imageProject == "deeplearning-platform-release")
    }
    // Unlike upstream, "on-demand" means on-demand only.
    #expect(try !profiles.resolve("a100-on-demand").preemptibleAllowed)
  }

  @Test("an unknown profile name lists the available ones and the likely fix")
  func unknownName() throws {
    let profiles = try loadConfig("project_name: demo\n").profiles
    #expect(throws: GoldfishError.self) { try profiles.resolve("h100-spto") }
    do {
      _ = try profiles.resolve("h100-spto")
    } catch {
      #expect(error.code == .profileNotFound)
      #expect(error.message == "there is no compute profile named \"h100-spto\"")
      #expect(error.hint?.hasPrefix("did you mean \"h100-spot\"?") == true)
      #expect(error.hint?.contains("available profiles: a100-on-demand, a100-spot, cpu-large") == true)
    }
  }

  @Test("overrides deep-merge onto the built-in; zones: profile > gce.zones > built-in")
  func overrides() throws {
    let config = try loadConfig(
      """
      project_name: demo
      gce:
        zones: [europe-west4-a]
        profile_overrides:
          h100-spot:
            gpu: {count: 2}
            boot_disk: {size_gb: 1000}
          a100-spot:
            zones: [us-west4-b]
            cpus: 2
            memory_mb: 4096
      """)
    let h100 = try config.profiles.resolve("h100-spot")
    #expect(h100.gpu == .init(type: "h100", accelerator: "nvidia-h100-80gb", count: 2))
    #expect(h100.bootDisk.sizeGB == 1000 && h100.bootDisk.type == "hyperdisk-balanced")
    #expect(h100.zones == ["europe-west4-a"])
    let a100 = try config.profiles.resolve("a100-spot")
    #expect(a100.zones == ["us-west4-b"])
    #expect(a100.localCPUs == 2 && a100.localMemoryMB == 4096)
    #expect(try config.profiles.resolve("cpu-small").zones == ["europe-west4-a"])
  }

  @Test("a custom profile needs machine_type, zones and boot_disk, and takes gce.zones")
  func customProfiles() throws {
    let config = try loadConfig(
      """
      project_name: demo
      gce:
        zones: [z1]
        profiles:
          tiny: {machine_type: e2-small, boot_disk: {size_gb: 20}}
      """)
    let tiny = try config.profiles.resolve("tiny")
    #expect(tiny.machineType == "e2-small" && tiny.zones == ["z1"] && tiny.gpu == .none)
    #expect(tiny.bootDisk.sizeGB == 20 && tiny.bootDisk.imageProject == "deeplearning-platform-release")

    let error = configError("project_name: demo\ngce:\n  profile_overrides:\n    h100-spott:\n      gpu: {count: 2}\n")
    #expect(
      error?.message
        == "goldfish.yaml:4: gce.profile_overrides.h100-spott: custom profile \"h100-spott\" is missing machine_type, zones (here or gce.zones), boot_disk"
    )
    #expect(error?.hint?.hasPrefix("did you mean the built-in \"h100-spot\"?") == true)
  }

  @Test("a profile's agent_runner reaches the backend, and only container or process is accepted")
  func agentRunner() throws {
    let config = try loadConfig(
      "project_name: demo\ngce:\n  profile_overrides:\n    cpu-small: {agent_runner: process}\n")
    let small = try config.profiles.resolve("cpu-small")
    #expect(small.agentRunner == "process" && small.json["agent_runner"]?.stringValue == "process")
    #expect(try config.profiles.resolve("h100-spot").agentRunner == nil)
    let error = configError(
      "project_name: demo\ngce:\n  profile_overrides:\n    cpu-small: {agent_runner: podman}\n")
    #expect(
      error?.message.contains("agent_runner") == true && error?.message.contains("podman") == true,
      "\(String(describing: error))")
  }

  @Test("a stage's image recipe follows its profile: gpu kind for a GPU profile, the profile's base_image first")
  func imageRecipeFollowsTheProfile() throws {
    let config = try loadConfig(
      """
      project_name: demo
      docker:
        base_images: {cpu: "lab/cpu:1", gpu: "lab/gpu:1"}
        extra_packages: {base: [numpy], cpu: [scipy], gpu: [torch]}
      gce:
        profile_overrides:
          a100-spot: {base_image: "lab/a100:2"}
      """)
    let definitions = config.profiles.definitions
    let cpu = StageImage.Recipe(config.docker, profile: definitions["cpu-small"])
    #expect(cpu.kind == .cpu && cpu.base == "lab/cpu:1" && cpu.extraPackages == ["numpy", "scipy"])
    let h100 = StageImage.Recipe(config.docker, profile: definitions["h100-spot"])
    #expect(h100.kind == .gpu && h100.base == "lab/gpu:1" && h100.extraPackages == ["numpy", "torch"])
    let a100 = StageImage.Recipe(config.docker, profile: definitions["a100-spot"])
    #expect(a100.kind == .gpu && a100.base == "lab/a100:2")
    // Another image may give other results: each recipe is its own fingerprint environment.
    #expect(Set([cpu.identity, h100.identity, a100.identity]).count == 3)
    // Without a gpu base the GPU profile keeps the cpu base, with the gpu packages.
    let plain = try loadConfig("project_name: demo\n")
    let fallback = StageImage.Recipe(plain.docker, profile: plain.profiles.definitions["h100-spot"])
    #expect(fallback.base == StageImage.defaultBase && fallback.kind == .gpu)
  }

  @Test("profile keys are checked like any other")
  func profileKeys() {
    let problems = configProblems(
      configError(
        """
        project_name: demo
        gce:
          profile_overrides:
            cpu-small:
              machine_typ: n2-standard-8
              boot_disk: {size_gb: 5}
              preemptible_allowed: false
              on_demand_allowed: false
        """))
    #expect(
      problems.map(\.key) == [
        "gce.profile_overrides.cpu-small.machine_typ", "gce.profile_overrides.cpu-small.boot_disk.size_gb",
        "gce.profile_overrides.cpu-small.on_demand_allowed",
      ])
    #expect(
      problems[0].message == "goldfish.yaml:5: gce.profile_overrides.cpu-small.machine_typ: unknown key \"machine_typ\""
    )
    #expect(
      problems[1].message
        == "goldfish.yaml:6: gce.profile_overrides.cpu-small.boot_disk.size_gb is 5; it must be between 10 and 65536")
    #expect(problems[2].message.contains("allows neither spot nor on-demand capacity"))
  }

  @Test("upstream profile migrations: preemptible, gpu.type, gpu: null")
  func profileMigrations() throws {
    let config = try loadConfig(
      """
      project_name: demo
      gce:
        zones: [z1]
        profile_overrides:
          h100-spot:
            gpu: {type: a100}
          cpu-small:
            preemptible: false
          a100-spot:
            gpu: null
      """)
    let h100 = try config.profiles.resolve("h100-spot")
    #expect(h100.gpu == .init(type: "a100", accelerator: "nvidia-tesla-a100", count: 1))
    let small = try config.profiles.resolve("cpu-small")
    #expect(!small.preemptibleAllowed && small.onDemandAllowed)
    #expect(try config.profiles.resolve("a100-spot").gpu == .none)
    #expect(
      config.notes.filter { $0.key.contains("profile_overrides") }.map(\.description) == [
        "goldfish.yaml:6: gce.profile_overrides.h100-spot.gpu.type: gpu.accelerator set to nvidia-tesla-a100 from gpu.type a100",
        "goldfish.yaml:8: gce.profile_overrides.cpu-small.preemptible: read as preemptible_allowed (and on_demand_allowed: true), its new name",
      ])
    let unknownType = configError(
      "project_name: demo\ngce:\n  profile_overrides:\n    h100-spot:\n      gpu: {type: h200}\n")
    #expect(
      unknownType?.message.hasPrefix(
        "goldfish.yaml:5: gce.profile_overrides.h100-spot.gpu.type is \"h200\"; allowed values:") == true)
  }
}
