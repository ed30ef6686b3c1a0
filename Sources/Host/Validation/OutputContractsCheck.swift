import Foundation
import PluginKit

/// The structural half of output contracts, done on the host so a stage that never imports
/// goldfish.io is checked too: the output exists (as a file or a folder, as declared), its size is
/// within bounds, an npy file's header has the declared shape and dtype (the header only, never
/// the data), a csv file's header has the declared columns and its first rows the declared types.
/// Findings are `error` for a broken contract and `note` for what the host cannot check.
public struct OutputContractsCheck: Sendable {
  public let outputsDir: String

  public init(outputsDir: String) {
    self.outputsDir = outputsDir
  }

  /// How much of a csv the host reads to learn its column types.
  static let csvSampleBytes = 1 << 20
  static let csvSampleRows = 1000

  public func check(_ output: SignalDefinition, _ contract: OutputContract) -> [SVSFinding] {
    var findings = contract.problems.map {
      SVSFinding(check: "schema", severity: .warning, message: "\(output.name): \($0)", subject: output.name)
    }
    guard let path = locate(output) else {
      findings.append(
        error(
          "exists", output,
          "stage did not write output \(output.name) (declared \(output.type.rawValue)); nothing to check"))
      return findings
    }
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    let wantsDirectory = output.type == .directory || contract.kind == "directory"
    let wantsFile = [.npy, .csv, .file].contains(output.type) || contract.kind == "file"
    if wantsDirectory && !isDirectory.boolValue {
      findings.append(error("exists", output, "output \(output.name) is declared a directory but is a file"))
    } else if wantsFile && isDirectory.boolValue && !(contract.kind == "tensor" && output.type == .directory) {
      findings.append(error("exists", output, "output \(output.name) is declared a file but is a directory"))
    }
    let size = isDirectory.boolValue ? Self.folderSize(path) : Self.fileSize(path)
    if let minimum = contract.minBytes, size < minimum {
      findings.append(
        error(
          "size", output, "output \(output.name) has \(size) bytes, fewer than min_bytes \(minimum)",
          ["bytes": .int(size), "min_bytes": .int(minimum)]))
    }
    if let maximum = contract.maxBytes, size > maximum {
      findings.append(
        error(
          "size", output, "output \(output.name) has \(size) bytes, more than max_bytes \(maximum)",
          ["bytes": .int(size), "max_bytes": .int(maximum)]))
    }
    guard !isDirectory.boolValue else { return findings }
    switch (path as NSString).pathExtension.lowercased() {
    case "npy": findings += checkNpy(path, output, contract)
    case "csv", "tsv": findings += checkCSV(path, output, contract)
    case "npz" where contract.shape != nil || contract.dtype != nil:
      findings.append(
        note(output, "npz arrays of \(output.name) are checked in the stage by goldfish.io, not on the host"))
    case "parquet" where contract.columns != nil || !contract.dtypes.isEmpty:
      findings.append(
        note(
          output,
          "parquet columns of \(output.name) are checked in the stage by goldfish.io (with pyarrow), not on the host"))
    default:
      if output.type == .npy && (contract.shape != nil || contract.dtype != nil) {
        findings += checkNpy(path, output, contract)
      }
    }
    return findings
  }

  /// Where the stage left an output: what outputs.json says, else the conventional name
  /// (the same places the output recorder looks).
  public func locate(_ output: SignalDefinition) -> String? {
    OutputLocator.candidates(output, outputsDir: outputsDir).first {
      FileManager.default.fileExists(atPath: $0) && PathConfinement.isInside($0, root: outputsDir)
    }
  }

  private func checkNpy(_ path: String, _ output: SignalDefinition, _ contract: OutputContract) -> [SVSFinding] {
    guard contract.shape != nil || contract.rank != nil || contract.dtype != nil else { return [] }
    let header: NpyHeader
    do {
      header = try NpyHeader.read(path: path)
    } catch {
      return [self.error("format", output, error.message)]
    }
    var findings: [SVSFinding] = []
    if !contract.shapeMatches(header.shape) {
      let actual = "[" + header.shape.map(String.init).joined(separator: ", ") + "]"
      let declared = contract.shape == nil ? "rank \(contract.rank ?? 0)" : contract.shapeText
      findings.append(
        error(
          "shape", output, "output \(output.name) has shape \(actual), the contract declares \(declared)",
          ["actual": .array(header.shape.map { .int(Int64($0)) }), "declared": .string(declared)]))
    }
    if let declared = contract.dtype, !OutputContract.dtype(header.dtypeName, satisfies: declared) {
      findings.append(
        error(
          "dtype", output, "output \(output.name) has dtype \(header.dtypeName), the contract declares \(declared)",
          ["actual": .string(header.dtypeName), "declared": .string(declared)]))
    }
    return findings
  }

