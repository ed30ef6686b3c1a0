import Foundation
import Host
import PluginKit
import Testing

@testable import GoldfishTestSupport

/// A temporary workspace on disk: pipeline.yaml, modules/ and configs/.
struct PipelineWorkspace {
  let path: String

  init(_ pipeline: String?, modules: [String] = [], configs: [String: String] = [:]) throws {
    path = TestEnvironment.temporaryFolder("pipeline")
    if let pipeline { try write("pipeline.yaml", pipeline) }
    for module in modules { try write("modules/\(module)", "# stage\n") }
    for (stage, text) in configs { try write("configs/\(stage).yaml", text) }
  }

  func write(_ relative: String, _ text: String) throws {
    let url = URL(fileURLWithPath: path + "/" + relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  func validator(
    datasets: Set<String> = ["raw"], profiles: Set<String> = ["cpu-small", "h100-spot"]
  )
    -> PipelineValidator
  {
    PipelineValidator(
      workspaceDirectory: path, datasetExists: { datasets.contains($0) }, profileExists: { profiles.contains($0) },
      knownProfiles: profiles.sorted())
  }

  func issues(pipeline: String? = nil, overrides: [String: JSONValue] = [:]) -> [PipelineIssue] {
    validator().validate(pipeline: pipeline, configOverrides: overrides)
  }
}

/// A two-stage pipeline that validates cleanly: a dataset into prep, prep's npy into train.
let goodPipeline = """
  name: demo
  description: prepare and train
  stages:
    - name: prep
      inputs:
        raw:
          type: dataset
          dataset: raw
          schema: null
      outputs:
        features:
          type: npy
          schema: {kind: tensor, dtype: float32}
    - name: train
      inputs:
        - name: features
          type: npy
          from_stage: prep
          schema: null
      outputs:
        - name: model
          type: directory
          schema: null
  """

@Suite("Pipelines: parsing")
struct PipelineParsingTests {
  @Test("a valid pipeline in dict and list form parses into the model")
  func parsesBothForms() throws {
    let workspace = try PipelineWorkspace(
      goodPipeline, modules: ["prep.py", "train.py"], configs: ["prep": "{}\n", "train": "lr: 0.1\n"])
    let issues = workspace.issues()
    #expect(issues.isEmpty, "\(issues)")
    let pipeline = try PipelineLoader.load(workspaceDirectory: workspace.path)
    #expect(pipeline.name == "demo")
    #expect(pipeline.description == "prepare and train")
    #expect(pipeline.stages.map(\.name) == ["prep", "train"])
    let raw = try #require(pipeline.stages[0].input(named: "raw"))
    #expect(raw.type == .dataset && raw.dataset == "raw" && raw.hasSchemaKey && raw.schema == JSONValue?.none)
    let features = try #require(pipeline.stages[0].output(named: "features"))
    #expect(features.type == .npy)
    #expect(features.schema?["kind"] == "tensor")
    let input = try #require(pipeline.stages[1].input(named: "features"))
    #expect(input.fromStage == "prep")
    #expect(input.signal == "features", "signal defaults to the input's name")
    #expect(input.line == 16)
    #expect(pipeline.stages[1].runtime == .python)
  }

  @Test("shorthand inputs and outputs expand as upstream does and ask for the full form with schema:")
  func shorthands() throws {
    let yaml = """
      stages:
        - name: prep
          inputs:
            raw: imagenet
          outputs:
            - model
        - name: other
          inputs:
            - images
          outputs:
            weights: npy
      """
    let result = PipelineLoader.parse(yaml: yaml)
    let pipeline = try #require(result.definition)
    let raw = try #require(pipeline.stages[0].input(named: "raw"))
    #expect(raw.type == .dataset && raw.dataset == "imagenet" && !raw.hasSchemaKey)
    #expect(pipeline.stages[0].output(named: "model")?.type == .directory)
    #expect(pipeline.stages[1].input(named: "images")?.type == .dataset)
    #expect(
      pipeline.stages[1].output(named: "weights")?.type == .directory, "a non-mapping output value is a directory")
    let messages = result.issues.errors.map(\.description)
    #expect(messages.count == 4)
    #expect(
      messages.contains {
        $0.hasPrefix("pipeline.yaml:4: stage prep, signal raw: no schema:")
          && $0.contains("{type: dataset, dataset: imagenet, schema: null}")
      }, "\(messages)")
    #expect(messages.contains { $0.hasPrefix("pipeline.yaml:6: stage prep, signal model:") }, "\(messages)")
  }

