import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A folder of outputs as a stage leaves it.
private struct OutputsFolder {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("contracts-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path + "/.goldfish", withIntermediateDirectories: true)
  }

  /// An npy file exactly as numpy 1.0 format writes it, with `count` bytes of data.
  func npy(_ name: String, descr: String, shape: String, dataBytes: Int) throws {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
    try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
  }

  func write(_ name: String, _ text: String) throws {
    try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
  }
}

private func output(_ name: String, _ type: SignalType, _ schema: JSONValue) -> SignalDefinition {
  SignalDefinition(name: name, direction: .output, type: type, schema: schema)
}

private func check(_ folder: OutputsFolder, _ signal: SignalDefinition, config: JSONValue? = nil) -> [SVSFinding] {
  OutputContractsCheck(outputsDir: folder.path).check(
    signal, OutputContract(schema: signal.schema ?? .null, config: config))
}

@Suite("output contracts checked on the host")
struct OutputContractsTests {
  @Test("an npy header gives shape and dtype without reading the data")
  func npyHeader() throws {
    let folder = try OutputsFolder()
    try folder.npy("x.npy", descr: "<i8", shape: "(5,)", dataBytes: 40)
    let header = try NpyHeader.read(path: folder.path + "/x.npy")
    #expect(header.shape == [5])
    #expect(header.dtypeName == "int64")
    #expect(header.dataOffset + 40 == Int(OutputContractsCheck.fileSize(folder.path + "/x.npy")))
    #expect(header.dataOffset % 64 == 0)
    try folder.write("bad.npy", "not an array")
    #expect(throws: GoldfishError.self) { try NpyHeader.read(path: folder.path + "/bad.npy") }
  }

  @Test("a 5 GiB array (sparse: header, then truncate) is checked from its header alone")
  func hugeSparseArray() throws {
    let folder = try OutputsFolder()
    try folder.npy("big.npy", descr: "<f4", shape: "(1342177280,)", dataBytes: 0)
    let path = folder.path + "/big.npy"
    let headerBytes = OutputContractsCheck.fileSize(path)
    #expect(truncate(path, off_t(headerBytes) + 5 * (1 << 30)) == 0)
    defer { try? FileManager.default.removeItem(atPath: folder.path) }
    let findings = check(folder, output("big", .npy, ["shape": [.null], "dtype": "float32", "max_bytes": 1_048_576]))
    #expect(findings.map(\.check) == ["size"])
  }