  private func checkCSV(_ path: String, _ output: SignalDefinition, _ contract: OutputContract) -> [SVSFinding] {
    guard contract.columns != nil || !contract.dtypes.isEmpty else { return [] }
    let separator: Character = (path as NSString).pathExtension.lowercased() == "tsv" ? "\t" : ","
    let rows = Self.csvRows(path, separator: separator)
    guard let header = rows.first else {
      return [error("columns", output, "output \(output.name) is an empty csv file: it has no header")]
    }
    var findings: [SVSFinding] = []
    if let columns = contract.columns, columns != header {
      let missing = columns.filter { !header.contains($0) }
      let extra = header.filter { !columns.contains($0) }
      var message = "output \(output.name) has columns \(header), the contract declares \(columns)"
      if !missing.isEmpty { message += "; missing: \(missing.joined(separator: ", "))" }
      if !extra.isEmpty { message += "; not declared: \(extra.joined(separator: ", "))" }
      findings.append(
        error(
          "columns", output, message,
          ["actual": .array(header.map(JSONValue.string)), "declared": .array(columns.map(JSONValue.string))]))
    }
    for (column, declared) in contract.dtypes.sorted(by: { $0.key < $1.key }) {
      guard let index = header.firstIndex(of: column) else {
        if contract.columns == nil {
          findings.append(error("columns", output, "output \(output.name) has no column \(column)"))
        }
        continue
      }
      let values = rows.dropFirst().compactMap { $0.indices.contains(index) ? $0[index] : nil }
      let actual = Self.inferType(values)
      if !OutputContract.dtype(actual, satisfies: declared) {
        findings.append(
          error(
            "column_type", output,
            "column \(column) of output \(output.name) holds \(actual) values (first \(values.count) rows), "
              + "the contract declares \(declared)",
            ["column": .string(column), "actual": .string(actual), "declared": .string(declared)]))
      }
    }
    return findings
  }

  /// The header and the first rows, read from the first MiB only; a line cut at that bound is dropped.
  static func csvRows(_ path: String, separator: Character) -> [[String]] {
    guard let file = FileHandle(forReadingAtPath: path) else { return [] }
    defer { try? file.close() }
    let data = (try? file.read(upToCount: csvSampleBytes)) ?? Data()
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    if data.count == csvSampleBytes, lines.count > 1 { lines.removeLast() }
    return lines.prefix(csvSampleRows + 1).map { parseLine(String($0), separator: separator) }
  }

  /// One csv line: quoted fields, doubled quotes inside them.
  static func parseLine(_ line: String, separator: Character) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var iterator = Array(line.hasSuffix("\r") ? String(line.dropLast()) : line).makeIterator()
    var pending: Character? = nil
    while let character = pending ?? iterator.next() {
      pending = nil
      if quoted {
        if character == "\"" {
          if let next = iterator.next() {
            if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
          } else {
            quoted = false
          }
        } else {
          field.append(character)
        }
      } else if character == "\"" && field.isEmpty {
        quoted = true
      } else if character == separator {
        fields.append(field)
        field = ""
      } else {
        field.append(character)
      }
    }
    fields.append(field)
    return fields
  }

  /// The narrowest of int64, float64, bool and str that holds every non-empty value.
  static func inferType(_ values: [String]) -> String {
    let present = values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !present.isEmpty else { return "float64" }
    if present.allSatisfy({ Int64($0) != nil }) { return "int64" }
    let missing: Set<String> = ["nan", "NaN", "NA", "null", "None", "inf", "-inf"]
    if present.allSatisfy({ Double($0) != nil || missing.contains($0) }) { return "float64" }
    if present.allSatisfy({ ["true", "false"].contains($0.lowercased()) }) { return "bool" }
    return "str"
  }

  static func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
  }

  static func folderSize(_ path: String) -> Int64 {
    OutputRecorder.files(in: path).reduce(0) { $0 + fileSize(path + "/" + $1) }
  }

  private func error(
    _ check: String, _ output: SignalDefinition, _ message: String, _ details: [String: JSONValue]? = nil
  ) -> SVSFinding {
    SVSFinding(
      check: check, severity: .error, message: message, subject: output.name, details: details.map { .object($0) })
  }

  private func note(_ output: SignalDefinition, _ message: String) -> SVSFinding {
    SVSFinding(check: "not_checked", severity: .note, message: message, subject: output.name)
  }
}
