import PluginKit

/// Everything `goldfish config validate` reports: each problem with its line, the notes, and
/// whether the services goldfish.yaml selects are registered by a loaded plugin.
public struct ConfigCheck: Sendable {
  public struct Problem: Sendable, Equatable, Encodable {
    public var key: String?
    public var line: Int?
    public var message: String
    public var hint: String?
  }

  public var config: GoldfishConfig?
  public var problems: [Problem]
  public var notes: [ConfigNote]

  public var isValid: Bool { problems.isEmpty }

  /// Checks `document` against the services `registry` holds (nil: no plugins could be loaded,
  /// so no top-level key can name a service and no selection can be confirmed).
  public static func run(_ document: ConfigDocument, registry: PluginRegistry?) -> ConfigCheck {
    let names = Set(ServiceKind.allCases.flatMap { registry?.serviceNames($0) ?? [] })
    let collected = ConfigProblems(document: document)
    let config = GoldfishConfig.read(document, serviceNames: names, problems: collected)
    if let registry { checkSelections(config, registry: registry, problems: collected) }
    do {
      try collected.finish()
      return ConfigCheck(config: config, problems: [], notes: collected.notes)
    } catch {
      let list = error.detail["errors"]?.arrayValue ?? []
      let problems = list.map { entry in
        Problem(
          key: entry["key"]?.stringValue, line: entry["line"]?.intValue.map(Int.init),
          message: entry["message"]?.stringValue ?? "", hint: entry["hint"]?.stringValue)
      }
      return ConfigCheck(config: nil, problems: problems, notes: collected.notes)
    }
  }

  /// `jobs.backend`, `storage.backend` and `jobs.image_builder` must name a registered service of
  /// their kind, or nothing can run; saying so here beats failing at the first run.
  static func checkSelections(_ config: GoldfishConfig, registry: PluginRegistry, problems: ConfigProblems) {
    let selections: [(ServiceKind, String, String?)] = [
      (.runBackend, "jobs.backend", config.jobs.backend), (.objectStorage, "storage.backend", config.storage.backend),
      (.imageBuilder, "jobs.image_builder", config.jobs.imageBuilder),
    ]
    for (kind, key, name) in selections {
      guard let name else { continue }
      let available = registry.serviceNames(kind)
      guard !available.contains(name) else { continue }
      let suggestion = Suggest.closest(to: name, in: available)
      problems.add(
        ConfigError.invalid(
          problems.document, key, "no loaded plugin registers the \(kind.label) \"\(name)\"",
          hint: (suggestion.map { "did you mean \"\($0)\"? " } ?? "")
            + "available: \(available.isEmpty ? "none" : available.joined(separator: ", "))"
            + "; `goldfish plugins list` shows what was loaded and what was refused"))
    }
  }
}
