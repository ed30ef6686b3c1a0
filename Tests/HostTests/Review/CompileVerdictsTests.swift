import Foundation
import Testing

@testable import Host

/// The preflight compiles each stage module with a Python process (a process start on every
/// `run`); a module whose bytes, name and interpreter compiled before is known to compile.
struct CompileVerdictsTests {
  /// A `python3` that notes each start in `calls` and then is the real one.
  private func countingPython(in folder: String) throws -> (python: String, calls: String) {
    let calls = folder + "/calls"
    let python = folder + "/python3"
    try "#!/bin/sh\necho x >> '\(calls)'\nexec /usr/bin/python3 \"$@\"\n".write(
      toFile: python, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python)
    return (python, calls)
  }

  private func starts(_ calls: String) -> Int {
    ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").count
  }

  private func check(_ root: String, python: String) throws -> [SVSFinding] {
    let definition = try #require(PipelineLoader.parse(yaml: "name: p\nstages:\n  - name: s\n    outputs: {}\n").definition)
    var preflight = Preflight(workspaceDirectory: root + "/slot")
    preflight.python = python
    preflight.compiledCache = root + "/cache/compiled"
    return preflight.check(definition, stages: ["s"], issues: []).values.flatMap { $0 }
  }

  @Test("an unchanged module is compiled once; an edit, a failure or another interpreter compiles again")
  func compilesOncePerContent() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("gf-compile-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createDirectory(atPath: root + "/slot/modules", withIntermediateDirectories: true)
    let (python, calls) = try countingPython(in: root)
    let module = root + "/slot/modules/s.py"
    try "print('a')\n".write(toFile: module, atomically: true, encoding: .utf8)

    #expect(try check(root, python: python).isEmpty)
    #expect(try check(root, python: python).isEmpty)
    #expect(starts(calls) == 1)

    try "print('b')\n".write(toFile: module, atomically: true, encoding: .utf8)
    #expect(try check(root, python: python).isEmpty)
    #expect(starts(calls) == 2)

    try "def broken(:\n".write(toFile: module, atomically: true, encoding: .utf8)
    for _ in 0..<2 {
      let findings = try check(root, python: python)
      #expect(findings.map(\.check) == ["compile"])
      #expect(findings.first?.message.contains("does not compile") == true)
    }
    #expect(starts(calls) == 4)

    try "print('a')\n".write(toFile: module, atomically: true, encoding: .utf8)
    #expect(try check(root, python: python).isEmpty)
    #expect(starts(calls) == 4)
    let other = root + "/other"
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
    let (otherPython, otherCalls) = try countingPython(in: other)
    #expect(try check(root, python: otherPython).isEmpty)
    #expect(starts(otherCalls) == 1)
  }
}
