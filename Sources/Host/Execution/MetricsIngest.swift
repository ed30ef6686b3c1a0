import Foundation
import Logging
import PluginKit

/// Reads a run's metrics file (goldfish.io's metrics.jsonl) from where the previous read
/// stopped, so metrics show while the stage runs.
///
/// Every status poll of a running run reads what was appended since; the run's end reads the
/// rest. Only complete lines are read while the run lives: a line the stage is still writing
/// waits for the next poll. The offset is stored with the points in one transaction, so a
/// restart carries on where it was. A file shorter than the offset was truncated or replaced:
/// it is read again from its start (points already stored are not stored twice).
public struct MetricsIngest: Sendable {
  public let store: ProjectStore
  /// The most read at once; a longer backlog is read over several reads.
  static let chunkBytes = 4 << 20

  static let logger = Logger(label: "goldfish.metrics")

  /// The during-run rules checked after each poll's read (none when nil).
  public var health: MetricHealth?

  public init(store: ProjectStore, health: MetricHealth? = nil) {
    self.store = store
    self.health = health
  }

  /// The metrics file a run's stage writes into its outputs folder on this machine (the
  /// process backend's folder, docker's bind mount, a warm worker's run folder).
  public static func metricsFile(of run: StageRunRecord) -> String? {
    run.workDir.map { StageIO.metricsFile(outputsDir: RunLayout.outputsDir(workDir: $0)) }
  }

  /// A poll's read: new complete lines only. Never fails the poll: a problem is logged and
  /// the next poll tries again from the same offset.
  func poll(_ run: StageRunRecord) {
    guard let path = Self.metricsFile(of: run) else { return }
    do {
      let read = try ingestReporting(run.id, path: path, final: false)
      health?.check(run, nonFinite: read.nonFinite)
    } catch {
      Self.logger.warning("run \(run.id): reading its metrics failed (next poll retries): \(error.message)")
    }
  }

  /// Reads `path` on from the run's stored offset and stores the points. `final` (the run
  /// ended, nothing more will be written) also takes a last line that has no newline.
  /// Returns how many points were read.
  @discardableResult
  public func ingest(_ runID: String, path: String, final: Bool) throws(GoldfishError) -> Int {
    try ingestReporting(runID, path: path, final: final).points
  }

  /// `ingest`, also naming the metrics whose lines carried NaN or an infinity (not storable points).
  func ingestReporting(
    _ runID: String, path: String, final: Bool
  ) throws(GoldfishError) -> (points: Int, nonFinite: [String]) {
    var nonFinite: [String] = []
    var stored = try store.metricsProgress(of: runID).offset
    var offset = stored
    var read = 0
    defer {
      // A reset offset (the file shrank) is kept even when no point came with it.
      if offset != stored { try? store.ingestMetrics(runID, [], offset: offset) }
    }
    while let size = Self.fileSize(path) {
      if size < offset {
        Self.logger.notice("run \(runID): its metrics file shrank below offset \(offset); reading it again")
        offset = 0
      }
      guard size > offset else { break }
      let bytes = try Self.bytes(path, from: offset, count: Int(min(Int64(Self.chunkBytes), size - offset)))
      let chunk = Self.completeLines(bytes, final: final, full: bytes.count == Self.chunkBytes)
      // Nothing but an unfinished line: it waits for the next read.
      guard chunk.consumed > 0 else { break }
      let points = chunk.lines.compactMap(MetricsFile.parse)
      nonFinite += chunk.lines.compactMap(MetricsFile.nonFiniteName)
      offset += Int64(chunk.consumed)
      try store.ingestMetrics(runID, points, offset: offset)
      stored = offset
      read += points.count
      if bytes.count < Self.chunkBytes { break }
    }
    return (read, nonFinite)
  }

  /// The complete lines at the start of `bytes` and how many bytes they take. With `final` a
  /// last line without a newline counts too. A chunk that is `full` and holds no newline is a
  /// line longer than any metric: it is skipped, not waited for forever.
  static func completeLines(_ bytes: [UInt8], final: Bool, full: Bool) -> (lines: [Substring], consumed: Int) {
    let newline = UInt8(ascii: "\n")
    let end: Int
    if final {
      end = bytes.count
    } else if let last = bytes.lastIndex(of: newline) {
      end = last + 1
    } else {
      return ([], full ? bytes.count : 0)
    }
    let text = String(decoding: bytes[..<end], as: UTF8.self)
    return (text.split(separator: "\n"), end)
  }

  static func fileSize(_ path: String) -> Int64? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    return (attributes[.size] as? NSNumber)?.int64Value
  }

  static func bytes(_ path: String, from offset: Int64, count: Int) throws(GoldfishError) -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw GoldfishError(.ioFailed, "cannot open the metrics file \(path)")
    }
    defer { try? handle.close() }
    do {
      try handle.seek(toOffset: UInt64(offset))
      return [UInt8](try handle.read(upToCount: count) ?? Data())
    } catch {
      throw GoldfishError(.ioFailed, "cannot read the metrics file \(path): \(error.localizedDescription)")
    }
  }
}

/// The lines goldfish.io writes to metrics.jsonl. Only `metric` lines are points; artifact
/// lines and lines that are not JSON are skipped.
enum MetricsFile {
  static func parse(_ line: Substring) -> MetricRecord? {
    guard let value = try? JSONCoding.parse(String(line)), value["type"]?.stringValue == "metric",
      let name = value["name"]?.stringValue, let timestamp = value["timestamp"]?.stringValue
    else { return nil }
    let number: Double? =
      switch value["value"] {
      case .int(let integer): Double(integer)
      case .double(let double): double
      default: nil
      }
    guard let number else { return nil }
    return MetricRecord(name: name, value: number, step: value["step"]?.intValue.map(Int.init), timestamp: timestamp)
  }

  /// The name of a metric line whose value is NaN or an infinity (a bare `NaN` token, as
  /// Python's json writes it, or the words as strings); nil for any other line.
  static func nonFiniteName(_ line: Substring) -> String? {
    let text = String(line)
    guard text.contains("\"metric\""), let pattern = nonFinite,
      let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
      let range = Range(match.range(at: 1), in: text)
    else { return nil }
    return String(text[range])
  }

  nonisolated(unsafe) private static let nonFinite = try? NSRegularExpression(
    pattern: #""name"\s*:\s*"([^"]+)".*"value"\s*:\s*("?(?:NaN|nan|-?Infinity|-?inf)"?)\s*[,}]"#)
}
