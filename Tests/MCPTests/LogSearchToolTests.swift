import Foundation
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// search_goldfish_logs over the logs of real runs: stage output, state transitions and the
/// audit journal, with every filter narrowing what the unfiltered search finds.
@Suite("search_goldfish_logs")
struct LogSearchToolTests {
  typealias T = RunContractTests

  static func entries(_ fields: [String: Value]) -> [[String: Value]] {
    (fields["entries"]?.arrayValue ?? []).compactMap(\.objectValue)
  }

  @Test("a stage run's id finds its own output and its state changes, and nothing of other runs")
  func byRun() async throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture)
    let train = try #require(runs.first { $0.stage == "train" })
    let found = T.ok(await T.call(fixture, "search_goldfish_logs", ["run_id": .string(train.id), "limit": 1000]))
    let entries = Self.entries(found)
    #expect(!entries.isEmpty)
    #expect(entries.allSatisfy { $0["run_id"]?.stringValue == train.id }, "\(entries)")
    #expect(entries.contains { $0["source"] == "run" && $0["message"]?.stringValue?.hasPrefix("trained: a=") == true })
    #expect(
      entries.contains { $0["source"] == "transitions" && $0["message"]?.stringValue?.contains("running") == true })
    // The pipeline run's id covers every stage of it.
    let pipeline = T.ok(
      await T.call(fixture, "search_goldfish_logs", ["run_id": .string(try #require(train.pipelineRunID))]))
    let stages = Set(Self.entries(pipeline).compactMap { $0["stage"]?.stringValue })
    #expect(stages == ["preprocess", "train", "evaluate"], "\(stages)")
  }

  @Test("text, regex, stage and source filters narrow; order and limit page the result")
  func filtersAndOrder() async throws {
    let fixture = try SamplePipeline.project()
    _ = try SamplePipeline.run(fixture)
    let regex = T.ok(await T.call(fixture, "search_goldfish_logs", ["regex": "mse=[0-9.]+"]))
    let matched = Self.entries(regex)
    #expect(matched.count == 1 && matched[0]["stage"] == "evaluate", "\(matched)")
    let text = T.ok(await T.call(fixture, "search_goldfish_logs", ["text": "PREPROCESSED", "sources": ["run"]]))
    #expect(Self.entries(text).map { $0["stage"] } == ["preprocess"], "\(text)")
    let stage = T.ok(await T.call(fixture, "search_goldfish_logs", ["stage": "train", "limit": 1000]))
    #expect(Self.entries(stage).allSatisfy { $0["stage"] == "train" })
    let audit = T.ok(await T.call(fixture, "search_goldfish_logs", ["sources": ["audit"], "workspace": "line"]))
    #expect(!Self.entries(audit).isEmpty && Self.entries(audit).allSatisfy { $0["source"] == "audit" }, "\(audit)")

    let newest = Self.entries(T.ok(await T.call(fixture, "search_goldfish_logs", ["limit": 1000])))
    let oldest = Self.entries(
      T.ok(await T.call(fixture, "search_goldfish_logs", ["limit": 1000, "order": "oldest"])))
    #expect(newest.count == oldest.count && newest.count > 3)
    #expect(newest.first == oldest.last && newest.last == oldest.first)
    let times = newest.compactMap { $0["time"]?.stringValue }
    #expect(times == times.sorted(by: >), "newest first")
    let page = T.ok(await T.call(fixture, "search_goldfish_logs", ["limit": 2]))
    #expect(Self.entries(page).count == 2 && page["truncated"] == true && page["matched"] == .int(newest.count))
    #expect(Self.entries(page) == Array(newest.prefix(2)))
  }

  @Test("level picks the failure out: a failing stage's ERROR line and its failed transition")
  func byLevel() async throws {
    let fixture = try SamplePipeline.project()
    try fixture.write(
      "modules/preprocess.py", "import sys\nprint('reading points')\nprint('ERROR: the points are gone')\nsys.exit(3)\n"
    )
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let errors = Self.entries(T.ok(await T.call(fixture, "search_goldfish_logs", ["level": "error"])))
    #expect(errors.contains { $0["message"]?.stringValue?.contains("the points are gone") == true }, "\(errors)")
    #expect(errors.contains { $0["source"] == "transitions" && $0["run_id"]?.stringValue == runs[0].id }, "\(errors)")
    #expect(!errors.contains { $0["message"]?.stringValue == "reading points" })
    #expect(errors.allSatisfy { ["error", "critical"].contains($0["level"]?.stringValue ?? "") })
  }

  @Test("time filters: a window in the past finds nothing, the last hour finds the run")
  func byTime() async throws {
    let fixture = try SamplePipeline.project()
    _ = try SamplePipeline.run(fixture)
    let recent = T.ok(await T.call(fixture, "search_goldfish_logs", ["since": "1h"]))
    #expect((recent["matched"]?.intValue ?? 0) > 0)
    let past = T.ok(
      await T.call(fixture, "search_goldfish_logs", ["since": "2001-01-01T00:00:00Z", "until": "2001-01-02"]))
    #expect(past["matched"] == .int(0) && Self.entries(past).isEmpty)
  }

  @Test("bad filters are refused with what to give instead; LogsQL is refused with the guide's pointer")
  func badFilters() async throws {
    let fixture = try SamplePipeline.project()
    let regex = T.failure(
      await T.call(fixture, "search_goldfish_logs", ["regex": "(unclosed"]), code: "invalid_argument")
    #expect(T.message(regex).contains("not a valid regular expression"))
    _ = T.failure(await T.call(fixture, "search_goldfish_logs", ["since": "yesterday"]), code: "invalid_argument")
    _ = T.failure(await T.call(fixture, "search_goldfish_logs", ["run_id": "../etc"]), code: "invalid_argument")
    _ = T.failure(await T.call(fixture, "search_goldfish_logs", ["sources": ["syslog"]]), code: "invalid_argument")
    let logsQL = T.failure(
      await T.call(fixture, "search_goldfish_logs", ["query": "_time:5m error"]), code: "invalid_argument")
    #expect(T.message(logsQL).contains("LogsQL"))
    let guide = T.ok(await T.call(fixture, "search_goldfish_logs", ["show_guide": true]))
    #expect(guide["guide"]?.stringValue?.contains("since") == true)
  }
}

/// The line reader behind the search: swift-log's format, other leading times, levels from words.
@Suite("log lines")
struct LogLineTests {
  @Test("swift-log's stream format gives time, level and logger")
  func swiftLog() throws {
    let line = LogLine.parse("2026-12-03T16:09:00+0000 warning goldfish.runs: run=stage-1 [Host] lease lost")
    #expect(line.level == .warning && line.logger == "goldfish.runs" && line.message == "run=stage-1 [Host] lease lost")
    #expect(line.time == Date(timeIntervalSince1970: 1_796_314_140))
  }

  @Test("other lines: Python logging's time, error words, and plain output as no level")
  func otherLines() {
    let python = LogLine.parse("2026-12-03 16:09:00,250 ERROR boom")
    #expect(python.time != nil && python.level == .error && python.message == "ERROR boom")
    #expect(LogLine.parse("error: the workspace has no pipelines/probe.yaml").level == .error)
    #expect(LogLine.parse("Traceback (most recent call last):").level == .error)
    #expect(LogLine.parse("epoch 3 loss=0.2").level == nil && LogLine.parse("epoch 3 loss=0.2").time == nil)
    #expect(LogLine.parse("12 points read").time == nil)
  }
}
