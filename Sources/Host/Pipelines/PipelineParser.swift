import PluginKit

/// Turns the JSON tree of a pipeline file into the model, collecting every problem with its line.
struct PipelineParser {
  let document: ConfigDocument
  let file: String
  var issues: [PipelineIssue] = []

  static let pipelineKeys = ["name", "description", "stages"]
  static let stageKeys = [
    "name", "description", "runtime", "entrypoint", "inputs", "outputs", "defaults", "config_schema",
  ]
  static let inputKeys = [
    "name", "type", "from_stage", "signal", "dataset", "storage", "format", "schema", "description",
  ]
  static let outputKeys = ["name", "type", "storage", "format", "artifact", "metadata", "schema", "description"]
  static let storageHints = ["gcs", "hyperdisk", "local"]

  init(document: ConfigDocument, file: String) {
    self.document = document
    self.file = file
  }

  mutating func pipeline(defaultName: String, namedPipeline: String?) -> PipelineDefinition {
    let root = document.root.objectValue ?? [:]
    unknownKeys(in: root, at: "", allowed: Self.pipelineKeys, stage: nil, signal: nil)
    var name = defaultName
    if let value = root["name"], !value.isNull {
      if let text = string(value, at: "name", stage: nil, signal: nil) { name = text }
      if let namedPipeline, name != namedPipeline {
        report(
          .warning, at: "name",
          "the pipeline is called \"\(name)\" but lives in \(file); it is run as \"\(namedPipeline)\"")
      }
    }
    let description =
      root["description"].flatMap { optionalString($0, at: "description", stage: nil, signal: nil) } ?? ""
    var stages: [StageDefinition] = []
    switch root["stages"] {
    case nil, .null?:
      report(.error, at: nil, "no stages: list; a pipeline needs at least one stage")
    case .array(let items)?:
      if items.isEmpty {
        report(.error, at: "stages", "the stages: list is empty; a pipeline needs at least one stage")
      }
      for (index, item) in items.enumerated() {
        if let stage = stage(item, at: "stages[\(index)]") { stages.append(stage) }
      }
    case .some:
      report(.error, at: "stages", "stages: should be a list (\"- name: train\"), one item per stage")
    }
    return PipelineDefinition(name: name, description: description, stages: stages, file: file)
  }

  // MARK: - Stages

  private mutating func stage(_ value: JSONValue, at path: String) -> StageDefinition? {
    guard let fields = value.objectValue else {
      report(.error, at: path, "each stage should be a mapping with name:, inputs:, outputs:")
      return nil
    }
    guard let nameValue = fields["name"], !nameValue.isNull else {
      report(.error, at: path, "this stage has no name:")
      return nil
    }
    guard let name = string(nameValue, at: "\(path).name", stage: nil, signal: nil) else { return nil }
    unknownKeys(in: fields, at: path, allowed: Self.stageKeys, stage: name, signal: nil)
    var stage = StageDefinition(name: name, line: document.line(of: "\(path).name") ?? document.line(of: path))
    stage.description = fields["description"].flatMap {
      optionalString($0, at: "\(path).description", stage: name, signal: nil)
    }
    if let runtime = fields["runtime"], !runtime.isNull {
      if let text = string(runtime, at: "\(path).runtime", stage: name, signal: nil) {
        if let known = StageRuntime(rawValue: text) {
          stage.runtime = known
        } else {
          report(
            .error, at: "\(path).runtime", stage: name,
            "unknown runtime \"\(ValueQuote.short(text))\"\(didYouMean(text, StageRuntime.allCases.map(\.rawValue))); allowed: python, rust"
          )
        }
      }
    }
    stage.entrypoint = fields["entrypoint"].flatMap {
      optionalString($0, at: "\(path).entrypoint", stage: name, signal: nil)
    }
    stage.defaults = mapping(fields["defaults"], at: "\(path).defaults", stage: name, what: "defaults:")
    stage.configSchema = mapping(
      fields["config_schema"], at: "\(path).config_schema", stage: name, what: "config_schema:")
    stage.inputs = signals(fields["inputs"], at: "\(path).inputs", direction: .input, stage: name)
    stage.outputs = signals(fields["outputs"], at: "\(path).outputs", direction: .output, stage: name)
    return stage
  }

