/// What a service says about its own goldfish.yaml section (`check_config`, ABI 1.2): every key
/// with the value in effect, defaults filled in, and what is wrong with the section as written.
public struct ConfigReport: Codable, Sendable, Equatable {
  /// One thing wrong with the section. `key` is the dotted path inside the section
  /// (`warm_pool.max_instances`), nil for the section as a whole.
  public struct Problem: Codable, Sendable, Equatable {
    public var key: String?
    public var message: String
    public var hint: String?

    public init(key: String?, message: String, hint: String? = nil) {
      self.key = key
      self.message = message
      self.hint = hint
    }
  }

  public var effective: JSONValue
  /// What makes the section unusable: `open` would refuse it.
  public var problems: [Problem]
  /// Warnings: keys accepted without effect, old spellings read under their new name.
  public var notes: [Problem]

  public init(effective: JSONValue, problems: [Problem] = [], notes: [Problem] = []) {
    self.effective = effective
    self.problems = problems
    self.notes = notes
  }

  /// The report of a section whose settings could not be read: `open` would refuse it with
  /// `error`. The key named in `error.detail["key"]`, if any, is the problem's key.
  public init(refused error: PluginError, effective: JSONValue = [:], problems: [Problem] = [], notes: [Problem] = []) {
    self.init(
      effective: effective,
      problems: problems + [Problem(key: error.detail["key"]?.stringValue, message: error.message)], notes: notes)
  }

  private enum CodingKeys: String, CodingKey { case effective, problems, notes }

  /// A plugin may leave out what it has nothing to say about (a C plugin answering `{"problems": []}`).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    effective = try container.decodeIfPresent(JSONValue.self, forKey: .effective) ?? [:]
    problems = try container.decodeIfPresent([Problem].self, forKey: .problems) ?? []
    notes = try container.decodeIfPresent([Problem].self, forKey: .notes) ?? []
  }

  /// A problem for every top-level key of `config` that is not in `allowed`, listing those.
  /// `ignored` keys are accepted without a problem (the host's own keys in the section, such
  /// as `warm_pool`).
  public static func unknownKeys(in config: JSONValue, allowed: [String], ignored: [String] = []) -> [Problem] {
    let fields = config.objectValue ?? [:]
    let known = Set(allowed + ignored)
    return fields.keys.sorted().filter { !known.contains($0) }.map { key in
      let close = allowed.filter { Self.distance($0, key) <= 2 }
      return Problem(
        key: key, message: "unknown key \"\(key)\"",
        hint: (close.first.map { "did you mean \"\($0)\"? " } ?? "") + "allowed: " + allowed.joined(separator: ", "))
    }
  }

  /// Edit distance, for the "did you mean" of a misspelled key.
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1]
      for (j, y) in b.enumerated() {
        current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
      }
      previous = current
    }
    return previous[b.count]
  }
}
