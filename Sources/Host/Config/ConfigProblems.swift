import PluginKit

/// Something the loader changed or ignored on the user's behalf: an upstream key moved to its
/// new place, a key that has no effect here. `config validate` prints these as warnings.
public struct ConfigNote: Sendable, Equatable, CustomStringConvertible {
  public var key: String
  public var line: Int?
  public var message: String

  public var description: String {
    line.map { "goldfish.yaml:\($0): \(key): \(message)" } ?? "goldfish.yaml: \(key): \(message)"
  }
}

/// Every problem found in one pass over goldfish.yaml. Section readers record problems here and
/// carry on with the default, so a user fixing their file sees all of them at once rather than
/// one per attempt.
final class ConfigProblems {
  let document: ConfigDocument
  private(set) var errors: [GoldfishError] = []
  private var unorderedNotes: [ConfigNote] = []

  /// In file order, so warnings read top to bottom like the file.
  var notes: [ConfigNote] {
    unorderedNotes.enumerated().sorted { a, b in
      let lineA = a.element.line ?? .max
      let lineB = b.element.line ?? .max
      return lineA != lineB ? lineA < lineB : a.offset < b.offset
    }.map(\.element)
  }

  init(document: ConfigDocument) { self.document = document }

  func add(_ error: GoldfishError) { errors.append(error) }

  func note(_ keyPath: String, _ message: String) {
    unorderedNotes.append(ConfigNote(key: keyPath, line: document.line(of: keyPath), message: message))
  }

  /// Runs a reader that throws (such as `PluginsConfig(from:)`), keeping its error and the fallback.
  func attempt<T>(_ fallback: T, _ body: () throws(GoldfishError) -> T) -> T {
    do {
      return try body()
    } catch {
      add(error)
      return fallback
    }
  }

  /// Throws the first problem in file order, with every problem in `detail["errors"]`.
  func finish() throws(GoldfishError) {
    guard !errors.isEmpty else { return }
    let ordered = errors.enumerated().sorted { a, b in
      let lineA = a.element.detail["line"]?.intValue ?? .max
      let lineB = b.element.detail["line"]?.intValue ?? .max
      return lineA != lineB ? lineA < lineB : a.offset < b.offset
    }.map(\.element)
    var first = ordered[0]
    let list: [JSONValue] = ordered.map { error in
      var entry: [String: JSONValue] = [
        "key": error.detail["key"] ?? .null, "line": error.detail["line"] ?? .null,
        "message": .string(error.message),
      ]
      if let hint = error.hint { entry["hint"] = .string(hint) }
      return .object(entry)
    }
    first.detail["errors"] = .array(list)
    if ordered.count > 1 {
      let more =
        "\(ordered.count - 1) more problem\(ordered.count == 2 ? "" : "s") in goldfish.yaml: "
        + "`goldfish config validate` lists them all"
      first.hint = first.hint.map { "\($0)\n  (\(more))" } ?? more
    }
    throw first
  }
}
