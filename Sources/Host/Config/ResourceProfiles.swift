import PluginKit

extension GoldfishError.Code {
  public static let profileNotFound = Self("profile_not_found")
}

/// Every compute profile of a project: the built-ins with `gce.profile_overrides` merged in, and
/// the custom profiles defined there.
public struct ResourceProfiles: Sendable, Equatable {
  public let definitions: [String: ResourceProfileDefinition]

  public var names: [String] { definitions.keys.sorted() }

  public init(definitions: [String: ResourceProfileDefinition] = ResourceProfiles.builtIn) {
    self.definitions = definitions
  }

  public func resolve(_ name: String) throws(GoldfishError) -> ResourceProfileDefinition {
    if let definition = definitions[name] { return definition }
    let suggestion = Suggest.closest(to: name, in: names)
    throw GoldfishError(
      .profileNotFound, "there is no compute profile named \"\(name)\"",
      hint: (suggestion.map { "did you mean \"\($0)\"? " } ?? "")
        + "available profiles: \(names.joined(separator: ", "))"
        + "; define your own under gce.profile_overrides",
      detail: ["profile": .string(name), "available": .list(names)])
  }

  /// Every profile as goldfish.yaml would write it, for `config show --profiles`.
  public var json: JSONValue { .object(definitions.mapValues(\.json)) }

  // MARK: built-ins

  public static var builtInNames: [String] { builtIn.keys.sorted() }