  // MARK: - Signals

  private mutating func signals(
    _ value: JSONValue?, at path: String, direction: SignalDirection, stage: String
  )
    -> [SignalDefinition]
  {
    var result: [SignalDefinition] = []
    switch value {
    case nil, .null?:
      return []
    case .object(let fields)?:
      // JSON objects forget order; the file's order is the one a person expects back.
      let names = fields.keys.sorted {
        (document.line(of: "\(path).\($0)") ?? 0, $0) < (document.line(of: "\(path).\($1)") ?? 0, $1)
      }
      for name in names {
        let itemPath = "\(path).\(name)"
        let item = fields[name] ?? .null
        if let signal = signal(name: name, item, at: itemPath, direction: direction, stage: stage, listForm: false) {
          result.append(signal)
        }
      }
    case .array(let items)?:
      for (index, item) in items.enumerated() {
        let itemPath = "\(path)[\(index)]"
        if let name = item.stringValue {
          result.append(shorthand(name: name, at: itemPath, direction: direction, stage: stage, dataset: nil))
          continue
        }
        guard let fields = item.objectValue else {
          report(
            .error, at: itemPath, stage: stage,
            "each \(direction.rawValue) should be a mapping with name:, type:, schema:")
          continue
        }
        guard let nameValue = fields["name"],
          let name = string(nameValue, at: "\(itemPath).name", stage: stage, signal: nil)
        else {
          if fields["name"] == nil {
            report(.error, at: itemPath, stage: stage, "this \(direction.rawValue) has no name:")
          }
          continue
        }
        if let signal = signal(name: name, item, at: itemPath, direction: direction, stage: stage, listForm: true) {
          result.append(signal)
        }
      }
    case .some:
      report(
        .error, at: path, stage: stage,
        "\(direction.rawValue)s should be a mapping (name: {type: …, schema: …}) or a list (- name: …)")
    }
    return result
  }

  private mutating func signal(
    name: String, _ value: JSONValue, at path: String, direction: SignalDirection, stage: String, listForm: Bool
  ) -> SignalDefinition? {
    guard let fields = value.objectValue else {
      if direction == .input, let dataset = value.stringValue {
        return shorthand(name: name, at: path, direction: direction, stage: stage, dataset: dataset)
      }
      if direction == .output || value.isNull {
        return shorthand(name: name, at: path, direction: direction, stage: stage, dataset: nil)
      }
      report(
        .error, at: path, stage: stage, signal: name,
        "should be a mapping such as {type: dataset, dataset: NAME, schema: null}")
      return nil
    }
    let allowed = direction == .input ? Self.inputKeys : Self.outputKeys
    unknownKeys(
      in: fields, at: path, allowed: listForm ? allowed : allowed.filter { $0 != "name" }, stage: stage, signal: name)
    if !listForm, let written = fields["name"]?.stringValue, written != name {
      report(
        .error, at: "\(path).name", stage: stage, signal: name,
        "name: \"\(ValueQuote.short(written))\" differs from its key \"\(ValueQuote.short(name))\"")
    }
    var keyLines: [String: Int] = [:]
    for key in fields.keys { keyLines[key] = document.line(of: "\(path).\(key)") }
    func text(_ key: String) -> String? {
      fields[key].flatMap { optionalString($0, at: "\(path).\(key)", stage: stage, signal: name) }
    }
    var signal = SignalDefinition(
      name: name, direction: direction, fromStage: text("from_stage"), signal: text("signal"), dataset: text("dataset"),
      storage: text("storage"), format: text("format"), hasSchemaKey: fields.keys.contains("schema"),
      description: text("description"), line: document.line(of: path), keyLines: keyLines)
    if let type = text("type") {
      if let known = SignalType(rawValue: type) {
        signal.type = known
      } else {
        signal.typeWasUnknown = true
        report(
          .error, at: "\(path).type", stage: stage, signal: name,
          "unknown type \"\(ValueQuote.short(type))\"\(didYouMean(type, SignalType.allCases.map(\.rawValue))); allowed: "
            + SignalType.allCases.map(\.rawValue).joined(separator: ", "))
      }
    }
    if let storage = signal.storage, !Self.storageHints.contains(storage) {
      report(
        .error, at: "\(path).storage", stage: stage, signal: name,
        "unknown storage hint \"\(ValueQuote.short(storage))\"\(didYouMean(storage, Self.storageHints)); allowed: gcs, hyperdisk, local"
      )
    }
    if let artifact = fields["artifact"], !artifact.isNull {
      if let flag = artifact.boolValue {
        signal.artifact = flag
      } else {
        report(.error, at: "\(path).artifact", stage: stage, signal: name, "artifact: should be true or false")
      }
    }
    signal.metadata = mapping(fields["metadata"], at: "\(path).metadata", stage: stage, signal: name, what: "metadata:")
    if let schema = fields["schema"] {
      if schema.isNull || schema.objectValue != nil {
        signal.schema = schema.isNull ? JSONValue?.none : schema  // not `nil`: JSONValue is nil-literal-expressible
      } else {
        report(
          .error, at: "\(path).schema", stage: stage, signal: name,
          "schema: should be a mapping (kind: tensor | tabular | json, …) or null to opt out")
      }
    } else {
      report(
        .error, at: path, stage: stage, signal: name,
        "no schema: key; every input and output declares its schema (write `schema: null` to opt out)")
    }
    return signal
  }

