import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Metrics a stage logs are read while it runs (by byte offset, on every status poll), and
/// `inspect` / `metrics` show them: a real project, real runs on the process backend.
@Suite("live metrics", .serialized)
struct LiveMetricsTests {
  static func line(_ name: String, _ value: Double, step: Int) -> String {
    #"{"type":"metric","name":"\#(name)","value":\#(value),"step":\#(step),"timestamp":"2026-12-03T12:00:0\#(step).000000Z"}"#
      + "\n"
  }

  static func append(_ text: String, to path: String) throws {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.seekToEnd()
    handle.write(Data(text.utf8))
    try handle.close()
  }

  @Test("the ingester reads complete lines only, carries its offset across a restart, and rereads a truncated file")
  func ingesterOffsets() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    // The run's own metrics file, already read to its end when the run finished.
    let path = try #require(MetricsIngest.metricsFile(of: run))
    let start = try #require(MetricsIngest.fileSize(path))
    #expect(try fixture.project.store.metricsProgress(of: run.id).offset == start)
    let first = Self.line("acc", 0.5, step: 1)
    let second = Self.line("acc", 0.7, step: 2)
    let split = second.index(second.startIndex, offsetBy: 20)
    try Self.append(first + String(second[..<split]), to: path)

    let ingest = MetricsIngest(store: fixture.project.store)
    #expect(try ingest.ingest(run.id, path: path, final: false) == 1)
    #expect(try fixture.project.store.metricsProgress(of: run.id).offset == start + Int64(first.utf8.count))
    #expect(try fixture.project.store.metricSeries(of: run.id, name: "acc").map(\.value) == [0.5])

    try Self.append(String(second[split...]), to: path)
    #expect(try ingest.ingest(run.id, path: path, final: false) == 1)
    // A restart: a new process opens the database and reads on from the stored offset.
    let reopened = try fixture.reopen()
    #expect(try MetricsIngest(store: reopened.store).ingest(run.id, path: path, final: false) == 0)
    let summary = try #require(try reopened.store.metricSummaries(of: run.id).first { $0.name == "acc" })
    #expect(summary.count == 2 && summary.minValue == 0.5 && summary.maxValue == 0.7 && summary.lastValue == 0.7)
    #expect(try reopened.store.metricsProgress(of: run.id).updatedAt != nil)

