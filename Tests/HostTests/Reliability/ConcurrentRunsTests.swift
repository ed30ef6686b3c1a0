import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Many runs started at the same moment by separate goldfish processes sharing one project.
@Suite("50 runs at once from three goldfish processes")
struct ConcurrentRunsTests {
  @Test("every run is recorded once, every version is distinct, no SQLite error reaches anyone")
  func fiftyRuns() throws {
    // Runs that end while others start would close the finalization gate: not what this is about.
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let forensics = RunForensics(fixture: fixture)
    let counter = fixture.slot("w1") + "/counter.txt"
    try "0\n".write(toFile: counter, atomically: true, encoding: .utf8)
    let sessions = try (0..<3).map { _ in try MCPSession(project: fixture.root) }
    // The slot keeps changing while the runs version it, so checkpoints race for new versions.
    let editing = ManagedFlag()
    let editor = Thread {
      var value = 0
      while !editing.isSet {
        value += 1
        try? "\(value)\n".write(toFile: counter, atomically: true, encoding: .utf8)
        usleep(40_000)
      }
    }
    editor.start()
    var requests: [(MCPSession, Int)] = []
    for index in 0..<50 {
      let session = sessions[index % 3]
      session.callTool(
        id: 100 + index, "run",
        [
          "workspace": "w1", "stages": ["preprocess"], "reason": "concurrent run number \(index) of fifty",
          "results_spec": SamplePipeline.resultsSpec,
        ])
      requests.append((session, 100 + index))
    }
    for session in sessions {
      session.waitForResponses(requests.filter { $0.0 === session }.map(\.1), seconds: 180)
    }
    editing.set()
    for session in sessions { session.close() }

    // A run whose checkpoint caught counter.txt mid-write is refused, truthfully and retryably,
    // with nothing saved; every other answer is a run.
    var pipelineRunIDs: [String] = []
    var refused = 0
    for (session, id) in requests {
      let response = try #require(session.responses[id], "no answer to request \(id)")
      let result = try #require(response["result"] as? [String: Any], "\(response)")
      let content = try #require(result["structuredContent"] as? [String: Any], "\(result)")
      if result["isError"] as? Bool == true {
        #expect(
          (content["message"] as? String)?.contains("changed while the workspace was being saved") == true, "\(content)"
        )
        #expect(((content["detail"] as? [String: Any])?["retryable"] as? NSNumber)?.boolValue == true, "\(content)")
        refused += 1
        continue
      }
      pipelineRunIDs.append(try #require(content["pipeline_run_id"] as? String))
    }
    let started = pipelineRunIDs.count
    #expect(started + refused == 50)
    #expect(started > 0)
    #expect(Set(pipelineRunIDs).count == started, "distinct runs")
    #expect(
      try forensics.count("SELECT COUNT(*) FROM pipeline_runs") == started,
      "each run recorded once, refused ones not at all")
    #expect(try forensics.count("SELECT COUNT(*) FROM stage_runs") == started)
    #expect(
      try forensics.count("SELECT COUNT(*) FROM audit WHERE operation = 'run' AND details LIKE '%pipeline_run%'")
        == started, "one journal entry per run")

    // Versions: v1…vN without gaps or repeats, one tag per row pointing at that row's commit.
    let versions = try fixture.project.store.versions(of: "line")
    #expect(versions.map(\.version) == Array(1...versions.count))
    #expect(Set(versions.map(\.sha)).count == versions.count, "no two versions are the same commit")
    let tags = try fixture.project.repository.tags(prefix: "line-v")
    #expect(Set(tags) == Set(versions.map(\.tag)))
    for version in versions {
      #expect(try fixture.project.repository.tagTarget(version.tag)?.hex == version.sha)
    }
    #expect(
      try forensics.count(
        "SELECT COUNT(*) FROM pipeline_runs p WHERE NOT EXISTS (SELECT 1 FROM workspace_versions v WHERE v.workspace = p.workspace AND v.version = p.version)"
      ) == 0,
      "every run names a version that exists")

    // The runs themselves finish, each once.
    for id in pipelineRunIDs {
      let final = try forensics.waitUntilFinished(id, seconds: 180)
      #expect(final?.status == "completed", "\(id): \(final?.status ?? "?") \(final?.error ?? "")")
    }
    #expect(
      try forensics.count("SELECT COUNT(*) FROM stage_state_transitions WHERE to_state = 'awaiting_user_finalization'")
        == started)
    var transcripts = sessions.map(\.transcript)
    for id in pipelineRunIDs {
      transcripts.append(
        (try? String(contentsOfFile: fixture.project.paths.runs + "/\(id)/driver.log", encoding: .utf8)) ?? "")
    }
    for text in transcripts {
      for leak in ["database is locked", "SQLite", "sqlite", "SQLITE_BUSY"] {
        #expect(!text.contains(leak), "a user saw: \(text.prefix(2000))")
      }
    }
  }
}

/// A flag one thread sets and another polls.
final class ManagedFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}
