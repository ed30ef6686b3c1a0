import Foundation
import MCP
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// validate_config as upstream: with a workspace it also reads the slot's configs/*.yaml and warns
/// about keys one typo away from a common hyper-parameter name.
@Suite("validate_config: stage config typos")
struct ValidateConfigTyposTests {
  typealias T = RunContractTests

  @Test("a misspelt hyper-parameter is a warning naming the file and the likely key; real keys are not")
  func typos() async throws {
    let fixture = try SamplePipeline.project()
    try fixture.write(
      "configs/train.yaml",
      "compute:\n  profile: cpu-small\nepochs: 3\nlearning_rte: 0.1\nbatch_sise: 8\nlr: 0.1\nwarmup_steps: 10\n")
    let result = T.ok(await T.call(fixture, "validate_config", ["workspace": "w1"]))
    #expect(result["valid"] == true, "\(result)")
    let warnings = (result["warnings"]?.arrayValue ?? []).compactMap(\.objectValue)
    let typos = warnings.filter { $0["file"] == "configs/train.yaml" }
    #expect(
      Set(typos.compactMap { $0["key"]?.stringValue }) == ["learning_rte", "batch_sise"], "\(warnings)")
    #expect(typos.first { $0["key"] == "learning_rte" }?["suggestion"] == "learning_rate")
    let files = (result["files_checked"]?.arrayValue ?? []).compactMap(\.stringValue)
    #expect(files.contains("w1/configs/train.yaml") && files.contains("goldfish.yaml"), "\(files)")

    let without = T.ok(await T.call(fixture, "validate_config", [:]))
    #expect(without["files_checked"] == ["goldfish.yaml"])
  }
}