  /// The shorthand forms, expanded as upstream does; they can never carry `schema:`, so they are
  /// reported with the full form to write.
  private mutating func shorthand(
    name: String, at path: String, direction: SignalDirection, stage: String, dataset: String?
  ) -> SignalDefinition {
    let signal = SignalDefinition(
      name: name, direction: direction, dataset: dataset, hasSchemaKey: false, line: document.line(of: path))
    let full =
      direction == .input
      ? "\(name): {type: dataset, dataset: \(dataset ?? "SOURCE_NAME"), schema: null}"
      : "\(name): {type: directory, schema: null}"
    report(
      .error, at: path, stage: stage, signal: name,
      "no schema: key (shorthand \(direction.rawValue)s cannot carry one); write it out, for example `\(full)`")
    return signal
  }

  // MARK: - Helpers

  mutating func unknownKeys(
    in fields: [String: JSONValue], at path: String, allowed: [String], stage: String?, signal: String?
  ) {
    for key in fields.keys.sorted() where !allowed.contains(key) {
      let keyPath = path.isEmpty ? key : "\(path).\(key)"
      var message = "unknown key \"\(ValueQuote.short(key))\""
      if signal != nil {
        if Self.inputKeys.contains(key) && !Self.outputKeys.contains(key) {
          message += " (\(key) applies to inputs only)"
        } else if Self.outputKeys.contains(key) && !Self.inputKeys.contains(key) {
          message += " (\(key) applies to outputs only)"
        }
      }
      message += didYouMean(key, allowed) + "; allowed keys: " + allowed.joined(separator: ", ")
      report(.error, at: keyPath, stage: stage, signal: signal, message)
    }
  }

  func didYouMean(_ word: String, _ candidates: [String]) -> String {
    Suggest.closest(to: word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
  }

  private mutating func string(_ value: JSONValue, at path: String, stage: String?, signal: String?) -> String? {
    if let text = value.stringValue { return text }
    let key = String(path.split(separator: ".").last ?? "")
    // YAML reads `name: no` or `name: 1e3` as a boolean or number; quoting fixes it.
    report(.error, at: path, stage: stage, signal: signal, "\(key): should be a string (put it in quotes)")
    return nil
  }

  private mutating func optionalString(_ value: JSONValue, at path: String, stage: String?, signal: String?) -> String?
  {
    value.isNull ? nil : string(value, at: path, stage: stage, signal: signal)
  }

  private mutating func mapping(
    _ value: JSONValue?, at path: String, stage: String, signal: String? = nil, what: String
  )
    -> JSONValue?
  {
    guard let value, !value.isNull else { return nil }
    guard value.objectValue != nil else {
      report(.error, at: path, stage: stage, signal: signal, "\(what) should be a mapping")
      return nil
    }
    return value
  }

  mutating func report(
    _ severity: PipelineIssue.Severity, at path: String?, stage: String? = nil, signal: String? = nil, _ message: String
  ) {
    issues.append(
      PipelineIssue(
        severity, file: file, line: path.flatMap { document.line(of: $0) }, stage: stage, signal: signal, message))
  }
}
