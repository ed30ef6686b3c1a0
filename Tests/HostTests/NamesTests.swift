import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Name validation")
struct NamesTests {
  func failure(_ body: () throws(GoldfishError) -> Void) -> GoldfishError? {
    do {
      try body()
      return nil
    } catch {
      return error
    }
  }

  @Test("valid names of every kind pass")
  func validNames() throws {
    for name in ["a", "w1", "baseline-v2", "Exp_3", String(repeating: "a", count: 64)] { try Names.workspace(name) }
    for name in ["imagenet", "raw_2024-01"] { try Names.source(name) }
    for name in ["w1", "slot_a", "s-2", "a" + String(repeating: "b", count: 31)] { try Names.slot(name) }
    for name in ["train", "preprocess_v2", "Stage1", "a" + String(repeating: "b", count: 63)] { try Names.stage(name) }
    for name in ["features", "0th", "x-y_z", String(repeating: "s", count: 64)] { try Names.signal(name) }
    for name in ["model"] { try Names.output(name) }
    for name in ["loss", "train/loss", "epoch:1/acc", "val.top-5", "a" + String(repeating: "b", count: 255)] {
      try Names.metric(name)
    }
    for name in ["train_eval", "pipeline"] { try Names.pipeline(name) }
  }

  @Test("the error has code invalid_name, says which rule failed and gives a valid example")
  func errorShape() throws {
    let error = try #require(failure { () throws(GoldfishError) in try Names.workspace("-leading") })
    #expect(error.code == .invalidName)
    #expect(error.message.contains("invalid workspace name \"-leading\""))
    #expect(error.message.contains("starts with '-'"))
    #expect(error.hint?.contains("for example \"baseline-v2\"") == true)
    #expect(error.detail["example"] == "baseline-v2")
  }

