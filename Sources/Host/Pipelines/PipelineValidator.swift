import Foundation
import PluginKit

/// Checks a pipeline against its workspace: the signal graph, datasets, modules and stage configs.
///
/// Unlike upstream, which only lets a stage read outputs of stages listed *before* it, stages may be
/// listed in any order: what matters is that the signals form a DAG. A cycle (including a stage
/// reading its own output) is an error that names the stages along it.
public struct PipelineValidator {
  public var workspaceDirectory: String
  /// Whether a source (dataset) of that name is registered.
  public var datasetExists: (String) -> Bool
  /// Whether a compute profile of that name resolves (built-ins plus goldfish.yaml overrides).
  public var profileExists: (String) -> Bool
  /// Profile names to suggest from when a profile is unknown.
  public var knownProfiles: [String]

  public init(
    workspaceDirectory: String, datasetExists: @escaping (String) -> Bool,
    profileExists: @escaping (String) -> Bool, knownProfiles: [String] = []
  ) {
    self.workspaceDirectory = workspaceDirectory
    self.datasetExists = datasetExists
    self.profileExists = profileExists
    self.knownProfiles = knownProfiles
  }

  /// Reads the pipeline (`pipeline.yaml`, or `pipelines/<name>.yaml`) and returns every issue found,
  /// errors and warnings. `configOverrides` maps a stage name to its runtime config override.
  public func validate(pipeline: String? = nil, configOverrides: [String: JSONValue] = [:]) -> [PipelineIssue] {
    validateAndLoad(pipeline: pipeline, configOverrides: configOverrides).issues
  }

  /// Like `validate`, but throws `pipeline_invalid` when there is any error; returns the pipeline
  /// and its warnings otherwise.
  public func check(
    pipeline: String? = nil, configOverrides: [String: JSONValue] = [:]
  ) throws(GoldfishError)
    -> (pipeline: PipelineDefinition, warnings: [PipelineIssue])
  {
    let result = validateAndLoad(pipeline: pipeline, configOverrides: configOverrides)
    if let error = result.issues.asError() { throw error }
    guard let definition = result.definition else {
      throw GoldfishError(.pipelineInvalid, "\(PipelineLoader.file(for: pipeline)) could not be read")
    }
    return (definition, result.issues.warnings)
  }

  public func validateAndLoad(pipeline: String? = nil, configOverrides: [String: JSONValue] = [:]) -> PipelineLoadResult
  {
    var result = PipelineLoader.parse(workspaceDirectory: workspaceDirectory, pipeline: pipeline)
    if let definition = result.definition {
      result.issues += validate(definition, configOverrides: configOverrides)
    }
    return result
  }