  @Test("a missing schema: is an error naming stage, signal and line; schema: null opts out")
  func schemaRequired() throws {
    let yaml = """
      stages:
        - name: prep
          outputs:
            features:
              type: npy
            model:
              type: directory
              schema: null
      """
    let errors = PipelineLoader.parse(yaml: yaml).issues.errors
    #expect(errors.count == 1)
    let error = try #require(errors.first)
    #expect(error.stage == "prep" && error.signal == "features" && error.line == 4)
    #expect(error.message.contains("schema: null"))
  }

  @Test("an unknown stage key names the key, its line, the allowed keys and the likely fix")
  func unknownStageKey() throws {
    let yaml = "stages:\n  - name: prep\n    ouputs: {}\n"
    let error = try #require(PipelineLoader.parse(yaml: yaml).issues.errors.first)
    #expect(error.line == 3 && error.stage == "prep")
    #expect(error.message.contains("unknown key \"ouputs\""))
    #expect(error.message.contains("did you mean \"outputs\""))
    #expect(
      error.message.contains(
        "allowed keys: name, description, runtime, entrypoint, inputs, outputs, defaults, config_schema"))
  }

  @Test("an unknown signal key is reported with line and suggestion; direction-specific keys say so")
  func unknownSignalKey() throws {
    let yaml = """
      stages:
        - name: prep
          inputs:
            raw: {type: dataset, dataset: raw, schema: null,
                  from_stag: other}
          outputs:
            model: {type: directory, schema: null, from_stage: prep}
      """
    let errors = PipelineLoader.parse(yaml: yaml).issues.errors
    let typo = try #require(errors.first { $0.signal == "raw" })
    #expect(typo.description.hasPrefix("pipeline.yaml:5: stage prep, signal raw: unknown key \"from_stag\""))
    #expect(typo.message.contains("did you mean \"from_stage\""))
    let misplaced = try #require(errors.first { $0.signal == "model" })
    #expect(misplaced.line == 7)
    #expect(misplaced.message.contains("applies to inputs only"))
  }

  @Test("unknown signal types, runtimes and storage hints list what is allowed")
  func enumerations() throws {
    let yaml = """
      stages:
        - name: prep
          runtime: pyhton
          outputs:
            model: {type: tensor, storage: s3, schema: null}
      """
    let errors = PipelineLoader.parse(yaml: yaml).issues.errors
    #expect(errors.contains { $0.line == 3 && $0.message.contains("did you mean \"python\"") })
    #expect(
      errors.contains {
        $0.line == 5 && $0.signal == "model" && $0.message.contains("allowed: dataset, npy, csv, directory, file")
      })
    #expect(errors.contains { $0.message.contains("unknown storage hint \"s3\"") })
  }

  @Test("names read as booleans or numbers by YAML are refused with a hint to quote them")
  func unquotedNames() throws {
    let errors = PipelineLoader.parse(yaml: "stages:\n  - name: no\n").issues.errors
    #expect(errors.first?.message.contains("put it in quotes") == true)
  }

  @Test("broken YAML and a missing file are errors")
  func unreadable() throws {
    let broken = try PipelineWorkspace("stages: [unclosed\n")
    #expect(broken.issues().errors.first?.message.contains("is not valid YAML") == true)
    let empty = try PipelineWorkspace(nil)
    #expect(empty.issues().errors.first?.message.contains("no pipeline.yaml") == true)
    #expect(PipelineLoader.parse(yaml: "- a\n- b\n").issues.first?.message.contains("must be a mapping") == true)
    #expect(PipelineLoader.parse(yaml: "name: x\n").issues.first?.message.contains("no stages") == true)
  }

  @Test("named pipelines live in pipelines/<name>.yaml; an unknown one lists those that exist")
  func namedPipelines() throws {
    let workspace = try PipelineWorkspace(
      nil, modules: ["prep.py", "train.py"], configs: ["prep": "{}", "train": "{}"])
    try workspace.write("pipelines/full.yaml", goodPipeline)
    let pipeline = try PipelineLoader.load(workspaceDirectory: workspace.path, pipeline: "full")
    #expect(pipeline.file == "pipelines/full.yaml")
    #expect(workspace.issues(pipeline: "full").errors.isEmpty)
    #expect(workspace.issues(pipeline: "full").warnings.contains { $0.message.contains("called \"demo\"") })
    let missing = try #require(workspace.issues(pipeline: "quick").errors.first)
    #expect(missing.message.contains("pipelines here: full"))
    #expect(workspace.issues(pipeline: "../x").errors.first?.message.contains("invalid pipeline name") == true)
  }

  @Test("a pipeline.yaml that is a symlink out of the workspace is refused")
  func symlinkedPipeline() throws {
    let workspace = try PipelineWorkspace(nil)
    let outside = TestEnvironment.temporaryFolder("outside") + "/pipeline.yaml"
    try goodPipeline.write(toFile: outside, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: workspace.path + "/pipeline.yaml", withDestinationPath: outside)
    #expect(workspace.issues().errors.first?.message.contains("symbolic link") == true)
  }
}

