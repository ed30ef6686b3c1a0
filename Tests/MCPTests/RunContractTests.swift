import Foundation
import GRDB
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// Upstream's run contract on MCP `run`: a results spec is required and stored with every stage
/// run, runs carry an experiment group, inputs can be overridden per stage, and a workspace with
/// ended runs nobody finalized refuses the next run (the CLI only warns unless asked).
@Suite("run: results spec, experiment group, inputs_override and the finalization gate", .serialized)
struct RunContractTests {
  static let spec: Value = [
    "primary_metric": "loss", "direction": "minimize", "min_value": 1.0, "goal_value": 0.01,
    "dataset_split": "train", "tolerance": 0.01, "context": "mean squared error of the fitted line",
  ]

  /// A tool call; `run` goes through a real `goldfish serve` (its drivers are goldfish processes
  /// the server starts), the others through the server's code in this process.
  static func call(_ fixture: ProjectFixture, _ tool: String, _ arguments: [String: Value]) async -> CallTool.Result {
    if tool == "run" { return served(fixture, tool, arguments) }
    let tools = Dictionary(ToolRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let context = ServerContext(explicitProject: fixture.root, startDirectory: fixture.root)
    return await MCPServer.call(
      CallTool.Parameters(name: tool, arguments: arguments), tools: tools, context: context,
      server: Server(name: "t", version: "0"))
  }

  static func served(_ fixture: ProjectFixture, _ tool: String, _ arguments: [String: Value]) -> CallTool.Result {
    func failed(_ why: String) -> CallTool.Result {
      CallTool.Result(
        content: [.text(text: why, annotations: nil, _meta: nil)], structuredContent: ["message": .string(why)],
        isError: true)
    }
    do {
      let session = try MCPSession(project: fixture.root)
      let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(Value.object(arguments)))
      session.callTool(id: 1, tool, object as? [String: Any] ?? [:])
      session.waitForResponses([1], seconds: 600)
      let response = session.responses[1]
      session.close()
      guard let result = response?["result"] else { return failed("no result: \(String(describing: response))") }
      return try JSONDecoder().decode(
        CallTool.Result.self, from: try JSONSerialization.data(withJSONObject: result))
    } catch {
      return failed("\(error)")
    }
  }

  static func fields(_ result: CallTool.Result) -> [String: Value] { result.structuredContent?.objectValue ?? [:] }

  /// A successful call's fields; records the error otherwise.
  static func ok(
    _ result: CallTool.Result, sourceLocation: SourceLocation = #_sourceLocation
  ) -> [String: Value] {
    #expect(result.isError != true, "\(fields(result))", sourceLocation: sourceLocation)
    return fields(result)
  }

  /// A failed call's fields; records a success as a failure.
  static func failure(
    _ result: CallTool.Result, code: String, sourceLocation: SourceLocation = #_sourceLocation
  ) -> [String: Value] {
    #expect(result.isError == true, "expected \(code), got \(fields(result))", sourceLocation: sourceLocation)
    #expect(fields(result)["code"]?.stringValue == code, "\(fields(result))", sourceLocation: sourceLocation)
    return fields(result)
  }

  static func message(_ fields: [String: Value]) -> String {
    (fields["message"]?.stringValue ?? "") + " | " + (fields["hint"]?.stringValue ?? "")
  }

  /// A run started over MCP and waited for; returns its stage run ids by stage.
  static func runAndWait(
    _ fixture: ProjectFixture, _ arguments: [String: Value], sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> [String: String] {
    var arguments = arguments
    arguments["workspace"] = arguments["workspace"] ?? "w1"
    arguments["reason"] = arguments["reason"] ?? .string(goodReason)
    arguments["wait"] = true
    arguments["wait_timeout_seconds"] = 240
    let result = ok(await call(fixture, "run", arguments), sourceLocation: sourceLocation)
    #expect(result["status"]?.stringValue == "completed", "\(result)", sourceLocation: sourceLocation)
    var ids: [String: String] = [:]
    for stage in result["stage_runs"]?.arrayValue ?? [] {
      if let name = stage.objectValue?["stage"]?.stringValue, let id = stage.objectValue?["stage_run_id"]?.stringValue {
        ids[name] = id
      }
    }
    return ids
  }

  /// What the other parts of issue #13 do when a run ends: its infra outcome is recorded.
  static func ended(_ fixture: ProjectFixture, _ ids: some Sequence<String>) throws {
    for id in ids { try fixture.project.store.setInfraOutcome(id, .completed) }
  }

  static func project(audit: String = "") throws -> ProjectFixture {
    try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  min_reason_length: 15", with: "  min_reason_length: 15\n" + audit)
    }
  }

