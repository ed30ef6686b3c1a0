import PluginKit

/// One compute profile a stage can ask for (`compute.profile` in configs/<stage>.yaml): the cloud
/// machine shape, where it may run, and what a local backend should give the stage.
public struct ResourceProfileDefinition: Sendable, Equatable {
  public struct GPU: Sendable, Equatable {
    /// Short family name: h100, a100, t4, v100 or none.
    public var type: String
    /// The Compute Engine accelerator type; nil for none, and for machine types with GPUs built in.
    public var accelerator: String?
    public var count: Int

    public init(type: String, accelerator: String?, count: Int) {
      self.type = type
      self.accelerator = accelerator
      self.count = count
    }

    public static let none = GPU(type: "none", accelerator: nil, count: 0)
  }

  public struct BootDisk: Sendable, Equatable {
    public var type: String
    public var sizeGB: Int
    public var imageFamily: String
    public var imageProject: String

    public init(type: String, sizeGB: Int, imageFamily: String, imageProject: String) {
      self.type = type
      self.sizeGB = sizeGB
      self.imageFamily = imageFamily
      self.imageProject = imageProject
    }

    /// Where the agent's VMs boot from unless a profile says (`boot_disk.image_family`,
    /// `image_project`): an image with Docker (stages run in containers) and, for GPU profiles,
    /// the NVIDIA driver. Google's current Deep Learning VM base family, driver 580 and CUDA 12.9
    /// on Ubuntu 22.04 (its "Choose an image" table, supported until August 2028); every Debian
    /// and every CPU-only Deep Learning VM family is deprecated there, so CPU profiles boot the
    /// same image (the driver sits unused). `goldfish gce doctor` checks each family resolves.
    public static func defaultImage(gpu: Bool) -> (family: String, project: String) {
      gpu ? gpuDefault : cpuDefault
    }
    public static let gpuDefault = (
      family: "common-cu129-ubuntu-2204-nvidia-580", project: "deeplearning-platform-release"
    )
    public static let cpuDefault = (
      family: "common-cu129-ubuntu-2204-nvidia-580", project: "deeplearning-platform-release"
    )
  }

