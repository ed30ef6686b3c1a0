import Foundation
import PluginABI
import PluginKit

/// Every plugin file found, what each registered, and why any was refused. Services are
/// looked up by (kind, name) only: no plugin is special-cased.
///
/// A lazy registry (`PluginHost.start`'s default) takes what a file registers from the
/// descriptor cache when the file is unchanged since it last loaded, and loads it only when one
/// of its services is opened: a process pays only for the plugins its project selects.
public final class PluginRegistry: Sendable {
  public let plugins: [PluginInfo]
  public let refused: [PluginRefusal]
  private let services: [Key: Listed]

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

  /// A registered service and the file that provides it, loaded or not yet.
  private struct Listed: Sendable {
    var plugin: PluginInfo
    var info: ServiceInfo
    var file: PluginFile
  }

  /// Loads every candidate in order. A second registration of a (kind, name) refuses the
  /// whole later plugin, so a plugin is either fully available or not at all. What loaded is
  /// written to `cache`; `lazy`: files the cache knows unchanged are not loaded until a service
  /// of theirs is opened.
  static func load(
    _ candidates: [PluginDiscovery.Candidate], lazy: Bool, cache given: PluginDescriptorCache?
  ) -> PluginRegistry {
    var plugins: [PluginInfo] = []
    var refused: [PluginRefusal] = []
    var services: [Key: Listed] = [:]
    var cache = given ?? PluginDescriptorCache(path: nil)
    for candidate in candidates {
      let stamp = PluginFileStamp(candidate.path)
      let file: PluginFile
      let info: PluginInfo
      if lazy, let stamp, let known = cache.info(path: candidate.path, stamp: stamp) {
        info = PluginInfo(
          path: candidate.path, origin: candidate.origin, name: known.name, version: known.version,
          description: known.description, abiVersion: known.abiVersion, services: known.services)
        file = PluginFile(path: candidate.path, origin: candidate.origin, stamp: stamp)
      } else {
        switch PluginFile.loadNow(path: candidate.path, origin: candidate.origin, stamp: stamp) {
        case .failure(let refusal):
          refused.append(refusal)
          continue
        case .success(let loaded):
          info = loaded.info
          file = PluginFile(loaded: loaded, stamp: stamp)
          if let stamp { cache.remember(path: candidate.path, stamp: stamp, info: loaded.info) }
        }
      }
      let keys = info.services.map { (Key(kind: ServiceKind(label: $0.kind)!, name: $0.name), $0) }
      if let clash = keys.first(where: { services[$0.0] != nil }), let owner = services[clash.0] {
        refused.append(
          PluginRefusal(
            path: candidate.path, origin: candidate.origin,
            reason: "registers \(clash.1.kind) \"\(clash.1.name)\", which \(owner.plugin.path) "
              + "already registered: rename the service or remove one of the two files"))
        continue
      }
      for (key, service) in keys {
        services[key] = Listed(plugin: info, info: service, file: file)
      }
      plugins.append(info)
    }
    cache.save()
    return PluginRegistry(plugins: plugins, refused: refused, services: services)
  }

  private init(plugins: [PluginInfo], refused: [PluginRefusal], services: [Key: Listed]) {
    self.plugins = plugins
    self.refused = refused
    self.services = services
  }

  /// Loads every candidate in order, now (`plugins inspect`, an isolation helper, the conformance suite).
  public static func load(_ candidates: [PluginDiscovery.Candidate]) -> PluginRegistry {
    load(candidates, lazy: false, cache: nil)
  }

  public func serviceNames(_ kind: ServiceKind) -> [String] {
    services.keys.filter { $0.kind == kind }.map(\.name).sorted()
  }

  public func info(_ kind: ServiceKind, _ name: String) -> (plugin: PluginInfo, service: ServiceInfo)? {
    services[Key(kind: kind, name: name)].map { ($0.plugin, $0.info) }
  }

  /// The service's pointers, loading its file first if no service of it was opened yet;
  /// nil when nothing registers it or its file no longer loads.
  func registered(_ kind: ServiceKind, _ name: String) -> Registered? {
    guard let listed = services[Key(kind: kind, name: name)] else { return nil }
    return try? resolve(listed, kind: kind)
  }

  private func resolve(_ listed: Listed, kind: ServiceKind) throws(GoldfishError) -> Registered {
    switch listed.file.load() {
    case .failure(let refusal):
      throw GoldfishError(
        .pluginRefused, "the \(kind.label) \"\(listed.info.name)\" cannot be loaded: \(refusal.description)",
        hint: "`goldfish plugins list` loads every plugin file and shows why one is refused")
    case .success(let loaded):
      guard
        let index = loaded.info.services.firstIndex(where: {
          $0.kind == listed.info.kind && $0.name == listed.info.name
        })
      else {
        throw GoldfishError(
          .pluginRefused,
          "\(listed.plugin.path) no longer registers the \(kind.label) \"\(listed.info.name)\": it changed while goldfish ran",
          hint: "run the command again")
      }
      return Registered(
        plugin: listed.plugin, info: loaded.info.services[index], descriptor: loaded.descriptor,
        service: loaded.services[index])
    }
  }

  /// Opens a service with its goldfish.yaml section, in this process or in a helper process
  /// (whose allocations `memoryLimitMB` bounds).
  public func open(
    _ kind: ServiceKind, _ name: String, config: JSONValue = [:],
    context: ServiceContext = ServiceContext(hostVersion: GoldfishVersion.current),
    callTimeout: TimeInterval? = nil, isolation: IsolationMode = .inProcess, memoryLimitMB: Int? = nil
  ) throws(GoldfishError) -> OpenedService {
    guard let listed = services[Key(kind: kind, name: name)] else {
      let known = serviceNames(kind)
      throw GoldfishError(
        .serviceNotFound,
        "no plugin registers the \(kind.label) \"\(name)\"",
        hint: known.isEmpty
          ? "no \(kind.label) is loaded at all; run `goldfish plugins list` to see why"
          : "available: \(known.joined(separator: ", ")); `goldfish plugins list` shows every plugin",
        detail: ["available": .array(known.map { .string($0) })])
    }
    let registered = try resolve(listed, kind: kind)
    return try OpenedService.open(
      plugin: registered.plugin, info: registered.info, descriptor: registered.descriptor,
      service: registered.service, config: config, context: context, callTimeout: callTimeout,
      isolation: isolation, memoryLimitMB: memoryLimitMB)
  }
}