  // MARK: results_spec

  @Test("run without results_spec is refused with an example and the way to turn it off; nothing is started")
  func resultsSpecRequired() async throws {
    let fixture = try Self.project()
    let versions = try fixture.project.store.versions(of: "line").count
    let refused = Self.failure(
      await Self.call(fixture, "run", ["workspace": "w1", "stages": ["preprocess"], "reason": .string(goodReason)]),
      code: "results_spec_required")
    let text = Self.message(refused)
    #expect(text.contains("\"primary_metric\"") && text.contains("\"direction\""), "no example: \(text)")
    #expect(text.contains("audit.require_results_spec: false"), "\(text)")
    #expect(try fixture.project.store.stageRuns(limit: 10).isEmpty)
    #expect(try fixture.project.store.versions(of: "line").count == versions, "a version was made")

    let dry = Self.ok(await Self.call(fixture, "run", ["workspace": "w1", "dry_run": true]))
    #expect(dry["valid"] == true)

    let badSpec: Value = ["primary_metric": "loss", "direction": "minimize", "goal": 1]
    let invalid = Self.failure(
      await Self.call(
        fixture, "run",
        ["workspace": "w1", "stages": ["preprocess"], "reason": .string(goodReason), "results_spec": badSpec]),
      code: "invalid_argument")
    #expect(Self.message(invalid).contains("unknown key goal"), "\(invalid)")
    #expect(Self.message(invalid).contains("allowed keys: primary_metric"), "\(invalid)")
    let dryBad = Self.ok(
      await Self.call(fixture, "run", ["workspace": "w1", "dry_run": true, "results_spec": badSpec]))
    #expect(dryBad["valid"] == false, "\(dryBad)")
  }

  @Test("audit.require_results_spec: false lets a run start without one")
  func resultsSpecOptional() async throws {
    let fixture = try Self.project(audit: "  require_results_spec: false\n")
    let ids = try await Self.runAndWait(fixture, ["stages": ["preprocess"]])
    #expect(ids["preprocess"] != nil)
    #expect(try fixture.project.store.resultsSpec(ofStageRun: ids["preprocess"] ?? "") == nil)
  }

  @Test(
    "the spec and the experiment group are stored with every stage run; each has its preflight review; skip_review without a reviewer records nothing"
  )
  func specStoredOnEveryStage() async throws {
    let fixture = try Self.project()
    let result = Self.ok(
      await Self.call(
        fixture, "run",
        [
          "workspace": "w1", "stages": ["preprocess", "train"], "reason": .string(goodReason),
          "results_spec": Self.spec, "experiment_group": "lr-sweep", "skip_review": true, "wait": true,
          "wait_timeout_seconds": 240,
        ]))
    #expect(result["status"]?.stringValue == "completed", "\(result)")
    #expect(result["experiment_group"]?.stringValue == "lr-sweep")
    let pipelineRunID = try #require(result["pipeline_run_id"]?.stringValue)
    let pipelineRun = try #require(try fixture.project.store.pipelineRun(pipelineRunID))
    #expect(pipelineRun.experimentGroup == "lr-sweep")
    let stored = try JSONCoding.parse(try #require(pipelineRun.resultsSpec))
    #expect(stored.objectValue?["primary_metric"]?.stringValue == "loss")
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRunID)
    #expect(runs.count == 2)
    for run in runs {
      let spec = try #require(try fixture.project.store.resultsSpec(ofStageRun: run.id), "\(run.stage) has no spec")
      #expect(try JSONCoding.parse(spec) == stored)
      #expect(try fixture.project.store.record(ofStageRun: run.id)?.experimentGroup == "lr-sweep")
      let reviews = try fixture.project.store.reviews(ofStageRun: run.id)
      #expect(reviews.map(\.kind) == [.preflight], "\(run.stage): \(reviews)")
      #expect(reviews.first?.decision == .approved)
    }
  }

  // MARK: the finalization gate

