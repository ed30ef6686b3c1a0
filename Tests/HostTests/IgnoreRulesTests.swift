import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Ignore rules")
struct IgnoreRulesTests {
  @Test("defaults cover Python and editor litter")
  func defaults() {
    let rules = IgnoreRules.standard
    #expect(rules.isIgnored("__pycache__", isDirectory: true))
    #expect(rules.isIgnored("pkg/__pycache__/mod.cpython-311.pyc", isDirectory: false))
    #expect(rules.isIgnored("a/b/c.pyc", isDirectory: false))
    #expect(rules.isIgnored(".pytest_cache", isDirectory: true))
    #expect(rules.isIgnored("nb/.ipynb_checkpoints/x.ipynb", isDirectory: false))
    #expect(rules.isIgnored(".DS_Store", isDirectory: false))
    #expect(rules.isIgnored(".git", isDirectory: true))
    #expect(rules.isIgnored(".venv/lib/site.py", isDirectory: false))
    #expect(!rules.isIgnored("train.py", isDirectory: false))
    #expect(!rules.isIgnored("__pycache__", isDirectory: false))  // a file of that name is content
  }

  @Test("a name without slash matches at any depth; a slash anchors it to the root")
  func anchoring() {
    let rules = IgnoreRules(patterns: ["build", "/top.txt", "docs/*.md", "a/**/z"])
    #expect(rules.isIgnored("build", isDirectory: true))
    #expect(rules.isIgnored("src/build", isDirectory: false))
    #expect(rules.isIgnored("top.txt", isDirectory: false))
    #expect(!rules.isIgnored("sub/top.txt", isDirectory: false))
    #expect(rules.isIgnored("docs/readme.md", isDirectory: false))
    #expect(!rules.isIgnored("docs/deep/readme.md", isDirectory: false))
    #expect(!rules.isIgnored("other/docs/readme.md", isDirectory: false))
    #expect(rules.isIgnored("a/z", isDirectory: false))
    #expect(rules.isIgnored("a/b/c/z", isDirectory: false))
    #expect(!rules.isIgnored("xa/b/z", isDirectory: false))
  }

  @Test("double star at the start, in the middle and at the end")
  func doubleStar() {
    let rules = IgnoreRules(patterns: ["**/logs", "out/**", "**/cache/**/*.tmp"])
    #expect(rules.isIgnored("logs", isDirectory: true))
    #expect(rules.isIgnored("x/y/logs", isDirectory: false))
    #expect(rules.isIgnored("out/a/b.txt", isDirectory: false))
    #expect(!rules.isIgnored("out", isDirectory: true))
    #expect(rules.isIgnored("cache/a.tmp", isDirectory: false))
    #expect(rules.isIgnored("p/cache/q/r/a.tmp", isDirectory: false))
    #expect(!rules.isIgnored("p/cache/q/a.txt", isDirectory: false))
  }

  @Test("?, character classes, ranges and escapes")
  func wildcards() {
    let rules = IgnoreRules(patterns: ["file?.txt", "run[0-9].log", "[!a]x", "\\#hash", "\\!bang", "sp\\ "])
    #expect(rules.isIgnored("file1.txt", isDirectory: false))
    #expect(!rules.isIgnored("file10.txt", isDirectory: false))
    #expect(rules.isIgnored("run7.log", isDirectory: false))
    #expect(!rules.isIgnored("runx.log", isDirectory: false))
    #expect(rules.isIgnored("bx", isDirectory: false))
    #expect(!rules.isIgnored("ax", isDirectory: false))
    #expect(rules.isIgnored("#hash", isDirectory: false))
    #expect(rules.isIgnored("!bang", isDirectory: false))
    #expect(rules.isIgnored("sp ", isDirectory: false))
    #expect(!IgnoreRules(patterns: ["a*b"]).isIgnored("a/b", isDirectory: false))  // * never crosses '/'
    #expect(IgnoreRules(patterns: ["a*b"]).isIgnored("axxb", isDirectory: false))
  }

  @Test("negation: the last match wins, but nothing inside an ignored folder comes back")
  func negation() {
    let rules = IgnoreRules(patterns: [
      "*.log", "!important.log", "build/", "!build/keep.txt", "out/*", "!out/keep.txt",
    ])
    #expect(rules.isIgnored("debug.log", isDirectory: false))
    #expect(!rules.isIgnored("important.log", isDirectory: false))
    #expect(!rules.isIgnored("sub/important.log", isDirectory: false))
    #expect(rules.isIgnored("build/keep.txt", isDirectory: false))
    #expect(!rules.isIgnored("out/keep.txt", isDirectory: false))
    #expect(rules.isIgnored("out/other.txt", isDirectory: false))
  }

  @Test("a trailing slash matches folders only; comments and blank lines are skipped")
  func directoriesAndComments() {
    let rules = IgnoreRules(patterns: ["# a comment", "", "   ", "data/", "trailing   "])
    #expect(rules.isIgnored("data", isDirectory: true))
    #expect(rules.isIgnored("data/x.csv", isDirectory: false))
    #expect(!rules.isIgnored("data", isDirectory: false))
    #expect(!rules.isIgnored("# a comment", isDirectory: false))
    #expect(rules.isIgnored("trailing", isDirectory: false))
  }

  @Test("a .gitignore file adds rules after the defaults, so it can re-include")
  func gitignoreFile() throws {
    let folder = TestEnvironment.temporaryFolder("ignore")
    try "*.csv\r\n!keep.pyc\n/results/\n".write(toFile: folder + "/.gitignore", atomically: true, encoding: .utf8)
    for rules in [
      IgnoreRules.standard.adding(gitignoreAt: folder), .standard.adding(gitignoreAt: folder + "/.gitignore"),
    ] {
      #expect(rules.isIgnored("a/b.csv", isDirectory: false))
      #expect(rules.isIgnored("x.pyc", isDirectory: false))
      #expect(!rules.isIgnored("keep.pyc", isDirectory: false))
      #expect(rules.isIgnored("results", isDirectory: true))
      #expect(!rules.isIgnored("sub/results", isDirectory: true))
    }
    let none = IgnoreRules.standard.adding(gitignoreAt: folder + "/missing")
    #expect(!none.isIgnored("a.csv", isDirectory: false))
  }
}
