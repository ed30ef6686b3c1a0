import Foundation
import PluginKit

/// The warm pool of the project's run backend: its settings and the worker mechanics the
/// backend supplies (deliver, probe, delete, list). Decisions — reuse, release, delete — are
/// made by the dispatcher, the run-end hook and the reaper, never by the backend.
public struct WarmPool: Sendable {
  public let services: ExecutionServices

  public init(services: ExecutionServices) { self.services = services }

  var store: ProjectStore { services.project.store }
  var backend: RunBackendClient { services.backendClient }
  public var backendName: String { backend.name }
  public var config: WarmPoolConfig { services.project.config.warmPool(for: backendName) }

  /// The backend declares `warm_reuse` and implements the worker functions.
  public var backendSupportsReuse: Bool {
    backend.capabilities.warmReuse
      && ["deliver_job", "probe_worker", "delete_worker"].allSatisfy(backend.service.supports)
  }

  /// Whether a run of `profile` goes through the pool.
  public func applies(toProfile profile: String) -> Bool {
    backendSupportsReuse && config.isEnabled(for: profile)
  }

  public func key(for spec: RunSpec) -> CompatibilityKey {
    let name = spec.profile?.name
    let base = CompatibilityKey(
      backend: backendName, profile: spec.profile,
      definition: name.flatMap { services.project.config.profiles.definitions[$0] })
    return base.matching(image: matchesImage ? spec.image : nil)
  }

  /// A backend whose worker is bound to one image (a warm container) lists `image` in its
  /// `warm_match` capability, so a run of another image never claims that worker only to be
  /// refused; a VM that pulls each job's own image does not.
  var matchesImage: Bool {
    backend.capabilities.warmMatch.contains("image")
  }

  /// Chosen by the host from the run that launches the worker, so a retried registration
  /// names the same row (upstream #10/#16). Lowercase, starts with a letter: a valid VM name.
  public static func workerID(forRun runID: String) -> String {
    "gw-" + runID.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.map(String.init).joined()
  }

  /// `spec.worker` for a fresh launch that keeps its worker (docs/warm-pool.md).
  func workerOptions(workerID: String) -> WorkerOptions {
    WorkerOptions(
      keepWarm: true, idleTimeoutSeconds: config.idleTimeoutSeconds, lifetimeSeconds: config.lifetimeSeconds,
      preservePaths: config.preservePaths, workerId: workerID)
  }

  /// What the worker says; a failed call is `error` ("could not tell"), never evidence of death.
  public func probe(_ row: WarmWorkerRecord) -> WorkerProbe {
    do {
      return try backend.probeWorker(WorkerRequest(worker: row.handle))
    } catch {
      return WorkerProbe(liveness: .error, message: error.error.message)
    }
  }

  /// Asks the backend to delete a `deleting` worker; when it confirms, the row goes to `gone`
  /// and is dropped (upstream #26: never before). Returns whether the row is gone.
  @discardableResult
  public func deleteWorker(_ row: WarmWorkerRecord, source: String) -> Bool {
    guard row.state == .deleting else { return false }
    var confirmed = false
    var failure: String?
    do {
      confirmed = try backend.deleteWorker(WorkerRequest(worker: row.handle)).confirmed
    } catch {
      failure = error.error.message
      // A launch that never returned a handle may have left nothing to delete: the backend
      // cannot find it by id, which is as gone as it gets.
      if row.workerHandle == nil && [.notFound, .invalidArgument].contains(error.error.code) { confirmed = true }
    }
    try? store.noteWorkerDeleteAttempt(row.workerID, error: failure)
    guard confirmed else { return false }
    let moved =
      (try? store.transitionWorker(
        row.workerID, .deleteConfirmed, expecting: .deleting, source: source, reason: "the backend confirmed deletion"))?
      .moved ?? false
    if moved { _ = try? store.dropGoneWorker(row.workerID) }
    return moved
  }

  /// Moves a row to `deleting` (releasing any lease) and tries the deletion at once.
  @discardableResult
  func requestDeletion(
    _ row: WarmWorkerRecord, event: WarmWorkerEvent = .deleteRequested, source: String, reason: String
  ) -> Bool {
    let result = try? store.transitionWorker(
      row.workerID, event, expecting: row.state, expectedLease: .some(row.leaseRunID), source: source, reason: reason)
    guard result?.moved == true, let current = try? store.worker(row.workerID) else { return false }
    deleteWorker(current, source: source)
    return true
  }
}
