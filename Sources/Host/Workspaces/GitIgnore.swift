import Foundation

/// Which files of a workspace are never saved into a version, in `.gitignore` syntax.
///
/// Semantics follow git's: the last matching pattern wins; `!` re-includes; a pattern with a slash
/// (other than a trailing one) is anchored to the root, one without matches a name at any depth; a
/// trailing `/` matches directories only; `*` and `?` never cross a `/`, `**` as a whole path
/// segment crosses any number of them; and, as in git, nothing inside an ignored directory can be
/// re-included (the directory is never walked).
public struct IgnoreRules: Sendable {
  public static let defaultPatterns: [String] = [
    "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/",
    ".ipynb_checkpoints/", ".DS_Store", ".git", ".venv/", "*.swp",
  ]

  /// The defaults alone.
  public static let standard = IgnoreRules(patterns: defaultPatterns)

  let patterns: [IgnorePattern]

  public init(patterns: [String]) {
    self.patterns = patterns.compactMap(IgnorePattern.init(line:))
  }

  private init(parsed: [IgnorePattern]) { self.patterns = parsed }

  /// These rules followed by the patterns of a `.gitignore` file, which therefore override them.
  /// `path` is the file itself or the directory holding it; a missing or unreadable file adds nothing.
  public func adding(gitignoreAt path: String) -> IgnoreRules {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return self }
    let file = isDirectory.boolValue ? path + "/.gitignore" : path
    // A .gitignore that is a link is read only if it stays inside its folder: links are never
    // followed out of a workspace.
    let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
    if (try? FileManager.default.destinationOfSymbolicLink(atPath: file)) != nil,
      !PathConfinement.isInside(file, root: folder)
    {
      return self
    }
    guard let data = FileManager.default.contents(atPath: file) else { return self }
    let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false) {
      $0 == "\n" || $0 == "\r\n"
    }
    return IgnoreRules(parsed: patterns + lines.compactMap { IgnorePattern(line: String($0)) })
  }

  /// Whether `relativePath` ('/'-separated, relative to the root the rules apply to) is ignored,
  /// itself or because a directory above it is.
  public func isIgnored(_ relativePath: String, isDirectory: Bool) -> Bool {
    let path = Array(relativePath.utf8.drop { $0 == UInt8(ascii: "/") })
    var start = 0
    for index in path.indices where path[index] == UInt8(ascii: "/") {
      if index > start, matches(path[0..<index], isDirectory: true) { return true }
      start = index + 1
    }
    return matches(path[...], isDirectory: isDirectory)
  }

  /// The decision for this exact path, assuming its parent directories are not ignored: a directory
  /// walk prunes ignored directories, so it only needs this.
  func matches(_ path: ArraySlice<UInt8>, isDirectory: Bool) -> Bool {
    let slash = path.lastIndex(of: UInt8(ascii: "/"))
    let name = slash.map { path[($0 + 1)...] } ?? path
    for pattern in patterns.reversed() where pattern.matches(path: path, name: name, isDirectory: isDirectory) {
      return !pattern.negated
    }
    return false
  }
}

/// One parsed line of a `.gitignore`.
struct IgnorePattern: Sendable {
  static let maxStarGroups = 100

  let glob: [UInt8]
  let negated: Bool
  let directoryOnly: Bool
  /// Matched against the whole relative path rather than the last component.
  let anchored: Bool
  /// The fast paths that cover almost every real pattern: a plain name, or `*` plus a suffix.
  let literal: [UInt8]?
  let suffix: [UInt8]?

  init?(line: String) {
    var bytes = Array(line.utf8)
    if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
    // Trailing spaces are dropped unless escaped with a backslash.
    while bytes.last == UInt8(ascii: " "), !(bytes.count >= 2 && bytes[bytes.count - 2] == UInt8(ascii: "\\")) {
      bytes.removeLast()
    }
    guard let first = bytes.first, first != UInt8(ascii: "#") else { return nil }
    var negated = false
    if first == UInt8(ascii: "!") {
      negated = true
      bytes.removeFirst()
    } else if first == UInt8(ascii: "\\"), bytes.count > 1,
      bytes[1] == UInt8(ascii: "#") || bytes[1] == UInt8(ascii: "!")
    {
      bytes.removeFirst()
    }
    var directoryOnly = false
    while bytes.last == UInt8(ascii: "/") {
      directoryOnly = true
      bytes.removeLast()
    }
    var anchored = bytes.contains(UInt8(ascii: "/"))
    if bytes.first == UInt8(ascii: "/") {
      bytes.removeFirst()
      anchored = true
    }
    guard !bytes.isEmpty else { return nil }
    // Matching recurses once per group of stars: a hostile line of thousands of them would overflow
    // the stack. No real pattern comes near the bound; a line over it is not used.
    let starGroups = zip(bytes, [0] + bytes).filter { $0 == UInt8(ascii: "*") && $1 != UInt8(ascii: "*") }.count
    guard starGroups <= Self.maxStarGroups else { return nil }
    self.glob = bytes
    self.negated = negated
    self.directoryOnly = directoryOnly
    self.anchored = anchored
    let special: Set<UInt8> = [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "\\")]
    self.literal = bytes.contains(where: special.contains) ? nil : bytes
    if !anchored, bytes.first == UInt8(ascii: "*"), !bytes.dropFirst().contains(where: special.contains) {
      self.suffix = Array(bytes.dropFirst())
    } else {
      self.suffix = nil
    }
  }

  func matches(path: ArraySlice<UInt8>, name: ArraySlice<UInt8>, isDirectory: Bool) -> Bool {
    if directoryOnly && !isDirectory { return false }
    let subject = anchored ? path : name
    if let literal { return subject.elementsEqual(literal) }
    if let suffix { return subject.count >= suffix.count && subject.suffix(suffix.count).elementsEqual(suffix) }
    return glob.withUnsafeBufferPointer { pattern in
      subject.withUnsafeBufferPointer { text in Wildmatch.match(pattern, 0, text, 0) }
    }
  }
}

