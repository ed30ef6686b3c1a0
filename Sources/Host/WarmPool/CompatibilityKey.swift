import Foundation
import PluginKit

/// Which workers a run may take: exact equality on the machine shape a worker was launched
/// with (backend, machine type, GPU type and count, spot, boot image, and the local limits of
/// the profile), plus the worker's zone within the run's allowed zones. A field a backend does
/// not use (no GPU, no boot image locally) is simply absent on both sides. The profile *name*
/// is not part of it: two profiles with the same shape share workers, as upstream.
public struct CompatibilityKey: Sendable, Equatable, Hashable {
  /// Canonical JSON of the compared fields: equal text means compatible.
  public let text: String
  /// Zones the run may use; nil means any (local backends have no zones).
  public let allowedZones: [String]?

  public init(backend: String, fields: [String: JSONValue], allowedZones: [String]?) {
    var object = fields.filter { !$0.value.isNull }
    object["backend"] = .string(backend)
    // Sorted keys, so the same shape always gives the same text.
    text =
      "{"
      + object.keys.sorted().map { key in
        "\"\(key)\":" + ((try? JSONCoding.encode(object[key] ?? .null)) ?? "null")
      }.joined(separator: ",") + "}"
    self.allowedZones = allowedZones.flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The key of a run spec: its resolved `spec.profile`, completed by the profile's definition
  /// in goldfish.yaml for what the spec does not say (machine type, GPU, boot image, zones).
  public init(backend: String, profile: ResourceProfile?, definition: ResourceProfileDefinition?) {
    var fields: [String: JSONValue] = [:]
    if let profile {
      fields["cpus"] = profile.cpus.map { .double($0) }
      fields["memory_mb"] = profile.memoryMb.map { .int(Int64($0)) }
      fields["pids"] = profile.pids.map { .int(Int64($0)) }
      fields["network"] = profile.network.map { .bool($0) }
      fields["spot"] = profile.spot.map { .bool($0) }
      fields["machine_type"] = profile.machineType.map { .string($0) }
      if let gpu = profile.gpu {
        fields["gpu_type"] = .string(gpu.type)
        fields["gpu_count"] = .int(Int64(gpu.count))
      }
    }
    if let definition {
      if fields["machine_type"] == nil { fields["machine_type"] = .string(definition.machineType) }
      if fields["gpu_type"] == nil {
        fields["gpu_type"] = .string(definition.gpu.accelerator ?? definition.gpu.type)
        fields["gpu_count"] = .int(Int64(definition.gpu.count))
      }
      fields["boot_image"] = .string(definition.bootDisk.imageProject + "/" + definition.bootDisk.imageFamily)
    }
    self.init(backend: backend, fields: fields, allowedZones: definition?.zones)
  }

  /// The same key with the run's image among the compared fields, when there is one.
  public func matching(image: String?) -> CompatibilityKey {
    guard let image else { return self }
    var fields = (try? JSONCoding.parse(text))?.objectValue ?? [:]
    let backend = fields.removeValue(forKey: "backend")?.stringValue ?? ""
    fields["image"] = .string(image)
    return CompatibilityKey(backend: backend, fields: fields, allowedZones: allowedZones)
  }

  /// Whether a worker in `zone` is allowed; a worker without a zone (local) always is.
  public func allows(zone: String?) -> Bool {
    guard let zone, let allowedZones else { return true }
    return allowedZones.contains(zone)
  }
}
