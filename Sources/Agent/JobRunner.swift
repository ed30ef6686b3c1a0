import PluginKit

/// What a runner needs to start one job.
struct JobLaunch {
  var runId: String
  var argv: [String]
  var environment: [String: String]
  var cwd: String
  /// Where stdout and stderr go (the run's output.log).
  var logDescriptor: Int32
  /// The container image; a process runner ignores it.
  var image: String?
}

/// How a job ended: its exit code, or the signal that killed it.
struct JobEnd: Equatable {
  var exitCode: Int
  var signal: Int32?
}

/// Starts jobs. A plain process group today; a container runner (docker run on a VM) plugs
/// in behind the same two calls.
protocol JobRunner {
  /// Throws for a failure before the job started: the run fails with exit code 1.
  func start(_ launch: JobLaunch) throws(PluginError) -> any RunningJob
}

/// One started job. Stopping it touches only this job, never the agent or another job.
protocol RunningJob: AnyObject {
  /// The end once the job is over, nil while it runs. Never blocks.
  func poll() -> JobEnd?
  /// Stops the job (SIGTERM, SIGKILL after `grace` seconds) and returns how it ended.
  func stop(graceSeconds: Int) -> JobEnd
  /// After the job's main process ended: stops whatever it left running.
  func stopLeftovers(graceSeconds: Int)
}