  public struct DataDisk: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case rw, ro }
    public var type: String
    public var sizeGB: Int
    public var mode: Mode

    public init(type: String, sizeGB: Int, mode: Mode) {
      self.type = type
      self.sizeGB = sizeGB
      self.mode = mode
    }
  }

  public var name: String
  /// A short image name resolved against the artifact registry, or a full image reference.
  public var baseImage: String?
  public var machineType: String
  public var gpu: GPU
  /// May run on spot (preemptible) capacity.
  public var preemptibleAllowed: Bool
  /// May run on on-demand capacity.
  public var onDemandAllowed: Bool
  /// In search order.
  public var zones: [String]
  public var bootDisk: BootDisk
  public var dataDisk: DataDisk?
  /// Per-attempt launch budget, for machines that take long to come up.
  public var launchTimeoutSeconds: Int?
  /// The cloud machine's shape.
  public var memoryGB: Double?
  public var vcpus: Int?
  /// What a local backend gives the stage; nil means "the machine's shape".
  public var cpus: Double?
  public var memoryMB: Int?
  /// How goldfish-agent runs this profile's jobs on a VM (`container` or `process`); nil lets
  /// the gce backend choose (in the run's image when it has one). Passed on to the plugin.
  public var agentRunner: String? = nil

  /// CPUs a local backend should allow: `cpus`, else the cloud machine's vCPUs.
  public var localCPUs: Double? { cpus ?? vcpus.map(Double.init) }
  /// Memory a local backend should allow: `memory_mb`, else the cloud machine's memory.
  public var localMemoryMB: Int? { memoryMB ?? memoryGB.map { Int($0 * 1024) } }

  /// Far past any machine, and small enough that memory in MB or bytes never overflows (a
  /// `memory_gb: 1e300` used to trap when turned into megabytes).
  static let maxMemoryGB = 1 << 20
  static let maxCPUs = 100_000
  static let memoryGBBound = ConfigBound<Double>(lower: 0, lowerInclusive: false, upper: Double(maxMemoryGB))

  static let keys = [
    "base_image", "machine_type", "gpu", "preemptible_allowed", "on_demand_allowed", "zones", "boot_disk",
    "data_disk", "launch_timeout_seconds", "memory_gb", "vcpus", "cpus", "memory_mb", "preemptible", "agent_runner",
  ]
  static let agentRunners = ["container", "process"]
  static let gpuKeys = ["type", "accelerator", "count"]
  static let bootDiskKeys = ["type", "size_gb", "image_family", "image_project"]
  static let dataDiskKeys = ["type", "size_gb", "mode"]

  /// Reads a complete profile (a built-in with its override merged in, or a custom one).
  /// Returns nil when a required part is missing; the problem is recorded.
  static func read(name: String, _ section: ConfigSection, custom: Bool) -> ResourceProfileDefinition? {
    let problems = section.problems
    var missing: [String] = []
    let machineType = section.optionalString("machine_type")
    if machineType == nil { missing.append("machine_type") }
    let zones = section.optionalStrings("zones") ?? []
    if zones.isEmpty { missing.append("zones (here or gce.zones)") }
    let boot = section.section("boot_disk", keys: bootDiskKeys)
    if boot == nil { missing.append("boot_disk") }
    let gpu =
      section.section("gpu", keys: gpuKeys).map { read in
        GPU(
          type: read.string("type", default: "none"), accelerator: read.optionalString("accelerator"),
          count: read.int("count", default: 0, .range(0...16)))
      } ?? .none
    let data = section.section("data_disk", keys: dataDiskKeys).map { read in
      DataDisk(
        type: read.string("type", default: "pd-balanced"),
        sizeGB: read.int("size_gb", default: 100, .range(10...65536)),
        mode: read.choice("mode", default: .rw))
    }
    let defaultBoot = BootDisk.defaultImage(gpu: gpu.count > 0 || gpu.type != "none")
    let preemptibleAllowed = section.bool("preemptible_allowed", default: false)
    let onDemandAllowed = section.bool("on_demand_allowed", default: true)
    let definition = ResourceProfileDefinition(
      name: name, baseImage: section.optionalString("base_image"), machineType: machineType ?? "",
      gpu: gpu, preemptibleAllowed: preemptibleAllowed, onDemandAllowed: onDemandAllowed, zones: zones,
      bootDisk: BootDisk(
        type: boot?.string("type", default: "pd-balanced") ?? "pd-balanced",
        sizeGB: boot?.int("size_gb", default: 200, .range(10...65536)) ?? 200,
        imageFamily: boot?.string("image_family", default: defaultBoot.family) ?? defaultBoot.family,
        imageProject: boot?.string("image_project", default: defaultBoot.project) ?? defaultBoot.project),
      dataDisk: data, launchTimeoutSeconds: section.optionalInt("launch_timeout_seconds", .atLeast(1)),
      memoryGB: section.optionalNumber("memory_gb", Self.memoryGBBound),
      vcpus: section.optionalInt("vcpus", .range(1...Self.maxCPUs)),
      cpus: section.optionalNumber("cpus", ConfigBound(lower: 0, lowerInclusive: false, upper: Double(Self.maxCPUs))),
      memoryMB: section.optionalInt("memory_mb", .range(1...Self.maxMemoryGB * 1024)),
      agentRunner: section.optionalChoice("agent_runner", from: agentRunners))
    if !missing.isEmpty && !custom {
      problems.add(
        ConfigError.invalid(
          problems.document, section.path, "profile \"\(name)\" is left without \(missing.joined(separator: ", "))",
          hint: "leave the key out to keep the built-in value"))
      return nil
    }
    if !missing.isEmpty {
      problems.add(
        ConfigError.invalid(
          problems.document, section.path,
          "custom profile \"\(name)\" is missing \(missing.joined(separator: ", "))",
          hint: (Suggest.closest(to: name, in: ResourceProfiles.builtInNames).map {
            "did you mean the built-in \"\($0)\"? "
          } ?? "") + "a profile not named after a built-in (\(ResourceProfiles.builtInNames.joined(separator: ", "))) "
            + "must define machine_type, zones and boot_disk"))
      return nil
    }
    if !preemptibleAllowed && !onDemandAllowed {
      problems.add(
        ConfigError.invalid(
          problems.document, section.key("on_demand_allowed"),
          "profile \"\(name)\" allows neither spot nor on-demand capacity, so it can never launch",
          hint: "set preemptible_allowed or on_demand_allowed to true"))
    }
    return definition
  }

  /// The profile as goldfish.yaml would write it; built-ins are merged with overrides in this form.
  public var json: JSONValue {
    [
      "base_image": .optional(baseImage), "machine_type": .string(machineType),
      "gpu": ["type": .string(gpu.type), "accelerator": .optional(gpu.accelerator), "count": .number(gpu.count)],
      "preemptible_allowed": .bool(preemptibleAllowed), "on_demand_allowed": .bool(onDemandAllowed),
      "zones": .list(zones),
      "boot_disk": [
        "type": .string(bootDisk.type), "size_gb": .number(bootDisk.sizeGB),
        "image_family": .string(bootDisk.imageFamily), "image_project": .string(bootDisk.imageProject),
      ],
      "data_disk": dataDisk.map {
        ["type": .string($0.type), "size_gb": .number($0.sizeGB), "mode": .string($0.mode.rawValue)]
      } ?? .null,
      "launch_timeout_seconds": .optional(launchTimeoutSeconds), "memory_gb": .optional(memoryGB),
      "vcpus": .optional(vcpus), "cpus": .optional(cpus), "memory_mb": .optional(memoryMB),
      "agent_runner": .optional(agentRunner),
    ]
  }
}
