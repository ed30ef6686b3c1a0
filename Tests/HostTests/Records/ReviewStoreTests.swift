import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("reviews and output statistics of a run")
struct ReviewStoreTests {
  @Test("a review round-trips with its findings and its decision; each is shown once")
  func reviewRoundTrip() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000aaaa", workspace: "baseline")
    let findings = [
      SVSFinding(
        check: "shape", severity: .error, message: "features: shape [5] where [3] was declared", subject: "features")
    ]
    let review = SVSReview(
      stageRunID: run, kind: .postRun, decision: SVSReview.Decision(findings: findings, blockOnError: true),
      reviewer: "contracts", findings: findings)
    let id = try store.addReview(review)
    let stored = try store.reviews(ofStageRun: run)
    #expect(stored.count == 1)
    #expect(stored.first?.decision == .blocked)
    #expect(stored.first?.findings == findings)
    #expect(try store.reviews(ofStageRun: run, kind: .preRun).isEmpty)
    #expect(try store.unnotifiedReviews().map(\.id) == [id])
    try store.markReviewsNotified([id])
    #expect(try store.unnotifiedReviews().isEmpty)
    #expect(SVSReview.Decision(findings: findings, blockOnError: false) == .warned)
  }

  @Test("output statistics are kept per output")
  func outputStats() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000aaaa", workspace: "baseline")
    try store.setOutputStats(stageRunID: run, output: "features", stats: ["mean": .double(1.5)])
    #expect(try store.outputStats(ofStageRun: run)["features"] == ["mean": .double(1.5)])
  }
}