  @Test("empty and too-long names are refused with the limit")
  func lengths() throws {
    #expect(failure { () throws(GoldfishError) in try Names.workspace("") }?.message.contains("it is empty") == true)
    let long = try #require(
      failure { () throws(GoldfishError) in try Names.workspace(String(repeating: "a", count: 65)) })
    #expect(long.message.contains("65 characters long; the limit is 64"))
    #expect(failure { () throws(GoldfishError) in try Names.slot("a" + String(repeating: "b", count: 32)) } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.stage("a" + String(repeating: "b", count: 64)) } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.signal(String(repeating: "s", count: 65)) } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.metric("a" + String(repeating: "b", count: 256)) } != nil)
  }

  @Test("workspace names must start and end with a letter or digit")
  func edges() throws {
    let trailing = try #require(failure { () throws(GoldfishError) in try Names.workspace("name-") })
    #expect(trailing.message.contains("ends with '-'"))
    #expect(failure { () throws(GoldfishError) in try Names.source("_x") } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.source("x_") } != nil)
  }

  @Test("shell metacharacters are refused and named", arguments: Array(";|&$`\"'<>*?[]{}()~!#=%^\\"))
  func shellMetacharacters(_ character: Character) throws {
    for kind in Names.Kind.allCases {
      let error = try #require(failure { () throws(GoldfishError) in try Names.check("ab\(character)cd", as: kind) })
      #expect(error.code == .invalidName)
      #expect(error.message.contains("position 3"), "\(error.message)")
    }
  }

  @Test("newlines, tabs, NUL and spaces are refused, even trailing")
  func controlCharacters() throws {
    let newline = try #require(failure { () throws(GoldfishError) in try Names.workspace("name\n") })
    #expect(newline.message.contains("a newline"))
    #expect(!newline.message.contains("\n"), "the name is escaped in the message")
    let nul = try #require(failure { () throws(GoldfishError) in try Names.source("na\0me") })
    #expect(nul.message.contains("a NUL byte"))
    #expect(failure { () throws(GoldfishError) in try Names.stage("a\tb") }?.message.contains("a tab") == true)
    #expect(failure { () throws(GoldfishError) in try Names.metric("train loss") }?.message.contains("a space") == true)
    #expect(failure { () throws(GoldfishError) in try Names.slot("w1\r") } != nil)
  }

  @Test("unicode look-alikes are refused as non-ASCII")
  func lookalikes() throws {
    // Cyrillic а, full-width A, Greek omicron, a combining accent, a zero-width space.
    for name in ["b\u{0430}seline", "\u{FF21}bc", "l\u{03BF}ss", "cafe\u{0301}", "ab\u{200B}c"] {
      for kind in Names.Kind.allCases {
        let error = try #require(failure { () throws(GoldfishError) in try Names.check(name, as: kind) })
        #expect(error.message.contains("non-ASCII"), "\(kind): \(error.message)")
      }
    }
  }

  @Test("path parts are refused")
  func pathParts() throws {
    for name in ["a/b", "..", "a\\b", "./a"] {
      #expect(failure { () throws(GoldfishError) in try Names.workspace(name) } != nil, "\(name)")
      #expect(failure { () throws(GoldfishError) in try Names.signal(name) } != nil, "\(name)")
    }
  }

  @Test("slot names are lowercase and start with a letter")
  func slots() throws {
    #expect(failure { () throws(GoldfishError) in try Names.slot("W1") }?.message.contains("uppercase") == true)
    #expect(failure { () throws(GoldfishError) in try Names.slot("1w") }?.message.contains("starts with '1'") == true)
  }

  @Test("stage names must be importable Python modules")
  func stages() throws {
    #expect(
      failure { () throws(GoldfishError) in try Names.stage("pre-process") }?.message.contains("Python module") == true)
    #expect(
      failure { () throws(GoldfishError) in try Names.stage("1stage") }?.message.contains("must start with a letter")
        == true)
    #expect(
      failure { () throws(GoldfishError) in try Names.stage("class") }?.message.contains("Python keyword") == true)
    try Names.pipeline("class")  // never imported, so keywords are fine
    #expect(failure { () throws(GoldfishError) in try Names.pipeline("a-b") } != nil)
  }

  @Test("metric names start with a letter")
  func metrics() throws {
    #expect(failure { () throws(GoldfishError) in try Names.metric("1loss") } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.metric("/loss") } != nil)
    #expect(failure { () throws(GoldfishError) in try Names.metric("loss@1") } != nil)
  }

  /// The reference patterns, anchored at the very end (unlike Python's `$`).
  static let patterns: [Names.Kind: String] = [
    .workspace: "\\A[a-zA-Z0-9]([a-zA-Z0-9_-]{0,62}[a-zA-Z0-9])?\\z",
    .source: "\\A[a-zA-Z0-9]([a-zA-Z0-9_-]{0,62}[a-zA-Z0-9])?\\z",
    .slot: "\\A[a-z][a-z0-9_-]{0,31}\\z",
    .signal: "\\A[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}\\z",
    .output: "\\A[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}\\z",
    .metric: "\\A[a-zA-Z][a-zA-Z0-9_.\\-/:]{0,255}\\z",
    .stage: "\\A(?=[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}\\z)[A-Za-z_][A-Za-z0-9_]*\\z",
    .pipeline: "\\A(?=[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}\\z)[A-Za-z_][A-Za-z0-9_]*\\z",
  ]

  @Test("random strings never crash, always get a clear error, and agree with the reference patterns")
  func randomStrings() throws {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array("aZ09_-./:; \n\0\u{0430}$`'\"é\u{FF21}\t")
    let keywords: Set<String> = ["class", "import", "def", "for", "if", "in", "is", "or", "and", "not", "as"]
    for _ in 0..<3000 {
      let length = Int.random(in: 0...70, using: &generator)
      let name = String((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
      for kind in Names.Kind.allCases {
        let regex = try NSRegularExpression(pattern: try #require(Self.patterns[kind]))
        let range = NSRange(name.startIndex..., in: name)
        var expected = regex.firstMatch(in: name, range: range) != nil
        if kind == .stage && keywords.contains(name) { expected = false }
        let error = failure { () throws(GoldfishError) in try Names.check(name, as: kind) }
        #expect((error == nil) == expected, "\(kind) \(name.debugDescription)")
        if let error {
          #expect(error.code == .invalidName)
          #expect(error.message.hasPrefix("invalid \(kind.rawValue) name"))
          #expect(!error.message.contains("\n") && !error.message.contains("\0"))
        }
      }
    }
  }
}
