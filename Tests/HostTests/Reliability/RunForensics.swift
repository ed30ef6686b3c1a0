import Foundation
import GRDB

@testable import GoldfishTestSupport
@testable import Host

/// What a test inspects after a crash: rows in the project's real SQLite file, objects in the
/// file storage, and processes still alive on this machine.
struct RunForensics {
  let fixture: ProjectFixture

  /// One number from the real database file, read on a connection of its own.
  func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
    var configuration = Configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(10)
    let queue = try DatabaseQueue(path: fixture.project.paths.database, configuration: configuration)
    return try queue.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
  }

  func pipelineRunIDs() throws -> [String] {
    var configuration = Configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(10)
    let queue = try DatabaseQueue(path: fixture.project.paths.database, configuration: configuration)
    return try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM pipeline_runs ORDER BY created_at") }
  }

  /// Files the default file storage holds below `runs/<stage run>/outputs/`.
  func storedOutputObjects(of stageRunID: String) -> [String] {
    let folder = fixture.project.paths.devDir + "/storage/runs/\(stageRunID)/outputs"
    return OutputRecorder.files(in: folder)
  }

  /// Waits (polling the database) until the pipeline run is no longer `running`.
  func waitUntilFinished(_ pipelineRunID: String, seconds: TimeInterval = 90) throws -> PipelineRunRecord? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let run = try fixture.project.store.pipelineRun(pipelineRunID), run.status != "running" { return run }
      usleep(100_000)
    }
    return try fixture.project.store.pipelineRun(pipelineRunID)
  }

  /// Live (non-zombie) processes that belong to a stage run: its supervisor (the run folder is
  /// in its argv) or anything in its job (the run id is in its environment).
  static func processes(of run: StageRunRecord) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    let marker = Array("GOLDFISH_RUN_ID=\(run.id)".utf8)
    let folder = run.workDir.map { Array($0.utf8) }
    return entries.compactMap(Int32.init).filter { pid in
      guard pid != getpid(), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let state = stat.split(separator: ")").last?.split(separator: " ").first, state != "Z"
      else { return false }
      let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ").map { [UInt8]($0) } ?? []
      let argv = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { [UInt8]($0) } ?? []
      return contains(environment, marker) || folder.map { contains(argv, $0) } == true
    }
  }

  /// Live `goldfish drive PIPELINE_RUN` processes of one pipeline run.
  static func drivers(of pipelineRunID: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    let marker = Array("drive\u{0}\(pipelineRunID)\u{0}".utf8)
    return entries.compactMap(Int32.init).filter { pid in
      let argv = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { [UInt8]($0) } ?? []
      return contains(argv, marker)
    }
  }

  private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
      if Array(haystack[start..<(start + needle.count)]) == needle { return true }
    }
    return false
  }
}
