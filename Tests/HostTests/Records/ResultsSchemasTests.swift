import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("results payloads (upstream §9.2)")
struct ResultsSchemasTests {
  static let spec: JSONValue = [
    "primary_metric": "val_acc", "direction": "maximize", "min_value": .double(0.5), "goal_value": .double(0.9),
    "dataset_split": "val", "tolerance": .double(0.01), "context": "accuracy on the held-out validation split",
  ]

  @Test("a complete spec is read field by field")
  func validSpec() throws {
    let spec = try ResultsSpec(Self.spec)
    #expect(spec.primaryMetric == "val_acc" && spec.direction == .maximize && spec.goalValue == 0.9)
    #expect(spec.datasetSplit == .val && spec.tolerance == 0.01 && spec.secondaryMetrics.isEmpty)
  }

  @Test("an unknown key is refused, naming it and every allowed key")
  func unknownKey() throws {
    var fields = try #require(Self.spec.objectValue)
    fields["primary_metirc"] = "typo"
    let error = try #require(throws: GoldfishError.self) { try ResultsSpec(.object(fields)) }
    #expect(error.code == .invalidArgument)
    #expect(error.message.contains("primary_metirc"), "\(error.message)")
    #expect(error.hint?.contains("secondary_metrics") == true && error.hint?.contains("tolerance") == true)
  }

  @Test("missing keys are all named at once")
  func missingKeys() throws {
    let error = try #require(throws: GoldfishError.self) {
      try ResultsSpec(["primary_metric": "loss", "direction": "minimize"])
    }
    for key in ["min_value", "goal_value", "dataset_split", "tolerance", "context"] {
      #expect(error.message.contains(key), "\(error.message)")
    }
  }

  @Test(
    "a wrong value names the field and what fits",
    arguments: [
      ("direction", JSONValue.string("up"), "maximize, minimize"),
      ("tolerance", JSONValue.double(-1), "≥ 0"),
      ("context", JSONValue.string("short"), "at least 15"),
      ("dataset_split", JSONValue.string("holdout"), "train, val, test, other"),
      ("min_value", JSONValue.string("0.5"), "a number"),
    ])
  func wrongValue(field: String, value: JSONValue, expected: String) throws {
    var fields = try #require(Self.spec.objectValue)
    fields[field] = value
    let error = try #require(throws: GoldfishError.self) { try ResultsSpec(.object(fields)) }
    #expect(error.message.contains("results_spec.\(field)") && error.message.contains(expected), "\(error.message)")
  }

  @Test("finalize results: outcome, notes and the optional termination are checked")
  func finalResults() throws {
    let valid: JSONValue = [
      "primary_metric": "val_acc", "direction": "maximize", "value": .double(0.87), "dataset_split": "val",
      "ml_outcome": "partial", "notes": "close to the goal; overfits after epoch 7",
      "termination": ["infra_outcome": "preempted"], "step": 700,
    ]
    let results = try FinalResults(valid)
    #expect(results.value == 0.87 && results.mlOutcome == .partial && results.infraOutcome == .preempted)
    #expect(results.step == 700)
    var fields = try #require(valid.objectValue)
    fields["ml_outcome"] = "great"
    let error = try #require(throws: GoldfishError.self) { try FinalResults(.object(fields)) }
    #expect(error.message.contains("success, partial, miss, unknown"), "\(error.message)")
    fields["ml_outcome"] = "success"
    fields["termination"] = ["infra": "completed"]
    let nested = try #require(throws: GoldfishError.self) { try FinalResults(.object(fields)) }
    #expect(nested.message.contains("results.termination") && nested.message.contains("infra"), "\(nested.message)")
  }
}
