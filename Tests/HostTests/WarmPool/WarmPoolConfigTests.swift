import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("warm_pool config: per backend, explicit bounds, 0 never means off")
struct WarmPoolConfigTests {
  @Test("upstream's gce.warm_pool is read as it is")
  func upstreamGCE() throws {
    let config = try loadConfig(
      """
      project_name: demo
      gce:
        zones: [us-central1-a]
        warm_pool:
          enabled: true
          max_instances: 3
          idle_timeout_minutes: 10
          watchdog_seconds: 7200
          profiles: [h100-spot]
          preserve_paths: ["/tmp/triton*"]
      """)
    let pool = config.warmPool(for: "gce")
    #expect(pool.enabled && pool.maxInstances == 3 && pool.idleTimeoutSeconds == 600 && pool.lifetimeSeconds == 7200)
    #expect(pool.isEnabled(for: "h100-spot") && !pool.isEnabled(for: "cpu-small"))
    // Upstream's VM path loads, with a note, and is not sent to workers that cannot keep it.
    #expect(pool.preservePaths.isEmpty)
    #expect(config.notes.contains { $0.key == "gce.warm_pool.preserve_paths[0]" && $0.message.contains("ignored") })
    #expect(config.warmPool(for: "process").enabled == false)
  }

  @Test("process.warm_pool in a plugin's section validates, with the precise seconds forms")
  func processSection() throws {
    let config = try loadConfig(
      """
      project_name: demo
      jobs:
        backend: process
      process:
        sandbox: false
        warm_pool:
          enabled: true
          max_instances: 2
          idle_timeout_seconds: 2
          lifetime_seconds: 30
          preserve_paths: [outputs/.cache, inputs/weights]
      """, services: ["process"])
    let pool = config.warmPool(for: "process")
    #expect(pool.enabled && pool.idleTimeoutSeconds == 2 && pool.lifetimeSeconds == 30 && pool.profiles.isEmpty)
    #expect(pool.isEnabled(for: "cpu-small"))
    #expect(pool.preservePaths == ["outputs/.cache", "inputs/weights"] && config.notes.isEmpty)
  }

  @Test("docker.warm_pool is part of the docker section")
  func dockerSection() throws {
    let config = try loadConfig("project_name: demo\ndocker:\n  warm_pool:\n    enabled: true\n    max_instances: 4\n")
    #expect(config.warmPool(for: "docker").enabled && config.warmPool(for: "docker").maxInstances == 4)
  }

  @Test("5.7 #8 a zero is refused with the allowed range, never read as off; null is absent")
  func zeroIsNotOff() throws {
    let problems = configProblems(
      configError(
        """
        project_name: demo
        process:
          warm_pool:
            enabled: true
            max_instances: 0
            idle_timeout_seconds: 0
            lifetime_seconds: 0
            colour: blue
        """, services: ["process"]))
    #expect(
      problems.map(\.message) == [
        "goldfish.yaml:5: process.warm_pool.max_instances is 0; it must be between 1 and 10",
        "goldfish.yaml:6: process.warm_pool.idle_timeout_seconds is 0; it must be between 1 and 86400",
        "goldfish.yaml:7: process.warm_pool.lifetime_seconds is 0; it must be between 1 and 604800",
      ] + problems.dropFirst(3).map(\.message))
    #expect(problems.contains { $0.key == "process.warm_pool.colour" })
    let absent = try loadConfig(
      "project_name: demo\nprocess:\n  warm_pool:\n    enabled: true\n    idle_timeout_seconds: null\n",
      services: ["process"])
    #expect(absent.warmPool(for: "process").idleTimeoutSeconds == 30 * 60)
  }

  @Test("both spellings of one setting together are refused")
  func bothSpellings() {
    let problems = configProblems(
      configError(
        """
        project_name: demo
        docker:
          warm_pool:
            idle_timeout_minutes: 10
            idle_timeout_seconds: 5
            watchdog_seconds: 7200
            lifetime_seconds: 60
        """))
    #expect(problems.map(\.key) == ["docker.warm_pool.idle_timeout_minutes", "docker.warm_pool.watchdog_seconds"])
    #expect(problems.allSatisfy { $0.message.contains("two names for one setting") })
  }

  @Test("warm_pool profiles must name known profiles, in every backend's section")
  func unknownProfile() {
    let problems = configProblems(
      configError(
        "project_name: demo\nprocess:\n  warm_pool:\n    profiles: [cpu-smal]\n", services: ["process"]))
    #expect(problems.map(\.key) == ["process.warm_pool.profiles[0]"])
  }

  @Test("the compatibility key is exact on the shape and ignores the profile name")
  func compatibilityKey() {
    let small = ResourceProfile(name: "cpu-small", cpus: 1, memoryMb: 1024)
    let renamed = ResourceProfile(name: "my-small", cpus: 1, memoryMb: 1024)
    let bigger = ResourceProfile(name: "cpu-small", cpus: 2, memoryMb: 1024)
    let spot = ResourceProfile(name: "cpu-small", cpus: 1, memoryMb: 1024, spot: true)
    func key(_ profile: ResourceProfile, _ backend: String = "process") -> String {
      CompatibilityKey(backend: backend, profile: profile, definition: nil).text
    }
    #expect(key(small) == key(renamed))
    #expect(key(small) != key(bigger))
    #expect(key(small) != key(spot))
    #expect(key(small) != key(small, "docker"))
    let h100 = ResourceProfiles().definitions["h100-spot"]
    let a100 = ResourceProfiles().definitions["a100-spot"]
    let withH100 = CompatibilityKey(backend: "gce", profile: nil, definition: h100)
    #expect(withH100.text != CompatibilityKey(backend: "gce", profile: nil, definition: a100).text)
    #expect(withH100.text.contains("boot_image") && withH100.allowedZones == h100?.zones)
    #expect(withH100.allows(zone: nil) && !withH100.allows(zone: "mars-1a"))
  }

  @Test("a backend bound to one image per worker gets the image in the key; others share workers across images")
  func imageInKey() {
    let small = CompatibilityKey(
      backend: "docker", profile: ResourceProfile(name: "cpu-small", cpus: 1, memoryMb: 1024), definition: nil)
    let imageA = small.matching(image: "goldfish/stage:a")
    #expect(imageA != small.matching(image: "goldfish/stage:b"))
    #expect(imageA == small.matching(image: "goldfish/stage:a"))
    #expect(small.matching(image: nil) == small)
    #expect(imageA.text.contains("\"backend\":\"docker\"") && imageA.text.contains("goldfish/stage:a"))
  }
}
