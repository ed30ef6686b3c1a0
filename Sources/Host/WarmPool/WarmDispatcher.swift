import Foundation
import PluginKit

/// Puts a run on the warm pool: an idle compatible worker when there is one (a delivery, no
/// launch), else a fresh launch that keeps its worker when the cap allows. Returns nil when
/// the pool does not apply or is full, and the caller launches the run the ordinary way.
struct WarmDispatcher {
  let pool: WarmPool

  var store: ProjectStore { pool.store }
  var backend: RunBackendClient { pool.backend }

  func dispatch(runID: String, spec: RunSpec) throws(GoldfishError) -> JSONValue? {
    guard pool.applies(toProfile: spec.profile?.name ?? "cpu-small") else { return nil }
    let key = pool.key(for: spec)
    if let handle = try deliverToIdleWorker(runID: runID, key: key, spec: spec) { return handle }
    return try launchKeepingWorker(runID: runID, spec: spec, key: key)
  }

  /// (a) Claim the oldest compatible idle worker and hand it the job. `conflict` means nothing
  /// was delivered: the worker is released to draining (the reaper finds out what it is doing)
  /// and the next one is tried. Any other failure may have delivered the job, so the run fails
  /// rather than run twice (upstream #32) and the worker is deleted.
  private func deliverToIdleWorker(
    runID: String, key: CompatibilityKey, spec: RunSpec
  ) throws(GoldfishError)
    -> JSONValue?
  {
    var refused: Set<String> = []
    while let row = try store.claimIdleWorker(
      backend: pool.backendName, key: key, zones: key.allowedZones, runID: runID, excluding: refused)
    {
      do throws(PluginCallError) {
        // The job carries the pool's worker options too (preserve_paths between jobs).
        var delivered = spec
        delivered.worker = pool.workerOptions(workerID: row.workerID)
        let handle = try backend.deliverJob(DeliverJobRequest(worker: row.handle, spec: delivered)).handle
        guard handle.objectValue != nil else {
          throw PluginCallError(
            plugin: backend.service.plugin.name, service: backend.name, function: "deliver_job",
            error: PluginError(.internal, "deliver_job answered without a run handle"))
        }
        return handle
      } catch {
        if error.error.code == .conflict {
          refused.insert(row.workerID)
          try store.transitionWorker(
            row.workerID, .deliveryRefused, expecting: .busy, expectedLease: .some(runID), source: "dispatcher",
            reason: "the worker was not idle: \(error.error.message)")
          continue
        }
        pool.requestDeletion(
          row, event: .dispatchFailed, source: "dispatcher", reason: "delivery failed: \(error.error.message)")
        var failure = ExecutionServices.failure(
          error, while: "the job could not be handed to warm worker \(row.workerID)")
        failure.hint = "the run is failed rather than launched a second time elsewhere; run it again"
        failure.detail["worker_id"] = .string(row.workerID)
        throw failure
      }
    }
    return nil
  }

  /// (b) Reserve a row under the cap, leased to this run from the start (upstream #12), and
  /// launch with `spec.worker`. A failed launch moves the row to deleting (upstream #17).
  /// (c) With the pool full, nil: an ordinary launch whose worker goes away after the job.
  private func launchKeepingWorker(
    runID: String, spec: RunSpec, key: CompatibilityKey
  )
    throws(GoldfishError) -> JSONValue?
  {
    let workerID = WarmPool.workerID(forRun: runID)
    let reservation = WarmWorkerReservation(
      workerID: workerID, backend: pool.backendName, key: key,
      profile: spec.profile.flatMap { profile in try? JSONCoding.encode(try JSONCoding.value(of: profile)) },
      runID: runID,
      idleTimeoutSeconds: pool.config.idleTimeoutSeconds, lifetimeSeconds: pool.config.lifetimeSeconds)
    switch try store.reserveWorker(reservation, cap: pool.config.maxInstances) {
    case .poolFull:
      return nil
    case .reserved, .alreadyReserved:
      break
    }
    var keeping = spec
    keeping.worker = pool.workerOptions(workerID: workerID)
    let handle: JSONValue
    do {
      handle = try backend.launch(keeping)
    } catch {
      try store.transitionWorker(
        workerID, .launchFailed, expecting: .launching, expectedLease: .some(runID), source: "dispatcher",
        reason: error.error.message)
      if let row = try store.worker(workerID) { pool.deleteWorker(row, source: "dispatcher") }
      throw ExecutionServices.failure(
        error, while: "the \(pool.backendName) backend could not launch \(spec.stage ?? runID)")
    }
    guard let worker = handle["worker"], !worker.isNull else {
      // The backend ran it as a one-job launch: there is no worker to keep.
      try store.transitionWorker(
        workerID, .launchFailed, expecting: .launching, expectedLease: .some(runID), source: "dispatcher",
        reason: "the launch returned no worker handle")
      if let row = try store.worker(workerID) { pool.deleteWorker(row, source: "dispatcher") }
      return handle
    }
    let registered: WarmTransitionResult
    do {
      try store.setWorkerHandle(workerID, handle: worker, zone: worker["zone"]?.stringValue)
      registered = try store.transitionWorker(
        workerID, .registered, expecting: .launching, expectedLease: .some(runID), source: "dispatcher")
    } catch {
      // The worker runs and the pool could not record it (upstream #30): this launch fails,
      // so its worker must not go on unaccounted, running a job of a failed run.
      deleteUnrecorded(worker, workerID: workerID, runID: runID, because: error)
      throw error
    }
    if !registered.moved {
      // Canceled while launching: the row already asks for deletion, and now it has a handle;
      // a row already dropped (deleted before the handle existed) leaves the worker to us.
      if let row = try store.worker(workerID), row.state == .deleting {
        pool.deleteWorker(row, source: "dispatcher")
      } else if try store.worker(workerID) == nil {
        _ = try? backend.deleteWorker(WorkerRequest(worker: worker))
      }
    }
    return handle
  }

  /// Deletes a worker the pool failed to record, with the handle only this call holds. The row
  /// (if the database still takes writes) goes to deleting with that handle, so the reaper
  /// finishes an unconfirmed deletion; if even that fails, the worker ends by its own idle
  /// timeout and lifetime, and `warm_pool_cleanup` finds it by its labels.
  private func deleteUnrecorded(_ worker: JSONValue, workerID: String, runID: String, because error: GoldfishError) {
    _ = try? store.setWorkerHandle(workerID, handle: worker, zone: worker["zone"]?.stringValue)
    _ = try? store.transitionWorker(
      workerID, .launchFailed, expecting: .launching, expectedLease: .some(runID), source: "dispatcher",
      reason: "the worker could not be registered: \(error.message)")
    if let row = try? store.worker(workerID), row.state == .deleting, row.workerHandle != nil {
      pool.deleteWorker(row, source: "dispatcher")
    } else {
      _ = try? backend.deleteWorker(WorkerRequest(worker: worker))
    }
  }
}
