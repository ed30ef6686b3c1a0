import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Preflight: the checks every run passes before launch")
struct PreflightTests {
  @Test("a module that does not compile blocks the run with preflight_failed and nothing is saved")
  func syntaxErrorBlocks() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/train.py", "def broken(:\n    pass\n")
    let versionsBefore = try fixture.project.store.versions(of: "line").count
    let error = #expect(throws: GoldfishError.self) { try SamplePipeline.run(fixture) }
    #expect(error?.code == .preflightFailed)
    #expect(error?.message.contains("modules/train.py does not compile") == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("stage train") == true)
    #expect(try fixture.project.store.stageRuns(workspace: "line").isEmpty)
    #expect(try fixture.project.store.versions(of: "line").count == versionsBefore)
  }

  @Test("an output the code never names is a warning recorded on the run, which goes ahead")
  func invisibleOutputWarns() throws {
    let fixture = try SamplePipeline.project()
    let module = try #require(fixture.read("modules/preprocess.py"))
    // The same code with the output's name built at run time: invisible to a text search.
    try fixture.write(
      "modules/preprocess.py",
      "NAME = 'feat' + 'ures'\n"
        + module.replacingOccurrences(of: "\"features\"", with: "NAME"))
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state.succeeded, "\(run.error ?? "")")
    let reviews = try fixture.project.store.reviews(ofStageRun: run.id, kind: .preflight)
    #expect(reviews.count == 1)
    #expect(reviews.first?.decision == .warned)
    #expect(reviews.first?.findings.map(\.check) == ["output_not_visible"])
    #expect(reviews.first?.findings.first?.subject == "features")
  }

  @Test("a clean stage gets an approved preflight review")
  func cleanStageApproved() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let review = try #require(try fixture.project.store.reviews(ofStageRun: runs[0].id, kind: .preflight).first)
    #expect(review.decision == .approved)
    #expect(review.findings.isEmpty)
    #expect(review.reviewer == "preflight")
  }
}
