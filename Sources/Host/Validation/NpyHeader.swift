import Foundation

/// The header of a `.npy` file (format 1.0–3.0): dtype, shape and byte order, read from the first
/// bytes only, so checking a 50 GB array costs what checking a 50 byte one does.
public struct NpyHeader: Sendable, Equatable {
  /// numpy's `descr`, such as `<f4`, `|u1`, `<U12`.
  public var descr: String
  public var fortranOrder: Bool
  public var shape: [Int]
  /// Where the data starts.
  public var dataOffset: Int

  /// The numpy name of the dtype (`float32`, `int64`, `bool`, `str`…), or the descr itself when
  /// it is a structured or exotic one.
  public var dtypeName: String { Self.dtypeName(descr) }

  public var elementCount: Int { shape.reduce(1, *) }

  /// Headers are padded to at most 64 KiB by numpy in practice; anything longer is not an npy file.
  static let maximumHeaderBytes = 1 << 20

  public static func read(path: String) throws(GoldfishError) -> NpyHeader {
    guard let file = FileHandle(forReadingAtPath: path) else {
      throw GoldfishError(.invalidArgument, "cannot open \(path) to read its npy header")
    }
    defer { try? file.close() }
    let preamble = (try? file.read(upToCount: 12)) ?? Data()
    guard preamble.count >= 10, Array(preamble.prefix(6)) == [0x93] + Array("NUMPY".utf8) else {
      throw malformed(path, "it does not start with the npy magic bytes (\\x93NUMPY)")
    }
    let major = preamble[preamble.startIndex + 6]
    let bytes = Array(preamble)
    let (length, start): (Int, Int)
    switch major {
    case 1: (length, start) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
    case 2, 3:
      guard bytes.count >= 12 else { throw malformed(path, "its header is cut short") }
      length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      start = 12
    default: throw malformed(path, "npy format version \(major) is not one goldfish reads (1, 2 or 3)")
    }
    guard length <= maximumHeaderBytes else { throw malformed(path, "its header claims \(length) bytes") }
    do {
      try file.seek(toOffset: UInt64(start))
    } catch {
      throw malformed(path, "its header cannot be read")
    }
    let headerData = (try? file.read(upToCount: length)) ?? Data()
    guard headerData.count == length, let text = String(data: headerData, encoding: major == 3 ? .utf8 : .isoLatin1)
    else { throw malformed(path, "its header is cut short") }
    guard var header = parse(text) else {
      throw malformed(path, "its header is not a numpy header dict: \(text.prefix(200))")
    }
    header.dataOffset = start + length
    return header
  }

  /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
  static func parse(_ text: String) -> NpyHeader? {
    guard let descr = quotedValue(of: "descr", in: text), let shapeText = tupleValue(of: "shape", in: text) else {
      return nil
    }
    var shape: [Int] = []
    for part in shapeText.split(separator: ",") {
      let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
      guard !trimmed.isEmpty else { continue }
      guard let dimension = Int(trimmed), dimension >= 0 else { return nil }
      shape.append(dimension)
    }
    let fortran = text.range(of: "'fortran_order': True") != nil
    return NpyHeader(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: 0)
  }

  private static func quotedValue(of key: String, in text: String) -> String? {
    guard let keyRange = text.range(of: "'\(key)':") else { return nil }
    let rest = text[keyRange.upperBound...].drop { $0 == " " }
    guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
    let body = rest.dropFirst()
    guard let end = body.firstIndex(of: quote) else { return nil }
    return String(body[..<end])
  }

  private static func tupleValue(of key: String, in text: String) -> String? {
    guard let keyRange = text.range(of: "'\(key)':") else { return nil }
    let rest = text[keyRange.upperBound...].drop { $0 == " " }
    guard rest.first == "(", let end = rest.firstIndex(of: ")") else { return nil }
    return String(rest[rest.index(after: rest.startIndex)..<end])
  }

  static func dtypeName(_ descr: String) -> String {
    var code = Substring(descr)
    if let first = code.first, "<>|=".contains(first) { code = code.dropFirst() }
    guard let kind = code.first else { return descr }
    let size = Int(code.dropFirst()) ?? 0
    switch kind {
    case "f": return "float\(size * 8)"
    case "i": return "int\(size * 8)"
    case "u": return "uint\(size * 8)"
    case "c": return "complex\(size * 8)"
    case "b": return "bool"
    case "U": return "str"
    case "S": return "bytes"
    case "O": return "object"
    default: return descr
    }
  }

  private static func malformed(_ path: String, _ why: String) -> GoldfishError {
    GoldfishError(
      .invalidArgument, "\((path as NSString).lastPathComponent) is not a readable npy file: \(why)",
      hint: "save arrays with numpy.save or goldfish.io.save_output")
  }
}
