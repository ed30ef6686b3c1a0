import PluginKit
import PluginSupport

/// What a run asks Compute Engine for: read from the resolved profile the host puts in the
/// spec (`profile.definition`), with the gce section's zones as the fallback placement.
struct MachineProfile: Sendable, Equatable {
  struct Accelerator: Sendable, Equatable {
    var type: String
    var count: Int
  }

  struct BootDisk: Sendable, Equatable {
    var type: String
    var sizeGB: Int
    var imageFamily: String
    var imageProject: String
  }

  enum Provisioning: String, Sendable, Equatable {
    case spot, onDemand = "on_demand"
  }

  var name: String
  var machineType: String
  var accelerator: Accelerator?
  var zones: [String]
  var bootDisk: BootDisk
  /// The modes the capacity search tries, in order.
  var modes: [Provisioning]
  /// How the agent runs jobs, when the profile says (`agent_runner`): in their images
  /// (`container`) or as bare processes on the VM (`process`, for boot images that bring the
  /// whole environment). Unsaid: in a container whenever the run has an image.
  var runner: AgentConfig.Runner?

  static let defaultZones = ["us-central1-a"]
  static let imageProject = "deeplearning-platform-release"
  /// The host's defaults (ResourceProfileDefinition.BootDisk.defaultImage) for a spec whose
  /// profile names no boot disk: Google's Deep Learning VM base family, for CPU machines too
  /// (no CPU-only family is supported any more).
  static let gpuImageFamily = "common-cu129-ubuntu-2204-nvidia-580"
  static let cpuImageFamily = "common-cu129-ubuntu-2204-nvidia-580"

  init(
    name: String, machineType: String, accelerator: Accelerator? = nil, zones: [String],
    bootDisk: BootDisk = .init(type: "pd-balanced", sizeGB: 50, imageFamily: "debian-12", imageProject: "debian-cloud"),
    modes: [Provisioning] = [.onDemand]
  ) {
    self.name = name
    self.machineType = machineType
    self.accelerator = accelerator
    self.zones = zones
    self.bootDisk = bootDisk
    self.modes = modes
  }

  /// The runner a run of `image` gets on this profile.
  func runner(for image: String?) -> AgentConfig.Runner {
    runner ?? ((image ?? "").isEmpty ? .process : .container)
  }

  init(spec profile: ResourceProfile?, settings: GCESettings) throws(PluginError) {
    let definition = profile?.definition ?? [:]
    name = profile?.name ?? "cpu-small"
    guard let machineType = profile?.machineType ?? definition["machine_type"]?.stringValue, !machineType.isEmpty
    else {
      throw PluginError(
        .invalidArgument,
        "profile \"\(name)\" has no machine_type: define it under gce.profile_overrides in goldfish.yaml")
    }
    self.machineType = machineType
    let gpu = definition["gpu"]
    let count = gpu?["count"]?.intValue.map { Int($0) } ?? profile?.gpu?.count ?? 0
    if count > 0, let type = gpu?["accelerator"]?.stringValue ?? profile?.gpu?.type {
      accelerator = Accelerator(type: type, count: count)
    } else {
      accelerator = nil
    }
    var zones: [String] = []
    if case .array(let listed)? = definition["zones"] { zones = listed.compactMap(\.stringValue) }
    if zones.isEmpty { zones = settings.zones ?? Self.defaultZones }
    self.zones = zones
    if let chosen = definition["agent_runner"]?.stringValue {
      guard let runner = AgentConfig.Runner(rawValue: chosen) else {
        throw PluginError(
          .invalidArgument, "profile \"\(name)\" has agent_runner: \(chosen); allowed values: container, process")
      }
      self.runner = runner
    }
    let disk = definition["boot_disk"]
    // Containers need Docker on the VM, GPUs its NVIDIA drivers: the default boot images are
    // Google's Deep Learning VM families, which bring both; a bare-process profile keeps Debian.
    let family: (String, String) =
      runner == .process
      ? ("debian-12", "debian-cloud")
      : (accelerator == nil ? Self.cpuImageFamily : Self.gpuImageFamily, Self.imageProject)
    bootDisk = BootDisk(
      type: disk?["type"]?.stringValue ?? "pd-balanced", sizeGB: disk?["size_gb"]?.intValue.map { Int($0) } ?? 100,
      imageFamily: disk?["image_family"]?.stringValue ?? family.0,
      imageProject: disk?["image_project"]?.stringValue ?? family.1)
    let spotAllowed = definition["preemptible_allowed"]?.boolValue ?? profile?.spot ?? false
    let onDemandAllowed = definition["on_demand_allowed"]?.boolValue ?? !(profile?.spot ?? false)
    var modes: [Provisioning] = []
    if onDemandAllowed { modes.append(.onDemand) }
    if spotAllowed { modes.insert(.spot, at: settings.spotFirst || !onDemandAllowed ? 0 : modes.count) }
    guard !modes.isEmpty else {
      throw PluginError(.invalidArgument, "profile \"\(name)\" allows neither spot nor on-demand capacity")
    }
    self.modes = modes
  }
}
