import GoldfishTesting
import Host
import PluginKit

/// `plugins list --json`: every loaded plugin, every refused file, and what config selects.
struct PluginListing: Encodable {
  var abiVersion = "\(PluginABIVersion.major).\(PluginABIVersion.minor)"
  var goldfishVersion = GoldfishVersion.current
  var plugins: [PluginInfo]
  var refused: [PluginRefusal]
  var selected: [String: String]

  init(registry: PluginRegistry, host: PluginHost?) {
    plugins = registry.plugins.map { plugin in
      var plugin = plugin
      if let host {
        plugin.services = plugin.services.map { service in
          var service = service
          service.isolation = host.isolation.mode(plugin: plugin.name, service: service.name)
          return service
        }
      }
      plugin.services = plugin.services.map { service in
        var service = service
        let findings = service.checkCapabilities
        service.capabilityFindings = findings.isEmpty ? nil : findings
        return service
      }
      return plugin
    }
    refused = registry.refused
    var selected: [String: String] = [:]
    if let host {
      for selector in PluginHost.selectors {
        if let name = try? host.selectedName(selector.kind) { selected[selector.kind.label] = name }
      }
    }
    self.selected = selected
  }

  enum CodingKeys: String, CodingKey {
    case abiVersion = "abi_version"
    case goldfishVersion = "goldfish_version"
    case plugins, refused, selected
  }
}

enum PluginTable {
  static func print(_ registry: PluginRegistry, host: PluginHost? = nil) {
    if registry.plugins.isEmpty { Console.print("No plugins loaded.") }
    for plugin in registry.plugins {
      Console.print("\(plugin.name) \(plugin.version)  (ABI \(plugin.abiVersion))  \(plugin.path)")
      for service in plugin.services {
        var state = service.implemented ? "" : "  [not implemented yet]"
        if let mode = host?.isolation.mode(plugin: plugin.name, service: service.name) {
          state += mode == .process ? "  [isolation: process]" : "  [isolation: in_process]"
        }
        let kind = service.kind.padding(toLength: 15, withPad: " ", startingAt: 0)
        Console.print("  \(kind) \(service.name)\(state)")
        if !service.unsupported.isEmpty {
          Console.print("                  unsupported: \(service.unsupported.joined(separator: ", "))")
        }
        for finding in service.checkCapabilities {
          Console.print("                  capabilities: \(finding)")
        }
      }
    }
    if !registry.refused.isEmpty {
      Console.print("")
      Console.print("Refused:")
      for refusal in registry.refused {
        Console.print("  \(refusal.path): \(refusal.reason)")
      }
    }
  }
}

enum ConformanceTable {
  static func print(_ report: ConformanceReport) {
    Console.print("\(report.plugin): \(report.kind) \"\(report.service)\"")
    for item in report.cases {
      let mark: String
      switch item.outcome {
      case .passed: mark = "PASS"
      case .failed: mark = "FAIL"
      case .skipped: mark = "SKIP"
      }
      Console.print("  \(mark)  \(item.name): \(item.message)")
    }
    let failed = report.failures.count
    Console.print(
      failed == 0 ? "  all \(report.cases.count) cases passed" : "  \(failed) of \(report.cases.count) cases failed")
  }
}
