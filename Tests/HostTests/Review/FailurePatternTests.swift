import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Failure patterns")
struct FailurePatternTests {
  static func failingRun(_ fixture: ProjectFixture, message: String) throws -> StageRunRecord {
    try fixture.write("modules/preprocess.py", "import sys\nprint('loading shards')\nsys.exit('\(message)')\n")
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"], rerun: true)
    #expect(runs[0].state == .failed)
    return runs[0]
  }

  @Test("proposed from a failed run, approved, then matched on the next failed run and only there")
  func proposeApproveMatch() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let first = try Self.failingRun(fixture, message: "shard 7 is corrupt: bad magic number")
    let patterns = FailurePatterns(store: fixture.project.store)
    let (pattern, evidence) = try patterns.propose(
      .init(
        symptom: "preprocess dies reading a shard", rootCause: "a corrupt shard in the dataset",
        rule: ["kind": "log_regex", "pattern": "shard \\d+ is corrupt"], sourceRunID: first.id))
    #expect(pattern.status == .pending)
    #expect(evidence.contains("shard 7 is corrupt"))
    // Pending patterns match nothing.
    let second = try Self.failingRun(fixture, message: "shard 9 is corrupt: bad magic number")
    #expect(try fixture.project.store.patternMatches(ofStageRun: second.id).isEmpty)
    _ = try patterns.approve(pattern.id, by: "test")
    let third = try Self.failingRun(fixture, message: "shard 2 is corrupt: truncated")
    let matches = try fixture.project.store.patternMatches(ofStageRun: third.id)
    #expect(matches.map(\.patternID) == [pattern.id])
    #expect(matches.first?.evidence?.contains("shard 2 is corrupt") == true)
    let other = try Self.failingRun(fixture, message: "out of memory")
    #expect(try fixture.project.store.patternMatches(ofStageRun: other.id).isEmpty)
  }

  @Test("a rule that does not match its source run, or a bad rule, is refused")
  func refusals() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let run = try Self.failingRun(fixture, message: "disk full")
    let patterns = FailurePatterns(store: fixture.project.store)
    let notMatching = #expect(throws: GoldfishError.self) {
      try patterns.propose(
        .init(
          symptom: "dies for lack of memory", rootCause: "batch too large",
          rule: ["kind": "log_regex", "pattern": "out of memory"], sourceRunID: run.id))
    }
    #expect(notMatching?.code == .patternNotMatching)
    let badRule = #expect(throws: GoldfishError.self) {
      try patterns.propose(
        .init(
          symptom: "dies for lack of disk", rootCause: "outputs too large",
          rule: ["kind": "log_regex", "pattern": "(("],
          sourceRunID: run.id))
    }
    #expect(badRule?.message.contains("not a valid regular expression") == true)
    #expect(try fixture.project.store.patterns().isEmpty)
  }
}
