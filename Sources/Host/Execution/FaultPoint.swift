import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Named moments of a run's life where the reliability tests kill the host with SIGKILL.
///
/// Compiled into every build so the tests exercise the shipped binary, and inert unless
/// `GOLDFISH_FAULT_POINT` names a point: then the process kills itself there, exactly as a
/// power cut or an OOM kill would, with no chance to clean up.
public enum FaultPoint: String, CaseIterable, Sendable {
  /// A stage run is recorded (preparing) but the launcher has not started on it.
  case beforeLaunch = "before_launch"
  /// The workspace version (commit and tag) exists; no run is recorded yet.
  case afterVersionBeforeLaunch = "after_version_before_launch"
  /// The backend accepted the job; its handle is not saved yet.
  case afterLaunchBeforeHandle = "after_launch_before_handle"
  /// The backend's handle is saved and the run is `running`.
  case afterHandleSaved = "after_handle_saved"
  /// The driver polled a job that is still running.
  case whileRunning = "while_running"
  /// The backend reported the job finished; nothing is finalised yet.
  case afterCompletionBeforeFinalize = "after_completion_before_finalize"
  /// Some output files are in storage, others are not, nothing is recorded.
  case midwayOutputs = "midway_outputs"
  /// Outputs and their lineage rows are stored; metrics and the final state are not.
  case afterOutputsBeforeMetrics = "after_outputs_before_metrics"
  /// The pipeline run's final state is in the database; STATE.md does not show it yet.
  case afterFinalStateBeforeStateMD = "after_final_state_before_state_md"
  /// A cancel reached one of its two sides (backend, database) but not the other.
  case duringCancel = "during_cancel"

  public static let environmentVariable = "GOLDFISH_FAULT_POINT"

  /// The point this process is to die at, read once.
  static let armed: FaultPoint? = ProcessInfo.processInfo.environment[environmentVariable].flatMap(
    FaultPoint.init(rawValue:))

  /// Kills this process on the spot when `point` is the armed one; otherwise does nothing.
  @inline(__always)
  public static func hit(_ point: FaultPoint) {
    guard armed == point else { return }
    // Said on stderr so a test that sees the process die knows it died here and not elsewhere.
    let note = "goldfish: fault point \(point.rawValue) reached, killing process \(getpid())\n"
    _ = note.withCString { write(2, $0, strlen($0)) }
    kill(getpid(), SIGKILL)
  }
}