  @Test("numpy's own files are read (a 3-d float32 array and a scalar)")
  func numpyWritten() throws {
    let folder = try OutputsFolder()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-c",
      "import numpy as np,sys; np.save(sys.argv[1]+'/a.npy', np.zeros((2,3,4), np.float32)); "
        + "np.save(sys.argv[1]+'/s.npy', np.float64(1))",
      folder.path,
    ]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let array = try NpyHeader.read(path: folder.path + "/a.npy")
    #expect(array.shape == [2, 3, 4])
    #expect(array.dtypeName == "float32")
    #expect(try NpyHeader.read(path: folder.path + "/s.npy").shape == [])
  }

  @Test("shape [3] float32 against an int64 array of 5: two errors naming both")
  func shapeAndDtype() throws {
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<i8", shape: "(5,)", dataBytes: 40)
    let findings = check(folder, output("features", .npy, ["kind": "tensor", "shape": [3], "dtype": "float32"]))
    #expect(findings.map(\.check) == ["shape", "dtype"])
    #expect(findings.allSatisfy { $0.severity == .error && $0.subject == "features" })
    #expect(findings[0].message == "output features has shape [5], the contract declares [3]")
    #expect(findings[1].message == "output features has dtype int64, the contract declares float32")
  }

  @Test("{param} comes from the stage config; null and -1 match any size; dtype families")
  func wildcardsAndParams() throws {
    let folder = try OutputsFolder()
    try folder.npy("emb.npy", descr: "<f4", shape: "(7, 16, 2)", dataBytes: 7 * 16 * 2 * 4)
    let schema: JSONValue = ["shape": [.null, "{model.dim}", -1], "dtype": "float"]
    #expect(check(folder, output("emb", .npy, schema), config: ["model": ["dim": 16]]).isEmpty)
    let wrong = check(folder, output("emb", .npy, schema), config: ["model": ["dim": 8]])
    #expect(wrong.map(\.check) == ["shape"])
    let missing = check(folder, output("emb", .npy, schema), config: [:])
    #expect(missing.first?.message == "emb: schema names {model.dim} but the stage config has no model.dim")
    #expect(check(folder, output("emb", .npy, ["rank": 2])).map(\.check) == ["shape"])
  }

  @Test("a missing output, a file where a folder was declared, and size bounds")
  func existenceAndSize() throws {
    let folder = try OutputsFolder()
    #expect(check(folder, output("model", .directory, [:])).map(\.check) == ["exists"])
    try folder.write("model", "one file")
    #expect(
      check(folder, output("model", .directory, [:])).first?.message
        == "output model is declared a directory but is a file")
    try folder.write("report", String(repeating: "x", count: 100))
    let small = check(folder, output("report", .file, ["min_bytes": 1000]))
    #expect(small.map(\.message) == ["output report has 100 bytes, fewer than min_bytes 1000"])
    #expect(check(folder, output("report", .file, ["max_bytes": 10])).map(\.check) == ["size"])
    #expect(check(folder, output("report", .file, ["min_bytes": 10, "max_bytes": 1000])).isEmpty)
  }

  @Test("csv columns in order and the types of the first rows")
  func csvColumns() throws {
    let folder = try OutputsFolder()
    try folder.write("table.csv", "id,\"label, long\",score\n1,cat,0.5\n2,dog,x\n")
    let exact = output("table", .csv, ["kind": "tabular", "columns": ["id", "label, long", "score"]])
    #expect(check(folder, exact).isEmpty)
    let other = check(folder, output("table", .csv, ["columns": ["id", "score", "extra"]]))
    #expect(other.count == 1)
    #expect(other[0].message.contains("missing: extra"))
    #expect(other[0].message.contains("not declared: label, long"))
    let typed = check(folder, output("table", .csv, ["dtypes": ["id": "int", "score": "float"]]))
    #expect(typed.map(\.check) == ["column_type"])
    #expect(typed.first?.details?["column"] == "score")
  }

  @Test("parquet and npz are left to the stage, said in a note (never a silent pass)")
  func notCheckedOnHost() throws {
    let folder = try OutputsFolder()
    try folder.write("t.parquet", "PAR1")
    try folder.write(".goldfish/outputs.json", #"{"t": {"path": "t.parquet"}}"#)  // where save_output put it
    let notes = check(folder, output("t", .file, ["kind": "tabular", "columns": ["a"]]))
    #expect(notes.map(\.severity) == [.note])
    #expect(notes.first?.message.contains("pyarrow") == true)
  }

  @Test("a schema key goldfish does not know is a warning, not ignored")
  func unknownKey() throws {
    let folder = try OutputsFolder()
    try folder.write("f", "x")
    let findings = check(folder, output("f", .file, ["shap": [3]]))
    #expect(findings.map(\.check) == ["schema"])
    #expect(findings.first?.severity == .warning)
  }
}

@Suite("output contracts reviewed after a stage")
struct OutputContractsReviewTests {
  private func config(_ enforcement: SVSConfig.Enforcement) -> SVSConfig {
    var config = SVSConfig()
    config.defaultEnforcement = enforcement
    return config
  }

  @Test("blocking makes a broken contract an error and the review blocked; warning a warning; silent nothing")
  func enforcement() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<i8", shape: "(5,)", dataBytes: 40)
    let outputs = [output("features", .npy, ["shape": [3], "dtype": "float32"])]
    var decisions: [SVSReview.Decision?] = []
    for (index, enforcement) in [SVSConfig.Enforcement.blocking, .warning, .silent].enumerated() {
      let run = try ExperimentSeeds.run(fixture.project, "stage-0000aa0\(index)", workspace: "baseline")
      let review = try OutputContractsReview(store: store, config: config(enforcement)).review(
        runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil)
      decisions.append(review?.decision)
      #expect(try store.reviews(ofStageRun: run, kind: .postRun).map(\.reviewer) == ["contracts"])
      if enforcement == .silent { #expect(review?.findings.isEmpty == true) }
    }
    #expect(decisions == [.blocked, .warned, .approved])
  }