@Suite("Pipelines: validation")
struct PipelineValidationTests {
  func workspace(
    _ yaml: String, modules: [String] = ["prep.py", "train.py"], configs: [String: String]? = nil
  ) throws
    -> PipelineWorkspace
  {
    try PipelineWorkspace(
      yaml, modules: modules,
      configs: configs
        ?? Dictionary(uniqueKeysWithValues: modules.map { (String($0.split(separator: ".")[0]), "{}\n") }))
  }

  @Test("stage names are unique and valid")
  func stageNames() throws {
    let yaml = """
      stages:
        - name: prep
        - name: prep
        - name: pre-process
      """
    let errors = try workspace(yaml).issues().errors
    #expect(
      errors.contains { $0.line == 3 && $0.message.contains("two stages are called prep (the first is at line 2)") })
    #expect(errors.contains { $0.stage == "pre-process" && $0.line == 4 && $0.message.contains("Python module") })
  }

  @Test("from_stage naming no stage and naming no output are distinct errors")
  func unknownReferences() throws {
    let yaml = """
      stages:
        - name: prep
          outputs:
            features: {type: npy, schema: null}
        - name: train
          inputs:
            a: {type: npy, from_stage: perp, schema: null}
            b: {type: npy, from_stage: prep, signal: featurs, schema: null}
      """
    let errors = try workspace(yaml).issues().errors
    let stage = try #require(errors.first { $0.signal == "a" })
    #expect(stage.description.hasPrefix("pipeline.yaml:7: stage train, signal a: from_stage: \"perp\" is not a stage"))
    #expect(stage.message.contains("did you mean \"prep\""))
    let signal = try #require(errors.first { $0.signal == "b" })
    #expect(signal.line == 8)
    #expect(
      signal.message.contains(
        "stage prep has no output \"featurs\" (did you mean \"features\"?); its outputs: features"))
  }

  @Test("connected signals must have exactly the same type")
  func typeMismatch() throws {
    let yaml = """
      stages:
        - name: prep
          outputs:
            features: {type: npy, schema: null}
        - name: train
          inputs:
            features: {type: csv, from_stage: prep, schema: null}
            implicit: {from_stage: prep, signal: features, schema: null}
      """
    let errors = try workspace(yaml).issues().errors
    #expect(
      errors.contains {
        $0.signal == "features" && $0.line == 7
          && $0.message.contains("type csv does not match prep.features, which is npy")
      })
    #expect(errors.contains { $0.signal == "implicit" && $0.message.contains("defaults to dataset") })
  }

  @Test("stages may be listed in any order; the graph decides execution order")
  func anyOrder() throws {
    let yaml = """
      stages:
        - name: train
          inputs:
            features: {type: npy, from_stage: prep, schema: null}
        - name: prep
          inputs:
            raw: {type: dataset, dataset: raw, schema: null}
          outputs:
            features: {type: npy, schema: null}
      """
    let space = try workspace(yaml)
    #expect(space.issues().errors.isEmpty, "\(space.issues())")
    let pipeline = try PipelineLoader.load(workspaceDirectory: space.path)
    #expect(pipeline.topologicalOrder() == ["prep", "train"])
  }

  @Test("a cycle between stages is refused, naming the stages along it")
  func cycle() throws {
    let yaml = """
      stages:
        - name: prep
          inputs:
            back: {type: npy, from_stage: train, signal: out, schema: null}
          outputs:
            features: {type: npy, schema: null}
        - name: train
          inputs:
            features: {type: npy, from_stage: prep, schema: null}
          outputs:
            out: {type: npy, schema: null}
      """
    let space = try workspace(yaml)
    let error = try #require(space.issues().errors.first)
    #expect(error.message.contains("cycle: prep → train → prep"), "\(error)")
    #expect(error.stage == "prep" && error.signal == "back" && error.line == 4)
    #expect(try PipelineLoader.load(workspaceDirectory: space.path).topologicalOrder().isEmpty)
  }

  @Test("a stage reading its own output is a cycle")
  func selfReference() throws {
    let yaml = """
      stages:
        - name: prep
          inputs:
            again: {type: npy, from_stage: prep, signal: features, schema: null}
          outputs:
            features: {type: npy, schema: null}
      """
    let error = try #require(try workspace(yaml).issues().errors.first)
    #expect(
      error.description == "pipeline.yaml:4: stage prep, signal again: stage prep reads its own output; that is a cycle"
    )
  }

  @Test("inputs without from_stage read a registered dataset")
  func datasets() throws {
    let yaml = """
      stages:
        - name: prep
          inputs:
            known: {type: dataset, dataset: raw, schema: null}
            unknown: {type: dataset, dataset: missing, schema: null}
            typed: {type: npy, dataset: raw, schema: null}
            nothing: {type: dataset, schema: null}
            both: {type: dataset, dataset: raw, from_stage: prep, schema: null}
      """
    let errors = try workspace(yaml, modules: ["prep.py"]).issues().errors
    #expect(!errors.contains { $0.signal == "known" })
    #expect(
      errors.contains {
        $0.signal == "unknown" && $0.line == 5 && $0.message.contains("\"missing\" is not a registered source")
      })
    #expect(errors.contains { $0.signal == "typed" && $0.message.contains("must be dataset") })
    #expect(errors.contains { $0.signal == "nothing" && $0.message.contains("neither from_stage") })
    #expect(errors.contains { $0.signal == "both" && $0.message.contains("not both") })
  }

  @Test("each stage needs its module: modules/<stage>.py, or .rs for rust")
  func modules() throws {
    let yaml = """
      stages:
        - name: prep
        - name: fast
          runtime: rust
          entrypoint: entrypoints/fast.sh
        - name: bad
          entrypoint: entrypoints/x
        - name: escape
          runtime: rust
          entrypoint: entrypoints/../../etc/passwd
      """
    let space = try workspace(yaml, modules: ["fast.rs", "bad.py", "escape.rs"])
    let errors = space.issues().errors
    #expect(
      errors.contains { $0.stage == "prep" && $0.file == "modules/prep.py" && $0.message.contains("does not exist") })
    #expect(!errors.contains { $0.stage == "fast" }, "\(errors)")
    #expect(errors.contains { $0.stage == "bad" && $0.message.contains("rust stages only") })
    #expect(errors.contains { $0.stage == "escape" && $0.message.contains("climbs above the root") })
  }

  @Test("a missing stage config is a warning; broken YAML in it is an error")
  func stageConfigFiles() throws {
    let yaml = "stages:\n  - name: prep\n  - name: train\n"
    let space = try workspace(yaml, configs: ["train": "lr: [unclosed\n"])
    let issues = space.issues()
    #expect(issues.warnings.contains { $0.stage == "prep" && $0.file == "configs/prep.yaml" })
    #expect(
      issues.errors.contains {
        $0.stage == "train" && $0.file == "configs/train.yaml" && $0.message.contains("not valid YAML")
      })
  }

  @Test("compute.profile must resolve; max_runtime_seconds must be positive")
  func compute() throws {
    let yaml = "stages:\n  - name: prep\n  - name: train\n"
    let space = try workspace(
      yaml,
      configs: [
        "prep": "compute:\n  profile: h100-spto\n  max_runtime_seconds: 0\n",
        "train": "compute:\n  profile: h100-spot\n  max_runtime_seconds: 3600\n  max_runtime_secnds: 5\n",
      ])
    let issues = space.issues()
    let profile = try #require(issues.errors.first { $0.message.contains("profile") })
    #expect(
      profile.description.hasPrefix(
        "configs/prep.yaml:2: stage prep: unknown compute profile \"h100-spto\" (did you mean \"h100-spot\"?)"))
    #expect(
      issues.errors.contains {
        $0.line == 3 && $0.message.contains("max_runtime_seconds should be a whole number of seconds from 1 to")
      })
    #expect(!issues.errors.contains { $0.stage == "train" })
    #expect(
      issues.warnings.contains { $0.stage == "train" && $0.message.contains("did you mean \"max_runtime_seconds\"") })
  }

  @Test("environment keys must be variable names; GOLDFISH_* keys are ignored with a warning")
  func environment() throws {
    let yaml = "stages:\n  - name: prep\n"
    let config = "environment:\n  GOOD_1: yes\n  COUNT: 3\n  GOLDFISH_RUN_ID: hijack\n  1BAD: x\n  BAD-KEY: y\n"
    let space = try workspace(yaml, modules: ["prep.py"], configs: ["prep": config])
    let issues = space.issues()
    #expect(issues.errors.contains { $0.line == 5 && $0.message.contains("\"1BAD\" is not a valid name") })
    #expect(issues.errors.contains { $0.line == 6 && $0.message.contains("BAD-KEY") })
    #expect(issues.warnings.contains { $0.line == 4 && $0.message.contains("GOLDFISH_RUN_ID is ignored") })
    try space.write("configs/prep.yaml", "environment:\n  GOOD_1: yes\n  COUNT: 3\n  GOLDFISH_RUN_ID: hijack\n")
    let loaded = try StageConfig.load(workspaceDirectory: space.path, stage: "prep")
    #expect(loaded.environment == ["GOOD_1": "true", "COUNT": "3"])
  }

  @Test("config_schema types are checked, bools are not numbers, required keys must be set")
  func configSchema() throws {
    let yaml = """
      stages:
        - name: prep
          defaults: {optimizer: {lr: 1}}
          config_schema:
            epochs: int
            optimizer.lr: float
            ratio: number
            name: {type: str, required: true}
            bad: tensor
      """
    let space = try workspace(yaml, modules: ["prep.py"], configs: ["prep": "epochs: true\nratio: 0.5\n"])
    let errors = space.issues().errors
    #expect(
      errors.contains {
        $0.file == "configs/prep.yaml" && $0.line == 1
          && $0.message.contains("epochs should be int per config_schema, but is the boolean true")
      })
    #expect(!errors.contains { $0.message.contains("optimizer.lr") }, "a whole number passes for float")
    #expect(!errors.contains { $0.message.contains("ratio") })
    #expect(errors.contains { $0.message.contains("name is required by config_schema") })
    #expect(errors.contains { $0.file == "pipeline.yaml" && $0.message.contains("unknown type \"tensor\"") })
  }

  @Test("output metadata is checked; artifact without metadata warns")
  func outputMetadata() throws {
    let yaml = """
      stages:
        - name: prep
          outputs:
            model: {type: directory, artifact: true, schema: null}
            table:
              type: csv
              artifact: true
              schema: null
              metadata: {schema_version: 1, description: short}
      """
    let issues = try workspace(yaml, modules: ["prep.py"]).issues()
    #expect(issues.warnings.contains { $0.signal == "model" && $0.message.contains("will not be registered") })
    #expect(
      issues.errors.contains { $0.signal == "table" && $0.line == 9 && $0.message.contains("metadata.description") })
  }

  @Test("the thrown error names file, line, stage and signal of the first error and lists every issue")
  func thrownError() throws {
    let yaml = """
      stages:
        - name: train
          inputs:
            features: {type: npy, from_stage: nowhere, schema: null}
      """
    let space = try workspace(yaml, modules: ["train.py"], configs: [:])
    do {
      _ = try space.validator().check()
      Issue.record("expected an error")
    } catch {
      #expect(error.code == .pipelineInvalid)
      #expect(
        error.message.hasPrefix("pipeline.yaml:4: stage train, signal features: from_stage: \"nowhere\""),
        "\(error.message)")
      let listed = try #require(error.detail["issues"]?.arrayValue)
      #expect(listed.count == 2, "the error and the missing-config warning")
      #expect(listed.first?["line"] == 4)
    }
  }
}

