import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("The pre-run reviewer command")
struct PreRunReviewerTests {
  /// A project whose goldfish.yaml runs `reviewer` (Python source) as its pre-run reviewer.
  static func project(reviewer: String, timeout: Int = 30) throws -> ProjectFixture {
    let script = TestEnvironment.temporaryFolder("reviewer") + "/reviewer.py"
    try reviewer.write(toFile: script, atomically: true, encoding: .utf8)
    return try SamplePipeline.project { text in
      text + "\npre_run_review:\n  timeout_seconds: \(timeout)\n  command: [python3, \"\(script)\"]\n"
    }
  }

  static let blocking = """
    import json, sys
    request = json.load(sys.stdin)
    findings = []
    if "1 / 0" in (request.get("module") or ""):
        findings.append({"check": "division", "severity": "error", "message": "train divides by zero", "subject": "modules/train.py"})
    print(json.dumps({"findings": findings, "summary": "stage " + request["stage"] + " reviewed for " + request["reason"]}))
    """

  @Test("an error finding blocks with review_blocked naming it; nothing is saved")
  func errorBlocks() throws {
    let fixture = try Self.project(reviewer: Self.blocking)
    let module = try #require(fixture.read("modules/train.py"))
    try fixture.write("modules/train.py", module + "\nratio = 1 / 0 if False else 0\n")
    let error = #expect(throws: GoldfishError.self) { try SamplePipeline.run(fixture, ["preprocess", "train"]) }
    #expect(error?.code == .reviewBlocked)
    #expect(error?.message.contains("stage train: train divides by zero") == true, "\(error?.message ?? "")")
    #expect(try fixture.project.store.stageRuns(workspace: "line").isEmpty)
  }

  @Test("an approving reviewer is recorded on each run with the request it read")
  func approvalRecorded() throws {
    let fixture = try Self.project(reviewer: Self.blocking)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let review = try #require(try fixture.project.store.reviews(ofStageRun: runs[0].id, kind: .preRun).first)
    #expect(review.decision == .approved)
    #expect(review.reviewer == "reviewer.py")
    #expect(review.fullText == "stage preprocess reviewed for \(goodReason)")
  }

  @Test("a reviewer that times out fails open: the run goes ahead and the review says error")
  func timeoutFailsOpen() throws {
    let fixture = try Self.project(reviewer: "import time\ntime.sleep(60)\n", timeout: 1)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(runs[0].state.succeeded)
    let review = try #require(try fixture.project.store.reviews(ofStageRun: runs[0].id, kind: .preRun).first)
    #expect(review.decision == .error)
    #expect(review.findings.first?.severity == .warning)
    #expect(review.findings.first?.message.contains("timeout_seconds (1 s)") == true)
  }

  @Test("a reviewer that crashes or answers garbage fails open with what went wrong")
  func crashFailsOpen() {
    let crash = PreRunReviewer(command: ["python3", "-c", "import sys; sys.exit('boom')"], timeoutSeconds: 30)
      .review(["stage": "train"], stage: "train")
    #expect(crash.decision == .error)
    #expect(crash.findings.first?.message.contains("exited with code 1: boom") == true, "\(crash.findings)")
    let garbage = PreRunReviewer(command: ["python3", "-c", "print('looks fine to me')"], timeoutSeconds: 30)
      .review(["stage": "train"], stage: "train")
    #expect(garbage.decision == .error)
    #expect(garbage.findings.first?.message.contains("not one JSON object") == true)
  }

  @Test("skip_review records a skipped review and runs no reviewer")
  func skipReview() throws {
    // A reviewer that would block everything.
    let fixture = try Self.project(
      reviewer: "print('{\"findings\": [{\"severity\": \"error\", \"message\": \"no\"}]}')")
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(
      RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason, skipReview: true))
    let runID = try #require(started.stageRuns["preprocess"])
    let reviews = try fixture.project.store.reviews(ofStageRun: runID)
    #expect(reviews.map(\.kind) == [.preflight, .preRun])
    #expect(reviews.last?.decision == .skipped)
  }

  @Test("goldfish run --skip-review skips the reviewer a person's run would otherwise meet")
  func skipReviewOnTheCLI() throws {
    let fixture = try Self.project(
      reviewer: "print('{\"findings\": [{\"severity\": \"error\", \"message\": \"never run this\"}]}')")
    let blocked = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: fixture.root)
    #expect(blocked.status != 0 && blocked.stderr.contains("never run this"), "\(blocked.stdout)\(blocked.stderr)")
    let skipped = Command.goldfish(
      ["run", "w1", "preprocess", "--reason", goodReason, "--skip-review", "--wait"], cwd: fixture.root)
    #expect(skipped.status == 0, "\(skipped.stdout)\(skipped.stderr)")
    let runs = try fixture.project.store.stageRuns(workspace: "line")
    #expect(runs.count == 1)
    let reviews = try fixture.project.store.reviews(ofStageRun: try #require(runs.first).id)
    #expect(reviews.map(\.kind) == [.preflight, .preRun] && reviews.last?.decision == .skipped)
  }
}