/// gitignore glob matching over bytes.
///
/// As in git's wildmatch, a failed attempt says how far the failure reaches: `abortAll` (the text
/// ran out, so no later alignment of any enclosing star can match) and `abortToStarStar` (a single
/// star met a '/', so only an enclosing `**` may try further). Without this a pattern such as
/// `*a*a*a…b` tries every way to split a long name: exponential time on one hostile line.
/// Recursion depth is the number of star groups in the pattern, which `IgnorePattern` bounds.
enum Wildmatch {
  static let slash = UInt8(ascii: "/")
  static let star = UInt8(ascii: "*")

  enum Outcome { case match, noMatch, abortAll, abortToStarStar }

  static func match(_ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ t: UnsafeBufferPointer<UInt8>, _ ti: Int) -> Bool {
    outcome(p, pi, t, ti) == .match
  }

  static func outcome(
    _ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ t: UnsafeBufferPointer<UInt8>, _ ti: Int
  ) -> Outcome {
    var pi = pi
    var ti = ti
    while pi < p.count {
      let c = p[pi]
      if ti == t.count && c != star { return .abortAll }
      switch c {
      case star:
        var next = pi + 1
        let double = next < p.count && p[next] == star
        if double {
          while next < p.count && p[next] == star { next += 1 }
          let segmentStart = pi == 0 || p[pi - 1] == slash
          let segmentEnd = next == p.count || p[next] == slash
          if segmentStart && segmentEnd {
            if next == p.count { return .match }  // "x/**": everything below
            // "**/": zero or more whole directories.
            let rest = next + 1
            if outcome(p, rest, t, ti) == .match { return .match }
            var k = ti
            while k < t.count {
              if t[k] == slash {
                let result = outcome(p, rest, t, k + 1)
                if result == .match || result == .abortAll { return result }
              }
              k += 1
            }
            return .abortAll
          }
        }
        // A single star (or a "**" inside a segment): any run of characters but '/'.
        if next == p.count { return t[ti...].contains(slash) ? .abortToStarStar : .match }
        var k = ti
        while k < t.count {
          let result = outcome(p, next, t, k)
          if result != .noMatch { return result }
          if t[k] == slash { return .abortToStarStar }
          k += 1
        }
        return .abortAll
      case UInt8(ascii: "?"):
        guard t[ti] != slash else { return .noMatch }
        pi += 1
        ti += 1
      case UInt8(ascii: "["):
        guard t[ti] != slash, let (matched, end) = matchClass(p, pi, t[ti]) else {
          // An unterminated '[' is a literal character.
          if t[ti] == c, matchClass(p, pi, 0) == nil {
            pi += 1
            ti += 1
            continue
          }
          return .noMatch
        }
        guard matched else { return .noMatch }
        pi = end
        ti += 1
      case UInt8(ascii: "\\") where pi + 1 < p.count:
        guard t[ti] == p[pi + 1] else { return .noMatch }
        pi += 2
        ti += 1
      default:
        guard t[ti] == c else { return .noMatch }
        pi += 1
        ti += 1
      }
    }
    return ti == t.count ? .match : .noMatch
  }

  /// A bracket expression at `p[start]`: whether `byte` is in it, and the index after its ']'.
  /// Nil when the bracket is never closed.
  static func matchClass(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
    var i = start + 1
    var negate = false
    if i < p.count, p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") {
      negate = true
      i += 1
    }
    var found = false
    var first = true
    while i < p.count {
      var c = p[i]
      if c == UInt8(ascii: "]") && !first { return (found != negate, i + 1) }
      first = false
      if c == UInt8(ascii: "\\"), i + 1 < p.count {
        i += 1
        c = p[i]
      }
      if i + 2 < p.count, p[i + 1] == UInt8(ascii: "-"), p[i + 2] != UInt8(ascii: "]") {
        var high = p[i + 2]
        var skip = 3
        if high == UInt8(ascii: "\\"), i + 3 < p.count {
          high = p[i + 3]
          skip = 4
        }
        if c <= byte && byte <= high { found = true }
        i += skip
      } else {
        if c == byte { found = true }
        i += 1
      }
    }
    return nil
  }
}
