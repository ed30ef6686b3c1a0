import Foundation
import PluginABI
import PluginKit

/// Every plugin file found, what each registered, and why any was refused. Services are
/// looked up by (kind, name) only: no plugin is special-cased.
public final class PluginRegistry: Sendable {
  public let plugins: [PluginInfo]
  public let refused: [PluginRefusal]
  private let services: [Key: Registered]

  struct Key: Hashable {
    var kind: ServiceKind
    var name: String
  }

  struct Registered: @unchecked Sendable {
    var plugin: PluginInfo
    var info: ServiceInfo
    var descriptor: UnsafePointer<gf_plugin_descriptor>
    var service: UnsafePointer<gf_service>
  }

  /// Loads every candidate in order. A second registration of a (kind, name) refuses the
  /// whole later plugin, so a plugin is either fully available or not at all.
  public static func load(_ candidates: [PluginDiscovery.Candidate]) -> PluginRegistry {
    var plugins: [PluginInfo] = []
    var refused: [PluginRefusal] = []
    var services: [Key: Registered] = [:]
    for candidate in candidates {
      switch PluginLoader.load(path: candidate.path, origin: candidate.origin) {
      case .failure(let refusal):
        refused.append(refusal)
      case .success(let loaded):
        let keys = zip(loaded.info.services, loaded.services).map { info, pointer in
          (Key(kind: ServiceKind(label: info.kind)!, name: info.name), info, pointer)
        }
        if let clash = keys.first(where: { services[$0.0] != nil }),
          let owner = services[clash.0]
        {
          refused.append(
            PluginRefusal(
              path: candidate.path, origin: candidate.origin,
              reason: "registers \(clash.1.kind) \"\(clash.1.name)\", which \(owner.plugin.path) "
                + "already registered: rename the service or remove one of the two files"))
          continue
        }
        for (key, info, pointer) in keys {
          services[key] = Registered(
            plugin: loaded.info, info: info, descriptor: loaded.descriptor, service: pointer)
        }
        plugins.append(loaded.info)
      }
    }
    return PluginRegistry(plugins: plugins, refused: refused, services: services)
  }

  private init(plugins: [PluginInfo], refused: [PluginRefusal], services: [Key: Registered]) {
    self.plugins = plugins
    self.refused = refused
    self.services = services
  }

  public func serviceNames(_ kind: ServiceKind) -> [String] {
    services.keys.filter { $0.kind == kind }.map(\.name).sorted()
  }

  public func info(_ kind: ServiceKind, _ name: String) -> (plugin: PluginInfo, service: ServiceInfo)? {
    services[Key(kind: kind, name: name)].map { ($0.plugin, $0.info) }
  }

  func registered(_ kind: ServiceKind, _ name: String) -> Registered? {
    services[Key(kind: kind, name: name)]
  }

  /// Opens a service with its goldfish.yaml section, in this process or in a helper process
  /// (whose allocations `memoryLimitMB` bounds).
  public func open(
    _ kind: ServiceKind, _ name: String, config: JSONValue = [:],
    context: ServiceContext = ServiceContext(hostVersion: GoldfishVersion.current),
    callTimeout: TimeInterval? = nil, isolation: IsolationMode = .inProcess, memoryLimitMB: Int? = nil
  ) throws(GoldfishError) -> OpenedService {
    guard let registered = services[Key(kind: kind, name: name)] else {
      let known = serviceNames(kind)
      throw GoldfishError(
        .serviceNotFound,
        "no plugin registers the \(kind.label) \"\(name)\"",
        hint: known.isEmpty
          ? "no \(kind.label) is loaded at all; run `goldfish plugins list` to see why"
          : "available: \(known.joined(separator: ", ")); `goldfish plugins list` shows every plugin",
        detail: ["available": .array(known.map { .string($0) })])
    }
    return try OpenedService.open(
      plugin: registered.plugin, info: registered.info, descriptor: registered.descriptor,
      service: registered.service, config: config, context: context, callTimeout: callTimeout,
      isolation: isolation, memoryLimitMB: memoryLimitMB)
  }
}