  /// The profiles every project has. Shapes and zones follow upstream so existing stage configs
  /// launch the same machines; memory_gb and vcpus give a local backend the same shape to aim at.
  public static let builtIn: [String: ResourceProfileDefinition] = {
    func disk(_ type: String, _ size: Int, gpu: Bool = false) -> ResourceProfileDefinition.BootDisk {
      let image = ResourceProfileDefinition.BootDisk.defaultImage(gpu: gpu)
      return .init(type: type, sizeGB: size, imageFamily: image.family, imageProject: image.project)
    }
    let h100 = ResourceProfileDefinition.GPU(type: "h100", accelerator: "nvidia-h100-80gb", count: 1)
    let a100 = ResourceProfileDefinition.GPU(type: "a100", accelerator: "nvidia-tesla-a100", count: 1)
    let h100SpotZones = [
      "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f", "us-east1-b", "us-east1-c", "us-west1-a",
      "us-west1-b", "us-west4-a", "europe-west4-a", "europe-west4-b",
    ]
    let a100Zones = ["us-central1-f", "us-central1-b", "us-west4-b", "europe-west4-a"]
    let profiles = [
      ResourceProfileDefinition(
        name: "cpu-small", machineType: "n2-standard-4", gpu: .none, preemptibleAllowed: true,
        onDemandAllowed: true, zones: ["us-central1-a", "us-central1-b", "us-central1-f"],
        bootDisk: disk("pd-balanced", 200), dataDisk: .init(type: "pd-balanced", sizeGB: 100, mode: .rw),
        memoryGB: 16, vcpus: 4),
      ResourceProfileDefinition(
        name: "cpu-large", machineType: "c4-highcpu-192", gpu: .none, preemptibleAllowed: true,
        onDemandAllowed: true, zones: ["us-central1-f", "us-central1-a"], bootDisk: disk("hyperdisk-balanced", 600),
        dataDisk: .init(type: "hyperdisk-balanced", sizeGB: 600, mode: .rw), memoryGB: 384, vcpus: 192),
      ResourceProfileDefinition(
        name: "h100-spot", machineType: "a3-highgpu-1g", gpu: h100, preemptibleAllowed: true,
        onDemandAllowed: false, zones: h100SpotZones, bootDisk: disk("hyperdisk-balanced", 600, gpu: true),
        dataDisk: .init(type: "hyperdisk-balanced", sizeGB: 600, mode: .rw), memoryGB: 234, vcpus: 26),
      // a3-highgpu-1g is sold as spot only; on-demand H100 capacity comes as the 8-GPU machine.
      ResourceProfileDefinition(
        name: "h100-on-demand", machineType: "a3-highgpu-8g",
        gpu: .init(type: "h100", accelerator: "nvidia-h100-80gb", count: 8), preemptibleAllowed: false,
        onDemandAllowed: true, zones: ["us-central1-a", "us-central1-b", "us-central1-c", "us-west4-a"],
        bootDisk: disk("hyperdisk-balanced", 600, gpu: true),
        dataDisk: .init(type: "hyperdisk-balanced", sizeGB: 600, mode: .rw),
        launchTimeoutSeconds: 1200, memoryGB: 1872, vcpus: 208),
      ResourceProfileDefinition(
        name: "a100-spot", machineType: "a2-highgpu-1g", gpu: a100, preemptibleAllowed: true,
        onDemandAllowed: false, zones: a100Zones, bootDisk: disk("pd-ssd", 600, gpu: true),
        dataDisk: .init(type: "pd-ssd", sizeGB: 600, mode: .rw), memoryGB: 85, vcpus: 12),
      // Upstream also allows spot here, so its launcher (which forces spot whenever spot is
      // allowed) never runs this profile on demand; ours means what its name says.
      ResourceProfileDefinition(
        name: "a100-on-demand", machineType: "a2-highgpu-1g", gpu: a100, preemptibleAllowed: false,
        onDemandAllowed: true, zones: a100Zones, bootDisk: disk("pd-ssd", 600, gpu: true),
        dataDisk: .init(type: "pd-ssd", sizeGB: 600, mode: .rw), memoryGB: 85, vcpus: 12),
    ]
    return Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, $0) })
  }()

  /// The accelerator each upstream `gpu.type` stands for.
  static let acceleratorByGPUType: [String: String?] = [
    "h100": "nvidia-h100-80gb", "a100": "nvidia-tesla-a100", "t4": "nvidia-tesla-t4", "v100": "nvidia-tesla-v100",
    "none": nil,
  ]

  // MARK: reading gce.profile_overrides

  /// Merges each override onto its built-in (or reads it as a custom profile) and applies
  /// upstream's profile migrations. Zones: the profile's own > `gce.zones` > the built-in's.
  /// Also returns the overrides as migrated, so the effective config shows the current spelling.
  static func read(
    overrides: [String: JSONValue], at path: String?, globalZones: [String]?, problems: ConfigProblems
  ) -> (profiles: ResourceProfiles, migrated: [String: JSONValue]) {
    var migrated = overrides
    var definitions = builtIn
    if let globalZones {
      for name in definitions.keys { definitions[name]?.zones = globalZones }
    }
    for name in overrides.keys.sorted() {
      let keyPath = "\(path ?? "gce.profile_overrides").\(name)"
      if let failure = NameRule.rule(for: .workspace).firstFailure(in: name) {
        problems.add(
          ConfigError.invalid(
            problems.document, keyPath, "\"\(name)\" is not a valid profile name: \(failure)",
            hint: "letters, digits, \"_\" and \"-\", e.g. \"h100-spot-big\""))
        continue
      }
      guard let override = overrides[name], !override.isNull else { continue }
      guard var fields = override.objectValue else {
        problems.add(
          ConfigError.wrongType(problems.document, keyPath, expected: "a mapping of profile settings", found: override))
        continue
      }
      migrate(&fields, at: keyPath, problems: problems)
      migrated[name] = .object(fields)
      let base = definitions[name]
      let merged = merge(base?.json ?? [:], .object(fields))
      var withZones = merged
      if fields["zones"] == nil || fields["zones"] == .null, let globalZones, base == nil {
        withZones = merge(merged, ["zones": .list(globalZones)])
      }
      guard
        let section = ConfigSection.read(
          withZones, at: keyPath, keys: ResourceProfileDefinition.keys, problems: problems),
        let definition = ResourceProfileDefinition.read(name: name, section, custom: base == nil)
      else { continue }
      definitions[name] = definition
    }
    return (ResourceProfiles(definitions: definitions), migrated)
  }

  /// Upstream's load-time rewrites of one profile, each noted for `config validate`.
  private static func migrate(_ fields: inout [String: JSONValue], at keyPath: String, problems: ConfigProblems) {
    if let preemptible = fields["preemptible"], !preemptible.isNull {
      if fields["preemptible_allowed"] != nil {
        problems.add(
          ConfigError.invalid(
            problems.document, "\(keyPath).preemptible", "preemptible and preemptible_allowed are both set",
            hint: "keep only preemptible_allowed (preemptible is its old name)"))
      } else {
        fields["preemptible_allowed"] = preemptible
        if fields["on_demand_allowed"] == nil { fields["on_demand_allowed"] = true }
        problems.note(
          "\(keyPath).preemptible", "read as preemptible_allowed (and on_demand_allowed: true), its new name")
      }
    }
    fields["preemptible"] = nil
    // `gpu: null` means a CPU-only profile, even when the built-in has a GPU.
    if let gpu = fields["gpu"], gpu.isNull {
      fields["gpu"] = ["type": "none", "accelerator": nil, "count": 0]
    }
    if case .object(var gpu)? = fields["gpu"], let type = gpu["type"]?.stringValue, gpu["accelerator"] == nil {
      if let accelerator = acceleratorByGPUType[type] {
        gpu["accelerator"] = .optional(accelerator)
        if gpu["count"] == nil { gpu["count"] = .number(type == "none" ? 0 : 1) }
        fields["gpu"] = .object(gpu)
        problems.note("\(keyPath).gpu.type", "gpu.accelerator set to \(accelerator ?? "none") from gpu.type \(type)")
      } else {
        problems.add(
          ConfigError.notOneOf(
            problems.document, "\(keyPath).gpu.type", value: type, allowed: acceleratorByGPUType.keys.sorted()
          )
          .withHint("or set gpu.accelerator to the Compute Engine accelerator type"))
      }
    }
  }

  /// Deep merge: mappings merge key by key, anything else in `override` replaces `base`.
  static func merge(_ base: JSONValue, _ override: JSONValue) -> JSONValue {
    guard case .object(var merged) = base, case .object(let changes) = override else { return override }
    for (key, value) in changes {
      merged[key] = merged[key].map { merge($0, value) } ?? value
    }
    return .object(merged)
  }
}

extension GoldfishError {
  func withHint(_ extra: String) -> GoldfishError {
    var copy = self
    copy.hint = hint.map { "\($0); \(extra)" } ?? extra
    return copy
  }
}
