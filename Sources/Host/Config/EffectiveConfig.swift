import Foundation
import PluginKit

extension GoldfishConfig {
  /// The config as Goldfish uses it: every key of every section, defaults filled in, migrations
  /// applied, unset optional values as null. Loading it again gives the same config.
  /// `pluginSections` are the effective sections the plugins reported (`check_config`), by
  /// section name: the plugin's keys, beside the host's own keys of a shared section
  /// (`gce.warm_pool`, `docker.base_images`, ...). A section no plugin reported is shown as written.
  public func effectiveJSON(pluginSections: [String: JSONValue] = [:]) -> JSONValue {
    var fields: [String: JSONValue] = [
      "project_name": .string(projectName), "dev_repo_path": .string(devRepoPath),
      "workspaces_dir": .string(workspacesDir), "slots": .list(slots), "invariants": .list(invariants),
      "state_md": stateMD.json, "audit": audit.json, "defaults": defaults.json, "jobs": jobs.json,
      "storage": storage.json, "gcs": gcs ?? .null, "versioning": versioning.json, "gce": gce?.json ?? .null,
      "docker": docker.json, "svs": svs.json, "metrics": metrics.json,
      "pre_run_review": preRunReview.json, "plugins": plugins.json, "backup": backup.json,
    ]
    for (name, section) in services { fields[name] = section }
    for (name, reported) in pluginSections {
      let keys = Self.hostKeys(of: name)
      let host = (fields[name]?.objectValue ?? [:]).filter { keys.contains($0.key) }
      fields[name] = .object((reported.objectValue ?? [:]).merging(host) { _, host in host })
    }
    return .object(fields)
  }

  /// The keys the host reads itself in a section shared with a plugin.
  static func hostKeys(of section: String) -> [String] {
    switch section {
    case "gce": return GCEConfig.hostKeys
    case "docker": return DockerConfig.hostKeys
    default: return ["warm_pool"]
    }
  }

  /// `effectiveJSON()` as YAML, sections in the order of `sectionKeys`, then service sections.
  public func effectiveYAML(pluginSections: [String: JSONValue] = [:]) -> String {
    let order = Self.sectionKeys + services.keys.sorted() + pluginSections.keys.sorted()
    return ConfigYAML.render(effectiveJSON(pluginSections: pluginSections), topLevelOrder: order)
  }
}

/// A small YAML writer for `config show`: block mappings, flow lists of scalars, and strings
/// quoted whenever reading them back could give anything but the same string.
enum ConfigYAML {
  static func render(_ value: JSONValue, topLevelOrder: [String]) -> String {
    var lines: [String] = []
    if case .object(let fields) = value {
      let ordered =
        topLevelOrder.filter { fields[$0] != nil } + fields.keys.filter { !topLevelOrder.contains($0) }.sorted()
      for key in ordered { entry(key, fields[key] ?? .null, indent: "", into: &lines) }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private static func entry(_ key: String, _ value: JSONValue, indent: String, into lines: inout [String]) {
    let name = scalar(.string(key))
    switch value {
    case .object(let fields) where !fields.isEmpty:
      lines.append("\(indent)\(name):")
      for child in fields.keys.sorted() { entry(child, fields[child] ?? .null, indent: indent + "  ", into: &lines) }
    case .array(let items) where items.contains(where: { $0.objectValue != nil || $0.arrayValue != nil }):
      lines.append("\(indent)\(name):")
      for item in items {
        guard case .object(let fields) = item, !fields.isEmpty else {
          lines.append("\(indent)  - \(inline(item))")
          continue
        }
        var nested: [String] = []
        for child in fields.keys.sorted() {
          entry(child, fields[child] ?? .null, indent: indent + "    ", into: &nested)
        }
        if var first = nested.first {
          first.replaceSubrange(
            first.startIndex..<first.index(first.startIndex, offsetBy: indent.count + 2), with: indent + "- ")
          nested[0] = first
        }
        lines.append(contentsOf: nested)
      }
    default:
      lines.append("\(indent)\(name): \(inline(value))")
    }
  }

  private static func inline(_ value: JSONValue) -> String {
    switch value {
    case .object(let fields):
      return "{"
        + fields.keys.sorted().map { "\(scalar(.string($0))): \(inline(fields[$0] ?? .null))" }
        .joined(separator: ", ") + "}"
    case .array(let items): return "[" + items.map(inline).joined(separator: ", ") + "]"
    default: return scalar(value)
    }
  }

  private static func scalar(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .int(let number): return "\(number)"
    case .double(let number): return "\(number)"
    case .string(let text): return isPlain(text) ? text : quoted(text)
    case .array, .object: return inline(value)
    }
  }

  private static let plainFirst = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/")
  private static let plainBody = plainFirst.union("-.@")

  /// Plain only when the text cannot be read back as anything else (a number, a bool, null).
  private static func isPlain(_ text: String) -> Bool {
    guard let first = text.first, plainFirst.contains(first), text.allSatisfy(plainBody.contains) else { return false }
    guard case .string(let back) = (try? ConfigDocument(yaml: "k: \(text)"))?.root["k"] ?? .null else { return false }
    return back == text
  }

  private static func quoted(_ text: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}

extension ResourceProfiles {
  /// Every profile as YAML, for `config show --profiles`.
  public var yaml: String { ConfigYAML.render(json, topLevelOrder: names) }
}

extension Project {
  /// The effective config as `goldfish config show --json` prints it: goldfish's own keys from
  /// `config`, and each plugin's section as that plugin reports it (`check_config`).
  public func effectiveConfigJSON() -> JSONValue {
    guard let document = plugins.document else { return config.effectiveJSON() }
    return config.effectiveJSON(pluginSections: ConfigCheck.run(document, plugins: plugins).pluginSections)
  }
}