  /// The checks that need the parsed model (and the workspace on disk).
  public func validate(_ definition: PipelineDefinition, configOverrides: [String: JSONValue] = [:]) -> [PipelineIssue]
  {
    var issues: [PipelineIssue] = []
    let file = definition.file
    var firstLine: [String: Int?] = [:]
    // By name, built once: looking a stage up by scanning the list made a long chain quadratic.
    let stagesByName = Dictionary(definition.stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for stage in definition.stages {
      if let earlier = firstLine[stage.name] {
        let at = earlier.map { " (the first is at line \($0))" } ?? ""
        issues.append(
          PipelineIssue(
            .error, file: file, line: stage.line, stage: stage.name,
            "two stages are called \(stage.name)\(at); stage names must be unique"))
        continue
      }
      firstLine[stage.name] = stage.line
      issues += check(stage, in: definition, stagesByName: stagesByName, override: configOverrides[stage.name])
    }
    for cycle in definition.cycles() where cycle.count > 1 {
      let head = cycle[0]
      let input = stagesByName[head]?.inputs.first { $0.fromStage == cycle[1] }
      issues.append(
        PipelineIssue(
          .error, file: file, line: input?.line(of: "from_stage"), stage: head, signal: input?.name,
          "the stages form a cycle: \((cycle + [head]).joined(separator: " → ")) (each reads an output of the next); a stage can only read from stages that do not depend on it"
        ))
    }
    for stage in configOverrides.keys.sorted() where stagesByName[stage] == nil {
      issues.append(
        PipelineIssue(
          .error, file: file, stage: stage, "a config override names stage \(stage), which this pipeline does not have")
      )
    }
    return issues
  }

  // MARK: - One stage

  private func check(
    _ stage: StageDefinition, in definition: PipelineDefinition, stagesByName: [String: StageDefinition],
    override: JSONValue?
  )
    -> [PipelineIssue]
  {
    var issues: [PipelineIssue] = []
    let file = definition.file
    func fail(_ line: Int?, _ signal: String?, _ message: String) {
      issues.append(PipelineIssue(.error, file: file, line: line, stage: stage.name, signal: signal, message))
    }
    do throws(GoldfishError) { try Names.stage(stage.name) } catch {
      fail(stage.line, nil, error.message)
      return issues  // files named after an invalid name are not worth looking for
    }
    issues += checkFiles(of: stage, file: file)

    for (direction, signals) in [(SignalDirection.input, stage.inputs), (.output, stage.outputs)] {
      var seen: Set<String> = []
      for signal in signals {
        do throws(GoldfishError) { try Names.signal(signal.name) } catch {
          fail(signal.line, signal.name, error.message)
        }
        if !seen.insert(signal.name).inserted {
          fail(signal.line, signal.name, "two \(direction.rawValue)s are called \(signal.name)")
        }
      }
    }
    for input in stage.inputs { issues += checkInput(input, of: stage, in: definition, stagesByName: stagesByName) }
    for output in stage.outputs { issues += checkOutput(output, of: stage, file: file) }
    issues += checkConfig(of: stage, file: file, override: override)
    return issues
  }

  private func checkFiles(of stage: StageDefinition, file: String) -> [PipelineIssue] {
    var issues: [PipelineIssue] = []
    let module = "modules/\(stage.name).\(stage.runtime == .rust ? "rs" : "py")"
    do throws(GoldfishError) {
      let path = try PathConfinement.resolve(module, under: workspaceDirectory)
      var isDirectory: ObjCBool = false
      if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || isDirectory.boolValue {
        issues.append(
          PipelineIssue(
            .error, file: module, stage: stage.name,
            "the stage's module \(module) does not exist; create it (a \(stage.runtime.rawValue) stage runs \(module))")
        )
      }
    } catch {
      issues.append(PipelineIssue(.error, file: module, stage: stage.name, error.message))
    }
    if let entrypoint = stage.entrypoint {
      if stage.runtime != .rust {
        issues.append(
          PipelineIssue(
            .error, file: file, line: stage.line, stage: stage.name, "entrypoint: applies to rust stages only"))
      } else if !entrypoint.hasPrefix("entrypoints/") {
        issues.append(
          PipelineIssue(
            .error, file: file, line: stage.line, stage: stage.name,
            "entrypoint \(NameRule.quoted(entrypoint)) must be a relative path under entrypoints/"))
      } else {
        do throws(GoldfishError) {
          let path = try PathConfinement.resolve(entrypoint, under: workspaceDirectory)
          if !PathConfinement.isInside(path, root: workspaceDirectory + "/entrypoints") {
            issues.append(
              PipelineIssue(
                .error, file: file, line: stage.line, stage: stage.name,
                "entrypoint \(NameRule.quoted(entrypoint)) leaves entrypoints/"))
          }
        } catch {
          issues.append(
            PipelineIssue(.error, file: file, line: stage.line, stage: stage.name, "entrypoint: \(error.message)"))
        }
      }
    }
    return issues
  }

  private func checkInput(
    _ input: SignalDefinition, of stage: StageDefinition, in definition: PipelineDefinition,
    stagesByName: [String: StageDefinition]
  )
    -> [PipelineIssue]
  {
    var issues: [PipelineIssue] = []
    func fail(_ key: String, _ message: String) {
      issues.append(
        PipelineIssue(
          .error, file: definition.file, line: input.line(of: key), stage: stage.name, signal: input.name, message))
    }
    guard let from = input.fromStage else {
      if input.keyLines["signal"] != nil {
        fail("signal", "signal: only applies together with from_stage: (it names the upstream output)")
      }
      if input.type != .dataset && !input.typeWasUnknown {
        fail(
          "type",
          "an input without from_stage: reads a registered source, so its type must be dataset (it is \(input.type.rawValue)); add from_stage: to read another stage's output"
        )
      }
      guard let dataset = input.dataset else {
        fail(
          "dataset", "this input has neither from_stage: (another stage's output) nor dataset: (a registered source)")
        return issues
      }
      do throws(GoldfishError) {
        try Names.source(dataset)
        if !datasetExists(dataset) {
          fail(
            "dataset",
            "dataset \"\(dataset)\" is not a registered source; register it with `goldfish source register \(dataset) …`"
          )
        }
      } catch {
        fail("dataset", error.message)
      }
      return issues
    }
    if input.dataset != nil {
      fail("dataset", "an input takes either from_stage: or dataset:, not both")
    }
    if from == stage.name {
      fail("from_stage", "stage \(stage.name) reads its own output; that is a cycle")
      return issues
    }
    guard let upstream = stagesByName[from] else {
      let names = definition.stages.map(\.name)
      let suggestion = Suggest.closest(to: from, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
      let listed = names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", … (\(names.count) in all)" : "")
      fail(
        "from_stage",
        "from_stage: \"\(ValueQuote.short(from))\" is not a stage of this pipeline\(suggestion); stages: \(listed)")
      return issues
    }
    let outputName = input.signal ?? input.name
    guard let output = upstream.output(named: outputName) else {
      let outputs = upstream.outputs.map(\.name)
      let suggestion = Suggest.closest(to: outputName, in: outputs).map { " (did you mean \"\($0)\"?)" } ?? ""
      let listed = outputs.isEmpty ? "it has no outputs" : "its outputs: \(outputs.joined(separator: ", "))"
      fail(
        input.keyLines["signal"] != nil ? "signal" : "from_stage",
        "stage \(from) has no output \"\(ValueQuote.short(outputName))\"\(suggestion); \(listed)")
      return issues
    }
    if output.type != input.type && !output.typeWasUnknown && !input.typeWasUnknown {
      let note =
        input.keyLines["type"] == nil
        ? " (an input's type defaults to dataset; write type: \(output.type.rawValue))" : ""
      fail(
        "type",
        "type \(input.type.rawValue) does not match \(from).\(outputName), which is \(output.type.rawValue)\(note)")
    }
    return issues
  }

  private func checkOutput(_ output: SignalDefinition, of stage: StageDefinition, file: String) -> [PipelineIssue] {
    var issues: [PipelineIssue] = []
    if output.artifact && output.metadata == nil {
      issues.append(
        PipelineIssue(
          .warning, file: file, line: output.line(of: "artifact"), stage: stage.name, signal: output.name,
          "artifact: true without metadata:, so the output will not be registered as a source"))
    }
    if let metadata = output.metadata {
      for problem in SourceMetadata.problems(in: metadata) {
        issues.append(
          PipelineIssue(
            .error, file: file, line: output.line(of: "metadata"), stage: stage.name, signal: output.name,
            "metadata\(problem.path.isEmpty ? "" : ".\(problem.path)"): \(problem.message)"))
      }
    }
    return issues
  }

  private func checkConfig(of stage: StageDefinition, file: String, override: JSONValue?) -> [PipelineIssue] {
    let read = StageConfig.readDocument(
      workspaceDirectory: workspaceDirectory, stage: stage.name, defaults: stage.defaults, override: override)
    var issues = read.issues
    let configFile = StageConfig.file(for: stage.name)
    if let profile = read.config.profileName, !profileExists(profile) {
      let suggestion = Suggest.closest(to: profile, in: knownProfiles).map { " (did you mean \"\($0)\"?)" } ?? ""
      let listed = knownProfiles.isEmpty ? "" : "; known profiles: \(knownProfiles.joined(separator: ", "))"
      issues.append(
        PipelineIssue(
          .error, file: configFile, line: read.document?.line(of: "compute.profile"), stage: stage.name,
          "unknown compute profile \"\(profile)\"\(suggestion)\(listed)"))
    }
    if let schema = stage.configSchema {
      let result = ConfigSchemaCheck.check(schema: schema, config: read.config.values)
      for problem in result.schemaProblems {
        issues.append(PipelineIssue(.error, file: file, line: stage.line, stage: stage.name, problem.message))
      }
      for problem in result.configProblems {
        issues.append(
          PipelineIssue(
            .error, file: configFile, line: read.document?.line(of: problem.key), stage: stage.name, problem.message))
      }
    }
    return issues
  }
}