  @Test("a schema's own enforcement overrides the default; the block message names the finding")
  func perOutputOverride() throws {
    let fixture = try ProjectFixture()
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000bb01", workspace: "baseline")
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<i8", shape: "(5,)", dataBytes: 40)
    let outputs = [output("features", .npy, ["shape": [3], "enforcement": "blocking"])]
    let review = try #require(
      try OutputContractsReview(store: fixture.project.store, config: config(.warning)).review(
        runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil))
    #expect(review.decision == .blocked)
    // Redone after an interrupted finalization: the same review, not a second one.
    let again = try OutputContractsReview(store: fixture.project.store, config: config(.warning)).review(
      runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil)
    #expect(again?.id == review.id)
    #expect(try fixture.project.store.reviews(ofStageRun: run).count == 1)
    #expect(
      OutputContractsReview.blockMessage(review)
        == "svs_block: 1 output contract broken: output features has shape [5], the contract declares [3]")
  }

  @Test("the stage's findings and statistics are taken in; the host's word on a check stands")
  func stageFiles() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000cc01", workspace: "baseline")
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<f4", shape: "(3,)", dataBytes: 12)
    try folder.write(
      ".goldfish/svs_findings.json",
      """
      {"version": 1, "findings": [
        {"check": "range", "severity": "error", "message": "features has values up to 7.0", "subject": "features"},
        {"check": "shape", "severity": "error", "message": "stale", "subject": "features"}]}
      """)
    try folder.write(".goldfish/svs_stats.json", #"{"version": 1, "stats": {"features": {"max": 7.5}}}"#)
    let outputs = [output("features", .npy, ["shape": [3], "range": [0, 1]])]
    let review = try OutputContractsReview(store: store, config: config(.warning)).review(
      runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil)
    #expect(review?.findings.map(\.check) == ["range", "shape"])
    #expect(review?.findings.map(\.severity) == [.warning, .warning])
    #expect(try store.outputStats(ofStageRun: run)["features"] == ["max": .double(7.5)])
  }

  @Test("svs.enabled false checks nothing; stats_enabled false stores no statistics")
  func switchedOff() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000ee01", workspace: "baseline")
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<i8", shape: "(5,)", dataBytes: 40)
    try folder.write(".goldfish/svs_stats.json", #"{"version": 1, "stats": {"features": {"max": 4.5}}}"#)
    let outputs = [output("features", .npy, ["shape": [3]])]
    var off = config(.blocking)
    off.enabled = false
    #expect(
      try OutputContractsReview(store: store, config: off).review(
        runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil) == nil)
    var noStats = config(.blocking)
    noStats.statsEnabled = false
    let review = try OutputContractsReview(store: store, config: noStats).review(
      runID: run, outputs: outputs, outputsDir: folder.path, stageConfig: nil)
    #expect(review?.decision == .blocked)
    #expect(try store.outputStats(ofStageRun: run).isEmpty)
  }

  @Test("no statistics for a declared range: a note says the values were not checked")
  func rangeWithoutStats() throws {
    let fixture = try ProjectFixture()
    let run = try ExperimentSeeds.run(fixture.project, "stage-0000dd01", workspace: "baseline")
    let folder = try OutputsFolder()
    try folder.npy("features.npy", descr: "<f4", shape: "(3,)", dataBytes: 12)
    let review = try OutputContractsReview(store: fixture.project.store, config: config(.blocking)).review(
      runID: run, outputs: [output("features", .npy, ["range": [0, 1]])], outputsDir: folder.path, stageConfig: nil)
    #expect(review?.decision == .approved)
    #expect(review?.findings.map(\.check) == ["not_checked"])
  }

  @Test("an svs_block ends a post_run run failed with termination cause svs_block")
  func svsBlockEnding() throws {
    #expect(StageRunTransitions.target(from: .postRun, on: .svsBlock, TransitionContext(source: "t")) == .failed)
    #expect(StageRunTransitions.target(from: .preparing, on: .svsBlock, TransitionContext(source: "t")) == .failed)
    #expect(StageRunTransitions.target(from: .running, on: .svsBlock, TransitionContext(source: "t")) == nil)
  }
}
