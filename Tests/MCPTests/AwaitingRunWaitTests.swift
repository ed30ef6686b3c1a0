import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `wait` returns once every stage is settled: a run awaiting finalization has ended as far as
/// waiting goes (the agent finalizes it next), so waiting on it never runs into its timeout.
@Suite("waiting on a run that awaits finalization", .serialized)
struct AwaitingRunWaitTests {
  @Test("wait on a stage run and on its pipeline run answers finished, with the stage awaiting finalization")
  func waitEnds() throws {
    let fixture = try SamplePipeline.project()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state == .awaitingUserFinalization, "\(run.error ?? "")")

    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(id: 1, "wait", ["run_id": run.id, "timeout_seconds": 30])
    session.callTool(id: 2, "wait", ["run_id": pipelineRun.id, "timeout_seconds": 30])
    session.waitForResponses([1, 2], seconds: 120)
    func structured(_ id: Int) -> [String: Any] {
      let result = session.responses[id]?["result"] as? [String: Any]
      #expect(result?["isError"] as? Bool == false, "call \(id): \(session.responses[id] ?? [:])")
      return result?["structuredContent"] as? [String: Any] ?? [:]
    }
    let stage = structured(1)
    #expect(stage["finished"] as? Bool == true, "\(stage)")
    #expect(stage["status"] as? String == "awaiting_user_finalization", "\(stage)")
    let pipeline = structured(2)
    #expect(pipeline["finished"] as? Bool == true && pipeline["status"] as? String == "completed", "\(pipeline)")
    let states = (pipeline["stage_runs"] as? [[String: Any]])?.compactMap { $0["state"] as? String }
    #expect(states == ["awaiting_user_finalization"], "\(pipeline)")
  }
}
