import PluginKit

/// A parsed pipeline: `pipeline.yaml` or `pipelines/<name>.yaml` of a workspace.
public struct PipelineDefinition: Sendable, Equatable {
  public var name: String
  public var description: String
  /// In the order they are listed; execution order comes from the signals (see `topologicalOrder()`).
  public var stages: [StageDefinition]
  /// The file it was read from, relative to the workspace ("pipeline.yaml").
  public var file: String

  public init(name: String, description: String = "", stages: [StageDefinition], file: String = "pipeline.yaml") {
    self.name = name
    self.description = description
    self.stages = stages
    self.file = file
  }

  public func stage(named name: String) -> StageDefinition? {
    stages.first { $0.name == name }
  }
}

public enum StageRuntime: String, Sendable, Equatable, CaseIterable {
  case python, rust
}

public struct StageDefinition: Sendable, Equatable {
  public var name: String
  public var description: String?
  public var runtime: StageRuntime
  /// Rust stages only: a path under `entrypoints/`.
  public var entrypoint: String?
  public var inputs: [SignalDefinition]
  public var outputs: [SignalDefinition]
  /// The lowest layer of the stage config (see `StageConfig.merge`).
  public var defaults: JSONValue?
  /// `{dotted.key: "int|float|number|bool|str|list|dict"}` or `{dotted.key: {type:, required:}}`.
  public var configSchema: JSONValue?
  /// Line of the stage's entry in the pipeline file, for messages.
  public var line: Int?

  public init(
    name: String, description: String? = nil, runtime: StageRuntime = .python, entrypoint: String? = nil,
    inputs: [SignalDefinition] = [], outputs: [SignalDefinition] = [], defaults: JSONValue? = nil,
    configSchema: JSONValue? = nil, line: Int? = nil
  ) {
    self.name = name
    self.description = description
    self.runtime = runtime
    self.entrypoint = entrypoint
    self.inputs = inputs
    self.outputs = outputs
    self.defaults = defaults
    self.configSchema = configSchema
    self.line = line
  }

  public func input(named name: String) -> SignalDefinition? { inputs.first { $0.name == name } }
  public func output(named name: String) -> SignalDefinition? { outputs.first { $0.name == name } }
}

public enum SignalType: String, Sendable, Equatable, CaseIterable {
  case dataset, npy, csv, directory, file
}

public enum SignalDirection: String, Sendable, Equatable {
  case input, output
}

public struct SignalDefinition: Sendable, Equatable {
  public var name: String
  public var direction: SignalDirection
  public var type: SignalType
  /// Inputs only: the stage whose output feeds this input.
  public var fromStage: String?
  /// Inputs with `fromStage`: the upstream output's name (the input's own name when not written).
  public var signal: String?
  /// Inputs without `fromStage`: the registered source to read.
  public var dataset: String?
  /// A storage hint: gcs | hyperdisk | local.
  public var storage: String?
  /// Overrides the load/save format.
  public var format: String?
  /// Outputs only: register the output as a source when it also carries valid `metadata`.
  public var artifact: Bool
  /// Outputs only: source metadata used for that registration (see `SourceMetadata`).
  public var metadata: JSONValue?
  /// The SVS contract; `nil` both when absent and when written `schema: null` (see `hasSchemaKey`).
  public var schema: JSONValue?
  /// Whether `schema:` was written at all: it is mandatory, `schema: null` opts out.
  public var hasSchemaKey: Bool
  public var description: String?
  /// Line of the signal in the pipeline file, and of each key inside it ("from_stage": 14).
  public var line: Int?
  public var keyLines: [String: Int]
  /// Set by the parser when `type:` named no known type, so the validator does not pile a type
  /// mismatch on top of that error.
  var typeWasUnknown = false

  public init(
    name: String, direction: SignalDirection, type: SignalType? = nil, fromStage: String? = nil,
    signal: String? = nil, dataset: String? = nil, storage: String? = nil, format: String? = nil,
    artifact: Bool = false, metadata: JSONValue? = nil, schema: JSONValue? = nil, hasSchemaKey: Bool = true,
    description: String? = nil, line: Int? = nil, keyLines: [String: Int] = [:]
  ) {
    self.name = name
    self.direction = direction
    self.type = type ?? (direction == .input ? .dataset : .directory)
    self.fromStage = fromStage
    self.signal = signal ?? (fromStage == nil ? nil : name)
    self.dataset = dataset
    self.storage = storage
    self.format = format
    self.artifact = artifact
    self.metadata = metadata
    self.schema = schema
    self.hasSchemaKey = hasSchemaKey
    self.description = description
    self.line = line
    self.keyLines = keyLines
  }

  func line(of key: String) -> Int? { keyLines[key] ?? line }
}
