import PluginKit

/// What a slurm run handle carries: enough to answer from the handle alone, in any process.
struct SlurmRunHandle: Sendable {
  var runId: String
  var jobId: Int64
  var workDir: String
  var outputsDir: String?

  var files: RunFiles { RunFiles(workDir: workDir) }

  var json: JSONValue {
    [
      "run_id": .string(runId), "backend": "slurm", "job_id": .int(jobId), "work_dir": .string(workDir),
      "outputs_dir": outputsDir.map { .string($0) } ?? .null,
    ]
  }

  init(runId: String, jobId: Int64, workDir: String, outputsDir: String?) {
    self.runId = runId
    self.jobId = jobId
    self.workDir = workDir
    self.outputsDir = outputsDir
  }

  init(_ json: JSONValue) throws(PluginError) {
    guard let runId = json["run_id"]?.stringValue, let workDir = json["work_dir"]?.stringValue,
      let jobId = json["job_id"]?.intValue ?? json["job_id"]?.stringValue.flatMap({ Int64($0) })
    else {
      throw PluginError(.invalidArgument, "not a slurm run handle (run_id, job_id and work_dir are required): \(json)")
    }
    guard workDir.hasPrefix("/") else { throw PluginError(.invalidArgument, "work_dir must be absolute: \(workDir)") }
    self.init(runId: runId, jobId: jobId, workDir: workDir, outputsDir: json["outputs_dir"]?.stringValue)
  }
}
