import Foundation
import PluginKit
import PluginSupport

/// Files a stage named with `goldfish.metrics.log_artifact(name, path)`: stored with the run's
/// outputs under `runs/<run id>/outputs/artifacts/<path>` and recorded as output signals named
/// `artifact:<name>` of type `artifact`, so `inspect_run`, `lineage` and `goldfish inspect` list
/// them next to the declared outputs (the `artifact:` prefix keeps them apart from those, and
/// from any input's `from_stage` signal). A logged path the stage did not leave, or one that
/// leaves the outputs folder, is a warning finding on the run, never a failed run.
extension OutputRecorder {
  static let artifactSignalPrefix = "artifact:"
  static let artifactSignalType = "artifact"
  static let artifactsReviewer = "logged_artifacts"

  /// The last `{"type": "artifact", "name", "path"}` line per name in the run's metrics file.
  static func loggedArtifacts(metricsFile: String) -> [(name: String, path: String)] {
    guard let data = try? Data(contentsOf: URL(fileURLWithPath: metricsFile), options: .alwaysMapped) else {
      return []
    }
    var latest: [String: String] = [:]
    var order: [String] = []
    let marker = Array("\"artifact\"".utf8)
    for line in data.split(separator: UInt8(ascii: "\n")) where Self.contains(line, marker) {
      guard let value = try? JSONCoding.parse(String(decoding: line, as: UTF8.self)),
        value["type"]?.stringValue == "artifact", let name = value["name"]?.stringValue,
        let path = value["path"]?.stringValue
      else { continue }
      if latest[name] == nil { order.append(name) }
      latest[name] = path
    }
    return order.compactMap { name in latest[name].map { (name, $0) } }
  }

  private static func contains(_ line: Data.SubSequence, _ marker: [UInt8]) -> Bool {
    line.count >= marker.count && line.firstRange(of: marker) != nil
  }

  func recordLoggedArtifacts() throws(GoldfishError) -> [SignalRecord] {
    var records: [SignalRecord] = []
    var findings: [SVSFinding] = []
    for (name, relative) in Self.loggedArtifacts(metricsFile: StageIO.metricsFile(outputsDir: outputsDir)) {
      let path = outputsDir + "/" + relative
      guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains(".."),
        FileManager.default.fileExists(atPath: path), PathConfinement.isInside(path, root: outputsDir)
      else {
        findings.append(
          SVSFinding(
            check: "logged_artifact", severity: .warning,
            message: "log_artifact(\(ValueQuote.short(name)), \(ValueQuote.short(relative))) names no file the stage "
              + "left in its outputs folder; it was not stored", subject: name))
        continue
      }
      records.append(try storeArtifact(name: name, relative: relative, at: path))
    }
    if !findings.isEmpty {
      _ = try? services.project.store.addReview(
        SVSReview(
          stageRunID: run.id, kind: .postRun, decision: .warned, reviewer: Self.artifactsReviewer, findings: findings))
    }
    return records
  }

  private func storeArtifact(name: String, relative: String, at path: String) throws(GoldfishError) -> SignalRecord {
    let key = RunLayout.outputsKey(run.id) + "/artifacts/" + relative
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    let signal = Self.artifactSignalPrefix + name
    guard isDirectory.boolValue else {
      let (uri, size, hash) = try put(path, key: key)
      return SignalRecord(
        stageRunID: run.id, signal: signal, direction: "output", signalType: Self.artifactSignalType, uri: uri,
        sizeBytes: size, hash: "sha256:" + hash)
    }
    var total: Int64 = 0
    var listing = ""
    for file in Self.files(in: path) {
      guard PathConfinement.isInside(path + "/" + file, root: outputsDir) else { continue }
      let (_, size, hash) = try put(path + "/" + file, key: key + "/" + file)
      total += size
      listing += "\(file):\(hash)\n"
    }
    return SignalRecord(
      stageRunID: run.id, signal: signal, direction: "output", signalType: Self.artifactSignalType,
      uri: try uri(for: key) + "/", sizeBytes: total, hash: "sha256:" + SHA256Hasher.hex(of: Array(listing.utf8)))
  }
}
