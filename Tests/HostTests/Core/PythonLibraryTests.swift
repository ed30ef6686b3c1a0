import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Stages run with PYTHONDONTWRITEBYTECODE: the stage IO library's bytecode is written once by
/// the host, so no stage compiles goldfish.io from source again.
@Suite("the stage IO library's bytecode")
struct PythonLibraryTests {
  @Test("precompile writes goldfish.io's bytecode beside its sources")
  func precompileWritesBytecode() throws {
    let copy = TestEnvironment.temporaryFolder("pylib")
    try FileManager.default.copyItem(
      atPath: TestEnvironment.packageRoot + "/python/goldfish", toPath: copy + "/goldfish")
    let cache = copy + "/goldfish/io/__pycache__"
    try? FileManager.default.removeItem(atPath: cache)
    PythonLibrary.precompile(copy)
    let compiled = try FileManager.default.contentsOfDirectory(atPath: cache)
    #expect(compiled.contains { $0.hasPrefix("__init__.") && $0.hasSuffix(".pyc") }, "\(compiled)")
    #expect(compiled.contains { $0.hasPrefix("bootstrap.") && $0.hasSuffix(".pyc") }, "\(compiled)")
  }
}
