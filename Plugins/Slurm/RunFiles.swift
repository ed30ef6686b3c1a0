import Foundation
import PluginKit

/// The files a Slurm run keeps in its `work_dir`, which the cluster sees at the same path
/// (`slurm.data: shared`). They outlive the job in Slurm's memory (gone after MinJobAge), so a
/// status asked hours later, or by a host restarted since, still has an answer.
struct RunFiles: Sendable {
  let workDir: String

  /// Written by launch right after the submit: the job id, for `recover` from a provisional handle.
  var submission: String { workDir + "/slurm-job.json" }
  /// The job's stdout and stderr.
  var log: String { workDir + "/slurm-output.log" }
  /// Written last by the job script: `{exit_code, cause, started_at, finished_at}`.
  var exitRecord: String { workDir + "/slurm-exit.json" }
  /// Object-storage mode: the agent's exit record, brought home by `goldfish-agent slurm-collect`
  /// after the outputs (the log comes home to `log`).
  var agentExitRecord: String { workDir + "/slurm-agent-exit.json" }
  /// Made by the job script's watchdog when `timeout_seconds` passed.
  var timeoutMarker: String { workDir + "/slurm-timeout" }
  /// The final state Slurm reported, kept by `status` for after the job is purged.
  var finalRecord: String { workDir + "/slurm-final.json" }
  /// Made by `cancel` before it asks Slurm to end the job (see `SlurmBackend.finished`).
  var cancelRequest: String { workDir + "/slurm-cancel-requested" }
  /// Made by `cleanup`: list_runs leaves the job out from then on.
  var cleanedMarker: String { workDir + "/slurm-cleaned" }

  func read(_ path: String) -> JSONValue? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return try? JSONCoding.parse(text)
  }

  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  /// Written by rename, so a reader in another process sees all of it or nothing.
  func write(_ value: JSONValue, to path: String) throws(PluginError) {
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try Array(try JSONCoding.encode(value).utf8).withUnsafeBufferPointer {
        try Data(buffer: $0).write(to: URL(fileURLWithPath: temporary))
      }
      guard rename(temporary, path) == 0 else { throw PluginError(.io, "cannot rename \(temporary) to \(path)") }
    } catch let error as PluginError {
      throw error
    } catch {
      unlink(temporary)
      throw PluginError(.io, "cannot write \(path): \(error.localizedDescription)")
    }
  }

  func touch(_ path: String) { _ = FileManager.default.createFile(atPath: path, contents: nil) }

  static func makeFolder(_ path: String) throws(PluginError) {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw PluginError(.io, "cannot create \(path): \(error.localizedDescription)")
    }
  }
}
