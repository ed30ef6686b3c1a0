/// The life of a pooled worker. Every change is one compare-and-swap on the row that moves the
/// state and the lease together (`ProjectStore.transitionWorker`): a worker is leased exactly
/// while it is `launching` or `busy`, and the database refuses any other combination.
public enum WarmWorkerState: String, Sendable, Codable, CaseIterable {
  /// Launched for its first job, not yet known to the backend as a worker; leased to that job.
  case launching
  /// Running (or handed) the job its lease names.
  case busy
  /// The job ended; waiting for the worker to say it is idle again. Unleased.
  case draining
  /// Waiting in its idle loop: the only state a dispatcher may claim.
  case idleReady = "idle_ready"
  /// Deletion requested; the row stays (and counts against the cap) until the backend confirms.
  case deleting
  /// Confirmed gone; the row is dropped.
  case gone

  /// States whose row must carry a lease, and only they.
  public var isLeased: Bool { self == .launching || self == .busy }
}

public enum WarmWorkerEvent: String, Sendable, Codable, CaseIterable {
  /// The launch returned a worker handle: the first job runs on it.
  case registered
  case launchFailed = "launch_failed"
  case jobAssigned = "job_assigned"
  case jobFinished = "job_finished"
  /// `deliver_job` answered `conflict`: the worker was not idle, nothing was delivered.
  case deliveryRefused = "delivery_refused"
  /// Delivery may have happened but failed: the run fails and the worker is not trusted again.
  case dispatchFailed = "dispatch_failed"
  case drainComplete = "drain_complete"
  case deleteRequested = "delete_requested"
  case deleteConfirmed = "delete_confirmed"
  /// The backend no longer knows the worker (confirmed several times in a row).
  case lost
}

public enum WarmWorkerTransitions {
  /// The target of `event` from `state`, or nil when the event does not apply there.
  public static func target(from state: WarmWorkerState, on event: WarmWorkerEvent) -> WarmWorkerState? {
    switch (state, event) {
    case (.launching, .registered): return .busy
    case (.launching, .launchFailed): return .deleting
    case (.idleReady, .jobAssigned): return .busy
    case (.busy, .jobFinished), (.busy, .deliveryRefused): return .draining
    case (.busy, .dispatchFailed): return .deleting
    case (.draining, .drainComplete): return .idleReady
    case (.launching, .deleteRequested), (.busy, .deleteRequested), (.draining, .deleteRequested),
      (.idleReady, .deleteRequested):
      return .deleting
    case (.deleting, .deleteConfirmed): return .gone
    case (let from, .lost) where from != .gone: return .gone
    default: return nil
    }
  }
}
