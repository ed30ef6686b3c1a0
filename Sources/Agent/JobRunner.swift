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
  /// The job's own environment (without the agent's PATH, HOME…): what a container gets.
  var jobEnvironment: [String: String] = [:]
  /// The agent's folders for this job: staged inputs, outputs.
  var inputsDir = ""
  var outputsDir = ""
  /// GPUs the job's profile asks for (a container runner requests them).
  var gpus = 0
}

/// How a job ended: its exit code, or the signal that killed it.
struct JobEnd: Equatable {
  var exitCode: Int
  var signal: Int32?
  /// Why it ended, when the runner knows better than the exit code (a container's OOMKilled).
  var note: String?

  init(exitCode: Int, signal: Int32? = nil, note: String? = nil) {
    self.exitCode = exitCode
    self.signal = signal
    self.note = note
  }
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
