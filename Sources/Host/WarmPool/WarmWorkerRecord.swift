import GRDB
import PluginKit

/// One pooled worker as the host tracks it.
public struct WarmWorkerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "warm_workers"

  public var workerID: String
  public var backend: String
  /// `CompatibilityKey.text`: a run may take this worker only when its own key is equal.
  public var compatKey: String
  public var zone: String?
  /// The resolved profile of the run that launched it (JSON), for people reading the pool.
  public var profile: String?
  public var state: WarmWorkerState
  public var leaseRunID: String?
  /// The backend's opaque worker handle (JSON), nil until the launch returned it.
  public var workerHandle: String?
  public var createdAt: String
  public var stateEnteredAt: String
  public var lastJobAt: String?
  public var jobsDone: Int
  public var idleTimeoutSeconds: Int
  public var lifetimeSeconds: Int
  public var notFoundCount: Int
  public var deadCount: Int
  public var deleteAttempts: Int
  public var lastError: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case workerID = "worker_id"
    case backend
    case compatKey = "compat_key"
    case zone, profile, state
    case leaseRunID = "lease_run_id"
    case workerHandle = "worker_handle"
    case createdAt = "created_at"
    case stateEnteredAt = "state_entered_at"
    case lastJobAt = "last_job_at"
    case jobsDone = "jobs_done"
    case idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds"
    case notFoundCount = "not_found_count"
    case deadCount = "dead_count"
    case deleteAttempts = "delete_attempts"
    case lastError = "last_error"
  }

  /// The worker handle to give back to the backend; a bare `worker_id` when the launch never
  /// returned one, so a backend that names workers by id can still find and delete it.
  public var handle: JSONValue {
    workerHandle.flatMap { try? JSONCoding.parse($0) } ?? ["worker_id": .string(workerID)]
  }

  public var json: JSONValue {
    [
      "worker_id": .string(workerID), "backend": .string(backend), "state": .string(state.rawValue),
      "lease_run_id": .optional(leaseRunID), "zone": .optional(zone), "compat_key": .string(compatKey),
      "created_at": .string(createdAt), "state_entered_at": .string(stateEnteredAt),
      "last_job_at": .optional(lastJobAt), "jobs_done": .number(jobsDone),
      "idle_timeout_seconds": .number(idleTimeoutSeconds), "lifetime_seconds": .number(lifetimeSeconds),
      "last_error": .optional(lastError),
    ]
  }
}

/// One row of the pool's audit trail.
public struct WarmWorkerTransitionRecord: Codable, Sendable, Equatable, FetchableRecord {
  public var id: Int64
  public var workerID: String
  public var fromState: String
  public var toState: String
  public var event: String
  public var runID: String?
  public var reason: String?
  public var source: String
  public var createdAt: String

  enum CodingKeys: String, CodingKey {
    case id
    case workerID = "worker_id"
    case fromState = "from_state"
    case toState = "to_state"
    case event
    case runID = "run_id"
    case reason, source
    case createdAt = "created_at"
  }
}