  @Test("MCP run is refused while runs are unfinalized, naming up to three and the tools to call")
  func gateRefuses() async throws {
    let fixture = try Self.project()
    var ended: [String] = []
    for _ in 0..<2 {
      let ids = try await Self.runAndWait(fixture, ["results_spec": Self.spec, "rerun": true])
      ended += ids.values
      // Before the other parts merge, nothing records the outcome: do as they will.
      try Self.ended(fixture, ids.values)
      // Once they do, the second run here would already be refused; finalize the first three.
      if ended.count == 3 {
        try fixture.project.store.write { db in
          try db.execute(
            sql: "UPDATE run_results SET results_status = 'finalized' WHERE stage_run_id IN (?, ?, ?)",
            arguments: [ended[0], ended[1], ended[2]])
        }
      }
    }
    #expect(ended.count == 6)
    let versions = try fixture.project.store.versions(of: "line").count
    let refused = Self.failure(
      await Self.call(fixture, "run", ["workspace": "w1", "reason": .string(goodReason), "results_spec": Self.spec]),
      code: "finalization_required")
    let text = Self.message(refused)
    #expect(text.contains("3 runs not finalized"), "\(text)")
    #expect(text.contains("finalize_run") && text.contains("list_unfinalized_runs"), "\(text)")
    let pending = try fixture.project.store.unfinalizedRuns(workspace: "line")
    #expect(pending.count == 3)
    for run in pending { #expect(text.contains("\(run.stageRunID) (\(run.stage), completed)"), "\(text)") }
    let detail = refused["detail"]?.objectValue?["unfinalized"]?.objectValue
    #expect(detail?["total"] == 3 && detail?["runs"]?.arrayValue?.count == 3, "\(refused)")
    #expect(try fixture.project.store.versions(of: "line").count == versions, "a refused run made a version")

    // A fourth: three listed, one more counted.
    let extra = try await Self.runWithoutGate(fixture)
    try Self.ended(fixture, [extra])
    let four = Self.message(
      Self.failure(
        await Self.call(fixture, "run", ["workspace": "w1", "reason": .string(goodReason), "results_spec": Self.spec]),
        code: "finalization_required"))
    #expect(four.contains("4 runs not finalized") && four.contains("and 1 more"), "\(four)")

    // A dry run still answers.
    #expect(Self.ok(await Self.call(fixture, "run", ["workspace": "w1", "dry_run": true]))["valid"] == true)

    // Finalized, the gate opens.
    try fixture.project.store.write { db in
      try db.execute(sql: "UPDATE run_results SET results_status = 'finalized'")
    }
    _ = try await Self.runAndWait(fixture, ["stages": ["preprocess"], "results_spec": Self.spec, "rerun": true])
  }

  /// A run started while the gate is open (through Host, as the CLI does).
  static func runWithoutGate(_ fixture: ProjectFixture) async throws -> String {
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"], rerun: true)
    return try #require(runs.first?.id)
  }

  @Test("audit.finalization_gate: false lets runs through; the CLI warns but runs unless enforce_on_cli is set")
  func gateSettings() async throws {
    let open = try Self.project(audit: "  finalization_gate: false\n")
    let first = try await Self.runAndWait(open, ["stages": ["preprocess"], "results_spec": Self.spec])
    try Self.ended(open, first.values)
    _ = try await Self.runAndWait(open, ["stages": ["preprocess"], "results_spec": Self.spec, "rerun": true])

    let cli = try Self.project()
    let (_, runs) = try SamplePipeline.run(cli, ["preprocess"])
    try Self.ended(cli, runs.map(\.id))
    let warned = Command.goldfish(
      ["run", "w1", "preprocess", "--rerun", "--wait", "--reason", goodReason], cwd: cli.root)
    #expect(warned.status == 0, "\(warned.stderr)")
    #expect(
      warned.stderr.contains("warning: line has 1 run not finalized: \(runs[0].id) (preprocess, completed)"),
      "\(warned.stderr)")

    let strict = try Self.project(audit: "  enforce_on_cli: true\n")
    let (_, strictRuns) = try SamplePipeline.run(strict, ["preprocess"])
    try Self.ended(strict, strictRuns.map(\.id))
    let spec = "@" + strict.root + "/spec.json"
    try JSONCoding.encode(MCPValue.json(Self.spec)).write(
      toFile: String(spec.dropFirst()), atomically: true, encoding: .utf8)
    let refused = Command.goldfish(
      ["run", "w1", "preprocess", "--rerun", "--results-spec", spec, "--reason", goodReason], cwd: strict.root)
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("not finalized") && refused.stderr.contains("finalize_run"), "\(refused.stderr)")
    let noSpec = Command.goldfish(["run", "w1", "preprocess", "--rerun", "--reason", goodReason], cwd: strict.root)
    #expect(noSpec.status != 0 && noSpec.stderr.contains("results_spec"), "\(noSpec.stderr)")
  }

  @Test("goldfish run --results-spec @file, --experiment-group and --input are stored with the run")
  func cliArguments() throws {
    let fixture = try Self.project()
    let (_, first) = try SamplePipeline.run(fixture, ["preprocess"])
    let preprocess = try #require(first.first?.id)
    // A later run of preprocess is what the pipeline's wiring would pick; --input picks the first.
    let (_, later) = try SamplePipeline.run(fixture, ["preprocess"], rerun: true)
    #expect(later.first?.id != preprocess)
    let specFile = fixture.root + "/spec.json"
    try JSONCoding.encode(MCPValue.json(Self.spec)).write(toFile: specFile, atomically: true, encoding: .utf8)
    let result = Command.goldfish(
      [
        "run", "w1", "train", "--wait", "--json", "--results-spec", "@" + specFile, "--experiment-group", "cli-group",
        "--input", "train.features=\(preprocess):features", "--reason", goodReason,
      ], cwd: fixture.root)
    #expect(result.status == 0, "\(result.stderr)")
    let train = try #require(try fixture.project.store.stageRuns(stage: "train", limit: 1).first)
    #expect(try fixture.project.store.resultsSpec(ofStageRun: train.id) != nil)
    #expect(try fixture.project.store.record(ofStageRun: train.id)?.experimentGroup == "cli-group")
    let input = try fixture.project.store.signals(of: train.id).first { $0.direction == "input" }
    #expect(input?.sourceStageRunID == preprocess)

    let badJSON = Command.goldfish(
      ["run", "w1", "train", "--results-spec", "{not json", "--reason", goodReason], cwd: fixture.root)
    #expect(badJSON.status != 0 && badJSON.stderr.contains("--results-spec is not JSON"), "\(badJSON.stderr)")
    let badInput = Command.goldfish(
      ["run", "w1", "train", "--input", "features", "--reason", goodReason], cwd: fixture.root)
    #expect(badInput.status != 0 && badInput.stderr.contains("STAGE.INPUT=REF"), "\(badInput.stderr)")
  }

  // MARK: inputs_override

  @Test("inputs_override reads a chosen run's output, a source or a path, and lineage records it")
  func inputsOverride() async throws {
    let fixture = try Self.project(audit: "  finalization_gate: false\n")
    let older = try #require(
      try await Self.runAndWait(fixture, ["stages": ["preprocess"], "results_spec": Self.spec])["preprocess"])
    let newer = try #require(
      try await Self.runAndWait(fixture, ["stages": ["preprocess"], "results_spec": Self.spec, "rerun": true])[
        "preprocess"])
    #expect(older != newer)

    // A flat dict with one stage: the older run, not the latest one the wiring would pick.
    let train = try #require(
      try await Self.runAndWait(
        fixture, ["stages": ["train"], "results_spec": Self.spec, "inputs_override": ["features": .string(older)]])[
          "train"])
    let trainInput = try fixture.project.store.signals(of: train).first { $0.direction == "input" }
    #expect(trainInput?.sourceStageRunID == older, "\(String(describing: trainInput))")
    let stored = try #require(try fixture.project.store.stageRun(train)?.pipelineRunID).flatMap {
      try fixture.project.store.pipelineRun($0)?.inputsOverride
    }
    #expect(stored?.contains(older) == true, "\(stored ?? "nil")")

    // {from_run, signal}, nested.
    let explicit = try #require(
      try await Self.runAndWait(
        fixture,
        [
          "stages": ["train"], "results_spec": Self.spec,
          "inputs_override": ["train": ["features": ["run_id": .string(newer), "signal": "features"]]],
        ])["train"])
    #expect(
      try fixture.project.store.signals(of: explicit).first { $0.direction == "input" }?.sourceStageRunID == newer)

    // A registered source and a path, for preprocess's dataset input.
    _ = try fixture.project.sources.register(
      .init(
        name: "points2", location: SamplePipeline.samples + "/points.csv", description: "the same points again",
        metadata: nil, reason: goodReason))
    let fromSource = try #require(
      try await Self.runAndWait(
        fixture, ["stages": ["preprocess"], "results_spec": Self.spec, "inputs_override": ["raw": "points2"]])[
          "preprocess"])
    #expect(
      try fixture.project.store.signals(of: fromSource).first { $0.direction == "input" }?.sourceName == "points2")
    let csv = fixture.root + "/other.csv"
    try FileManager.default.copyItem(atPath: SamplePipeline.samples + "/points.csv", toPath: csv)
    let fromPath = try #require(
      try await Self.runAndWait(
        fixture, ["stages": ["preprocess"], "results_spec": Self.spec, "inputs_override": ["raw": .string(csv)]])[
          "preprocess"])
    let pathInput = try fixture.project.store.signals(of: fromPath).first { $0.direction == "input" }
    #expect(pathInput?.uri == "file://" + csv && pathInput?.sourceName == nil, "\(String(describing: pathInput))")
  }

  @Test(
    "inputs_override mistakes are refused before anything starts, each saying what was wrong",
    arguments: [
      (["nope": ["x": "points"]] as Value, "names stage nope, which pipeline"),
      (["train": ["nope": "points"]] as Value, "names input nope of stage train"),
      (["evaluate": ["model": "points"]] as Value, "which this run does not run"),
      (["features": "stage-00000000"] as Value, "no run stage-00000000"),
      (["features": ["from_run": "RUN", "signal": "nope"]] as Value, "has no output nope"),
      (["features": "relative/path.csv"] as Value, "is not a run id (stage-…), a registered source"),
      (["features": "/no/such/file.csv"] as Value, "/no/such/file.csv does not exist"),
    ])
  func inputsOverrideRefused(override: Value, expected: String) async throws {
    let fixture = try Self.project(audit: "  finalization_gate: false\n")
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let id = try #require(runs.first?.id)
    let text = try JSONCoding.encode(MCPValue.json(override)).replacingOccurrences(of: "RUN", with: id)
    let value = try MCPValue.encode(try JSONCoding.parse(text))
    let count = try fixture.project.store.stageRuns(limit: 100).count
    let refused = Self.failure(
      await Self.call(
        fixture, "run",
        [
          "workspace": "w1", "stages": ["train"], "reason": .string(goodReason), "results_spec": Self.spec,
          "inputs_override": value,
        ]),
      code: "input_override_invalid")
    #expect(Self.message(refused).contains(expected), "\(Self.message(refused))")
    #expect(try fixture.project.store.stageRuns(limit: 100).count == count, "a stage run was created")
  }

  @Test("a flat inputs_override with several stages is refused, explaining the nesting")
  func flatOverrideWithSeveralStages() async throws {
    let fixture = try Self.project()
    let refused = Self.failure(
      await Self.call(
        fixture, "run",
        [
          "workspace": "w1", "stages": ["preprocess", "train"], "reason": .string(goodReason),
          "results_spec": Self.spec, "inputs_override": ["features": "stage-00000000"],
        ]),
      code: "input_override_invalid")
    let text = Self.message(refused)
    #expect(text.contains("not nested by stage") && text.contains("runs 2 stages"), "\(text)")
    #expect(text.contains("{\"train\": {\"features\""), "\(text)")
  }

  // MARK: pipeline name

  @Test("a pipeline whose name: is not `pipeline` runs to the end (the real binary, both faces)")
  func pipelineNameIsALabel() throws {
    // Three runs in a row, none finalized: the name is what is tested here, not the gate.
    let fixture = try Self.project(audit: "  finalization_gate: false\n")
    let path = fixture.slot("w1") + "/pipeline.yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try text.replacingOccurrences(of: "name: pipeline", with: "name: parity")
      .write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: fixture.slot("w1") + "/pipelines", withIntermediateDirectories: true)
    try text.replacingOccurrences(of: "name: pipeline", with: "name: something else entirely")
      .write(toFile: fixture.slot("w1") + "/pipelines/other.yaml", atomically: true, encoding: .utf8)
    for extra in [[], ["--pipeline", "other"]] {
      let result = Command.goldfish(
        ["run", "w1", "preprocess", "--wait", "--json", "--reason", goodReason] + extra, cwd: fixture.root)
      #expect(result.status == 0, "\(extra): \(result.stderr) \(result.stdout)")
      let runs = try fixture.project.store.stageRuns(limit: 1)
      #expect(runs.first.map { [.completed, .awaitingUserFinalization].contains($0.state) } == true, "\(runs)")
    }
    let session = try MCPSession(project: fixture.root)
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["preprocess"], "reason": goodReason, "wait": true, "rerun": true,
        "results_spec": try JSONSerialization.jsonObject(
          with: Data(try JSONCoding.encode(MCPValue.json(Self.spec)).utf8)),
      ])
    session.waitForResponses([1], seconds: 300)
    let result = session.responses[1]?["result"] as? [String: Any]
    session.close()
    let fields = result?["structuredContent"] as? [String: Any] ?? [:]
    #expect(fields["status"] as? String == "completed", "\(fields)")
  }
}