@Suite("Pipelines: graph and stage configs")
struct PipelineGraphTests {
  func stage(_ name: String, from: [String] = []) -> StageDefinition {
    StageDefinition(
      name: name, inputs: from.map { SignalDefinition(name: "in_\($0)", direction: .input, type: .npy, fromStage: $0) },
      outputs: [SignalDefinition(name: "out", direction: .output, type: .npy)])
  }

  @Test("dependencies, downstream and topological order follow the signals")
  func graph() {
    // d reads b and c; b and c read a; e is independent; listed out of order.
    let pipeline = PipelineDefinition(
      name: "g",
      stages: [stage("d", from: ["b", "c"]), stage("c", from: ["a"]), stage("e"), stage("b", from: ["a"]), stage("a")])
    #expect(pipeline.dependencies(of: "d") == ["b", "c"])
    #expect(pipeline.dependencies(of: "a").isEmpty)
    #expect(pipeline.downstream(of: "a") == ["b", "c", "d"])
    #expect(pipeline.downstream(of: "d").isEmpty)
    #expect(pipeline.topologicalOrder() == ["e", "a", "c", "b", "d"])
    #expect(pipeline.cycles().isEmpty)
  }

  @Test("stage config layers: pipeline defaults, then the file, then the override; nested mappings merge one level")
  func mergeOrder() throws {
    let space = try PipelineWorkspace(
      nil,
      configs: [
        "train":
          "lr: 0.01\nepochs: 5\ncompute:\n  profile: cpu-small\n  max_runtime_seconds: 600\nhints: {spot_ok: true}\ndashboard_metrics: [train/loss]\n"
      ])
    let config = try StageConfig.load(
      workspaceDirectory: space.path, stage: "train",
      defaults: ["lr": .double(0.1), "batch": 32, "compute": ["capacity_wait_seconds": 60]],
      override: ["epochs": 1, "compute": ["profile": "h100-spot"]])
    #expect(config.values["lr"] == JSONValue.double(0.01))
    #expect(config.values["batch"] == 32)
    #expect(config.values["epochs"] == 1)
    #expect(config.profileName == "h100-spot")
    #expect(config.maxRuntimeSeconds == 600, "an override of compute.profile keeps the file's max_runtime_seconds")
    #expect(config.capacityWaitSeconds == 60)
    #expect(config.hints == ["spot_ok": true])
    #expect(config.dashboardMetrics == ["train/loss"])
    #expect(config.fileExists)
    let merged = StageConfig.merge([["a": ["b": ["c": 1, "d": 2]]], ["a": ["b": ["c": 3]]]])
    #expect(merged["a"]?["b"] == ["c": 3], "merging stops one level down")
  }

  @Test("a missing config file loads as empty; an invalid one throws with its line")
  func loadErrors() throws {
    let space = try PipelineWorkspace(nil, configs: ["bad": "compute:\n  max_runtime_seconds: -5\n"])
    let empty = try StageConfig.load(workspaceDirectory: space.path, stage: "absent")
    #expect(empty.values == [:] && !empty.fileExists && empty.profileName == nil)
    do {
      _ = try StageConfig.load(workspaceDirectory: space.path, stage: "bad")
      Issue.record("expected an error")
    } catch {
      #expect(error.code == .stageConfigInvalid)
      #expect(error.message.hasPrefix("configs/bad.yaml:2: stage bad:"), "\(error.message)")
    }
  }
}