    // Rotated: a shorter file in its place is read from its start; points already stored stay single.
    try (first + Self.line("acc", 0.9, step: 3)).write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try MetricsIngest(store: reopened.store).ingest(run.id, path: path, final: false) == 2)
    #expect(try reopened.store.metricSeries(of: run.id, name: "acc").map(\.value) == [0.5, 0.7, 0.9])

    // The run's end also takes a last line that never got its newline.
    let unterminated = Self.line("acc", 0.95, step: 4).dropLast()
    try Self.append(String(unterminated), to: path)
    #expect(try MetricsIngest(store: reopened.store).ingest(run.id, path: path, final: false) == 0)
    #expect(try MetricsIngest(store: reopened.store).ingest(run.id, path: path, final: true) == 1)
    #expect(try reopened.store.metricSeries(of: run.id, name: "acc").count == 4)
  }

  @Test("a stage's metrics show in inspect while it is still running, and all of them once it ended")
  func visibleMidRun() throws {
    try Deadline.within(300) {
      let fixture = try SamplePipeline.project()
      try fixture.write("modules/preprocess.py", LiveMetricsStage.script(output: "features"))
      let started = try Executor(services: try ExecutionServices.open(fixture.project)).start(
        RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
      let watch = try LiveMetricsStage.watch(fixture.project, pipelineRunID: started.pipelineRunID, stage: "preprocess")
      let seen = try #require(watch.seenWhileRunning, "loss never had 2 points while the run was running")
      #expect(seen.count >= 2 && seen.count < 20)
      #expect(seen.trend == .downward && seen.max == 1.0)
      let run = try #require(watch.runs.first)
      #expect([.completed, .awaitingUserFinalization].contains(run.state), "\(run.state) \(run.error ?? "")")
      let queries = RunQueries(services: try ExecutionServices.open(fixture.project))
      let dashboard = try #require(try queries.inspect(run.id).dashboard)
      #expect(dashboard.metrics["loss"]?.count == 20)
      #expect(dashboard.metrics["loss"]?.min == 1.0 / 20)
      #expect(dashboard.syncStatus == "not_running" && dashboard.dataAgeSeconds == nil)
      #expect(dashboard.latestMetricAt != nil)
      #expect(try fixture.project.store.metricsProgress(of: run.id).offset > 0)
    }
  }

  @Test("include picks the parts; an unknown part is refused naming the ones there are")
  func includeParts() throws {
    let fixture = try SamplePipeline.project()
    let original = try #require(fixture.read("modules/preprocess.py"))
    try fixture.write("modules/preprocess.py", "import sys\nsys.exit(2)\n")
    let (_, failed) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(failed.first?.state == .failed)
    try fixture.write("modules/preprocess.py", original)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    let queries = RunQueries(services: try ExecutionServices.open(fixture.project))

    func fields(_ include: [String]?) throws -> [String: Any] {
      let data = try JSONEncoder().encode(try queries.inspect(run.id, include: include))
      return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let standard = try fields(nil)
    #expect(standard["run_id"] as? String == run.id && standard["state"] != nil && standard["outputs"] != nil)
    let dashboard = try #require(standard["dashboard"] as? [String: Any])
    // No default metric (loss, accuracy, …) was logged: the most frequent ones show.
    let metrics = try #require(dashboard["metrics"] as? [String: Any])
    #expect(Set(metrics.keys) == ["rows"])
    #expect((metrics["rows"] as? [String: Any])?["trend"] as? String == "stable")
    #expect(standard["thoughts"] as? [Any] != nil)
    #expect(
      standard["manifest"] == nil && standard["provenance"] == nil && standard["attempt_context"] == nil,
      "\(standard.keys.sorted())")

    let chosen = try fields(["manifest", "attempt", "svs", "provenance"])
    #expect(chosen["state"] == nil && chosen["dashboard"] == nil && chosen["thoughts"] == nil)
    let manifest = try #require(chosen["manifest"] as? [String: Any])
    #expect(manifest["reason"] as? String == goodReason && (manifest["outputs"] as? [Any])?.count == 1)
    #expect(chosen["attempt_context"] as? String == "attempt #2, 1 failure")
    // No output of this pipeline declares a contract: only the preflight, which found nothing, reviewed the run.
    let svs = try #require(chosen["svs"] as? [String: Any], "\(chosen["svs"] ?? "nil")")
    let preflight = try #require(svs["preflight"] as? [String: Any])
    #expect((preflight["errors"] as? [Any])?.isEmpty == true && (preflight["warnings"] as? [Any])?.isEmpty == true)
    #expect(svs["post_run"] is NSNull || svs["post_run"] == nil, "\(svs)")
    #expect((chosen["provenance"] as? [String: Any])?["run"] as? String == run.id)

    var refused: GoldfishError?
    do {
      _ = try queries.inspect(run.id, include: ["dashboard", "everything"])
    } catch {
      refused = error
    }
    let error = try #require(refused, "an unknown part was accepted")
    #expect(error.code == .invalidArgument && error.message.contains("everything"))
    #expect(error.hint?.contains("dashboard, metadata, manifest, provenance, svs, thoughts, attempt") == true)
    let cli = Command.goldfish(["inspect", run.id, "--include", "bogus"], cwd: fixture.root)
    #expect(cli.status != 0 && cli.stderr.contains("bogus") && cli.stderr.contains("provenance"), "\(cli.stderr)")
    let cliChosen = try #require(
      try Command.goldfish(["inspect", run.id, "--include", "attempt"], cwd: fixture.root).json() as? [String: Any])
    #expect(cliChosen["attempt_context"] as? String == "attempt #2, 1 failure" && cliChosen["state"] == nil)
  }

  @Test("a series downsampled to N points keeps each bucket's min and max, so the extremes always show")
  func downsampling() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    var points = (0..<5_000).map { step in
      MetricRecord(name: "loss", value: 2 + sin(Double(step) / 50), step: step, timestamp: "2026-12-03T12:00:00.000Z")
    }
    points[1_234].value = -7
    points[4_321].value = 40
    try fixture.project.store.recordMetrics(run.id, points)

    let queries = RunQueries(services: try ExecutionServices.open(fixture.project))
    let view = try queries.metricSeries(run.id, name: "loss", points: 100)
    let series = try #require(view.metrics.first)
    #expect(view.metrics.count == 1 && series.count == 5_000 && series.downsampled)
    #expect(series.points.count <= 100 && series.points.count > 50)
    #expect(series.points.contains { $0.step == 1_234 && $0.value == -7 })
    #expect(series.points.contains { $0.step == 4_321 && $0.value == 40 })
    #expect(series.min == -7 && series.max == 40)
    let steps = series.points.compactMap(\.step)
    #expect(steps == steps.sorted(), "points keep the order they were logged in")
    #expect(try queries.metricSeries(run.id, name: "rows").metrics.first?.points.count == 1)

    let cli = Command.goldfish(["metrics", run.id, "--name", "loss", "--points", "10", "--json"], cwd: fixture.root)
    let json = try #require(try cli.json() as? [String: Any])
    let cliSeries = try #require((json["metrics"] as? [[String: Any]])?.first)
    #expect((cliSeries["points"] as? [Any])?.count ?? 0 <= 10 && cliSeries["count"] as? Int == 5_000)
    let missing = Command.goldfish(["metrics", run.id, "--name", "accuracy"], cwd: fixture.root)
    #expect(
      missing.status != 0 && missing.stderr.contains("loss") && missing.stderr.contains("rows"), "\(missing.stderr)")
  }

  @Test("MCP: inspect_run honours include and refuses unknown parts; metrics returns the series")
  func mcpTools() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess", "train"])
    let train = try #require(runs.last)
    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(id: 1, "inspect_run", ["run_id": train.id, "include": ["dashboard"]])
    session.callTool(id: 2, "inspect_run", ["run_id": train.id, "include": ["bogus"]])
    session.callTool(id: 3, "metrics", ["run_id": train.id, "name": "loss", "points": 20])
    session.waitForResponses([1, 2, 3], seconds: 120)
    func result(_ id: Int) -> [String: Any] { session.responses[id]?["result"] as? [String: Any] ?? [:] }
    let inspected = try #require(result(1)["structuredContent"] as? [String: Any])
    let loss = try #require(((inspected["dashboard"] as? [String: Any])?["metrics"] as? [String: Any])?["loss"])
    #expect((loss as? [String: Any])?["count"] as? Int == 200)
    #expect(["upward", "downward", "stable"].contains((loss as? [String: Any])?["trend"] as? String ?? ""))
    #expect(inspected["transitions"] == nil)
    #expect(result(2)["isError"] as? Bool == true && "\(result(2))".contains("provenance"), "\(result(2))")
    let series = try #require((result(3)["structuredContent"] as? [String: Any])?["metrics"] as? [[String: Any]])
    #expect(series.first?["count"] as? Int == 200 && (series.first?["points"] as? [Any])?.count ?? 99 <= 20)
  }
}
