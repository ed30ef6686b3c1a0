import Foundation
import PluginKit

/// The submission of one run: the compute profile mapped to Slurm's resources
/// (`slurm.profiles.<name>` first, then the profile itself, then the section's defaults), the
/// environment the job starts from, and the command in the stage image when a container
/// runtime is configured.
struct JobRequest {
  let settings: SlurmSettings
  let spec: RunSpec
  let files: RunFiles
  /// Object-storage mode: the job runs goldfish-agent in node-local scratch, not the stage itself.
  var staging: ObjectStaging? = nil

  /// What goes into the job's comment: the launch labels and the run folder, so `list_runs`
  /// (GET /jobs) can rebuild a handle from the job alone.
  static let commentPrefix = "goldfish "

  var cwd: String { staging?.scratchRoot ?? spec.codeDir ?? spec.workDir }
  var mapping: SlurmSettings.ProfileMapping? { spec.profile?.name.flatMap { settings.profiles[$0] } }

  func body() throws(PluginError) -> JSONValue {
    var job: [String: JSONValue] = [
      "name": .string("goldfish-" + spec.runId),
      "comment": .string(Self.commentPrefix + (try JSONCoding.encode(commentValue))),
      "current_working_directory": .string(cwd),
      // Object-storage mode: the node cannot write the host's folder; the run's own log comes
      // home through the storage, this file keeps only what happens before the agent starts.
      "standard_output": .string(staging.map { $0.scratchRoot + "/goldfish-slurm-%j.out" } ?? files.log),
      "environment": .object(environment().mapValues { .string($0) }),
      "tasks": 1, "nodes": [1, 1],
    ]
    let resources = self.resources()
    for (key, value) in resources { job[key] = value }
    let script: String
    if let staging {
      script = staging.script(runId: spec.runId)
    } else {
      script = JobScript.text(
        runId: spec.runId, argv: try command(), cwd: cwd, files: files, timeoutSeconds: spec.timeoutSeconds,
        runtime: containerProgram)
    }
    return ["script": .string(script), "job": .object(job)]
  }

  var commentValue: JSONValue {
    [
      "run_id": .string(spec.runId), "work_dir": .string(spec.workDir),
      "outputs_dir": spec.outputsDir.map { .string($0) } ?? .null,
      "labels": .object(spec.labels.mapValues { .string($0) }),
    ]
  }

  /// Partition, account, QoS, CPUs, memory, GPUs, constraint and time limit, as job fields.
  func resources() -> [String: JSONValue] {
    var job: [String: JSONValue] = [:]
    if let partition = mapping?.partition ?? settings.partition { job["partition"] = .string(partition) }
    if let account = mapping?.account ?? settings.account { job["account"] = .string(account) }
    if let qos = mapping?.qos ?? settings.qos { job["qos"] = .string(qos) }
    if let cpus = mapping?.cpus ?? spec.profile?.cpus.map({ Int($0.rounded(.up)) }) {
      job["cpus_per_task"] = .int(Int64(max(1, cpus)))
    }
    if let memory = mapping?.memory_mb ?? spec.profile?.memoryMb { job["memory_per_node"] = .int(Int64(memory)) }
    if let gres = mapping?.gres {
      job["gres"] = .string(gres)
    } else if let gpus = mapping?.gpus {
      job["gpus"] = .string(gpus)
    } else if let gpu = spec.profile?.gpu, gpu.count > 0 {
      job["gpus"] = .string(gpu.type.isEmpty || gpu.type == "none" ? "\(gpu.count)" : "\(gpu.type):\(gpu.count)")
    }
    if let constraint = mapping?.constraint { job["constraints"] = .string(constraint) }
    if let minutes = timeLimitMinutes { job["time_limit"] = .int(Int64(minutes)) }
    return job
  }

  /// The profile's or the section's limit; else one minute past `timeout_seconds`, so the
  /// script's own, exact timeout fires first and Slurm's is the backstop.
  var timeLimitMinutes: Int? {
    if let minutes = mapping?.time_limit_minutes ?? settings.timeLimitMinutes { return minutes }
    return spec.timeoutSeconds.map { ($0 + 59) / 60 + 1 }
  }

  /// Nothing is inherited from slurmrestd or slurmd: the job starts from the host's basic
  /// variables, the section's `environment`, then the spec's (which wins). HOME and TMPDIR
  /// are folders of the run's own.
  func environment(process: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
    var environment: [String: String] = [:]
    for key in ["PATH", "LANG", "LC_ALL", "TZ"] { if let value = process[key] { environment[key] = value } }
    environment["PATH"] = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    environment.merge(settings.environment) { _, configured in configured }
    if let staging {
      // The agent gives the stage its own environment (the spec's, staged with the job).
      environment["HOME"] = staging.scratchRoot
      environment["TMPDIR"] = staging.scratchRoot
      return environment
    }
    environment["HOME"] = spec.workDir + "/home"
    environment["TMPDIR"] = spec.workDir + "/tmp"
    environment.merge(spec.env) { _, spec in spec }
    return environment
  }

  /// The container runtime's program when the stage runs in an image, for the script to check.
  var containerProgram: String? {
    let runtime = settings.container.runtime ?? "none"
    guard spec.image != nil, runtime != "none" else { return nil }
    return settings.container.program ?? runtime
  }

  /// The stage's argv, inside the image when the run has one and a runtime is configured.
  func command() throws(PluginError) -> [String] {
    let runtime = settings.container.runtime ?? "none"
    guard let image = spec.image, runtime != "none" else { return spec.command }
    let program = settings.container.program ?? runtime
    let extra = settings.container.arguments ?? []
    var folders = [spec.workDir, cwd] + (spec.env["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
    folders += spec.inputs.compactMap(\.localPath)
    var seen: Set<String> = []
    folders = folders.filter { $0.hasPrefix("/") && seen.insert($0).inserted }
    switch runtime {
    case "apptainer", "singularity":
      // A registry reference is pulled by the runtime; a path is a .sif already on the cluster.
      let source = image.hasPrefix("/") || image.contains("://") ? image : "docker://" + image
      return [program, "exec"] + extra + folders.flatMap { ["--bind", $0] } + ["--pwd", cwd, source] + spec.command
    case "enroot":
      return [program, "start"] + extra + folders.flatMap { ["--mount", "\($0):\($0)"] } + [image] + spec.command
    default:
      throw PluginError(.invalidArgument, "slurm.container.runtime \(runtime) is not supported")
    }
  }
}
