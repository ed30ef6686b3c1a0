import PluginKit

/// Everything `goldfish config validate` reports: each problem with its line, the notes, and
/// whether the services goldfish.yaml selects are registered by a loaded plugin.
public struct ConfigCheck: Sendable {
  public struct Problem: Sendable, Equatable, Encodable {
    public var key: String?
    public var line: Int?
    public var message: String
    public var hint: String?
    /// Who found it, when not goldfish itself: "plugin goldfish-gce (run_backend gce)".
    public var source: String? = nil
  }

  public var config: GoldfishConfig?
  public var problems: [Problem]
  public var notes: [ConfigNote]
  /// The effective section each plugin reported for the sections it owns, by section name.
  public var pluginSections: [String: JSONValue] = [:]

  public var isValid: Bool { problems.isEmpty }

  /// Checks `document` against the services `registry` holds (nil: no plugins could be loaded,
  /// so no top-level key can name a service and no selection can be confirmed).
  public static func run(_ document: ConfigDocument, registry: PluginRegistry?) -> ConfigCheck {
    let names = Set(ServiceKind.allCases.flatMap { registry?.serviceNames($0) ?? [] })
    let collected = ConfigProblems(document: document)
    let config = GoldfishConfig.read(document, serviceNames: names, problems: collected)
    if let registry { checkSelections(config, registry: registry, problems: collected) }
    GCEImageRule.check(config, document: document, problems: collected)
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

  /// Checks `document` as `run(_:registry:)` does, then asks the plugin that owns each service
  /// section (`gce:`, `process:`, ...) to check it: the plugin reports its problems (an unknown
  /// key among them) and the values in effect. The sections asked about are those written in
  /// goldfish.yaml and those of the services it selects.
  public static func run(_ document: ConfigDocument, plugins: PluginHost?) -> ConfigCheck {
    var check = run(document, registry: plugins?.registry)
    guard let plugins else { return check }
    let selected = Set(PluginHost.selectors.compactMap { selector in try? plugins.selectedName(selector.kind) })
    for kind in ServiceKind.allCases {
      for name in plugins.registry.serviceNames(kind) where document.root[name] != nil || selected.contains(name) {
        guard let answer = plugins.checkConfig(kind, name), let owner = plugins.registry.info(kind, name) else {
          continue
        }
        let source = "plugin \(owner.plugin.name) (\(kind.label) \(name))"
        check.absorb(answer, section: name, source: source, written: document.root[name] != nil, document: document)
      }
    }
    if !check.problems.isEmpty { check.config = nil }
    return check
  }

  /// Adds what one plugin said about its section.
  private mutating func absorb(
    _ answer: ServiceConfigAnswer, section: String, source: String, written: Bool, document: ConfigDocument
  ) {
    func path(_ key: String?) -> String { key.map { "\(section).\($0)" } ?? section }
    func line(_ key: String?) -> Int? { document.line(of: path(key)) ?? document.line(of: section) }
    /// "goldfish.yaml:4: gce.zone"; a key not written (a missing bucket) is placed at its section.
    func locate(_ key: String?) -> String {
      guard document.line(of: path(key)) == nil, document.line(of: section) != nil else {
        return document.locate(path(key))
      }
      let at = document.locate(section)
      return at.hasSuffix(section) ? String(at.dropLast(section.count)) + path(key) : at
    }
    switch answer {
    case .report(let report):
      for problem in report.problems {
        let entry = Problem(
          key: path(problem.key), line: line(problem.key), message: "\(locate(problem.key)): \(problem.message)",
          hint: problem.hint, source: source)
        // Two services of one name (docker's backend and builder) share a section and its problems.
        if !problems.contains(where: { $0.key == entry.key && $0.message == entry.message }) { problems.append(entry) }
      }
      for note in report.notes {
        let entry = ConfigNote(key: path(note.key), line: line(note.key), message: "\(note.message) (\(source))")
        if !notes.contains(where: { $0.key == entry.key && $0.message.hasPrefix(note.message) }) { notes.append(entry) }
      }
      // Two services of one name (docker's backend and builder) share the section: both reports count.
      let merged = (pluginSections[section]?.objectValue ?? [:]).merging(report.effective.objectValue ?? [:]) { a, _ in
        a
      }
      pluginSections[section] = .object(merged)
    case .notChecked:
      if written {
        notes.append(
          ConfigNote(
            key: section, line: document.line(of: section),
            message: "not checked: \(source) does not check its config (it is checked when the service opens)"))
      }
    case .failed(let reason):
      problems.append(
        Problem(
          key: section, line: document.line(of: section),
          message: "\(document.locate(section)): \(source) could not check this section: \(reason)", source: source))
    }
    problems = problems.enumerated().sorted { a, b in
      let (lineA, lineB) = (a.element.line ?? .max, b.element.line ?? .max)
      return lineA != lineB ? lineA < lineB : a.offset < b.offset
    }.map(\.element)
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
