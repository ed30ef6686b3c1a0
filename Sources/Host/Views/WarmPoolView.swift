import Foundation
import PluginKit

/// The warm pool, as `goldfish pool status --json` and MCP `warm_pool_status` show it:
/// upstream's field names, each worker with its `worker_id` beside upstream's `instance_name`,
/// and a message saying why the pool is off when it is.
public struct WarmPoolView: Encodable, Sendable {
  public var report: WarmPoolReport

  public init(_ report: WarmPoolReport) {
    self.report = report
  }

  /// Why no worker is kept, or nil when the pool is on.
  public var message: String? {
    if !report.backendSupportsReuse { return "the run backend \(report.backend) has no warm_reuse capability" }
    if !report.enabled {
      return "the warm pool is off: set \(report.backend).warm_pool.enabled: true in goldfish.yaml"
    }
    return nil
  }

  enum Keys: String, CodingKey {
    case enabled, backend, backendSupportsReuse = "backend_supports_reuse", maxInstances = "max_instances"
    case idleTimeoutMinutes = "idle_timeout_minutes", idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds", profiles, total, byState = "by_state", instances
    case instancesOmitted = "instances_omitted", message
  }

  enum InstanceKeys: String, CodingKey {
    case instanceName = "instance_name", workerID = "worker_id", zone, state, stateEnteredAt = "state_entered_at"
    case activeLeaseRun = "active_lease_run", jobsDone = "jobs_done", createdAt = "created_at"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(report.enabled && report.backendSupportsReuse, forKey: .enabled)
    try fields.encode(report.backend, forKey: .backend)
    try fields.encode(report.backendSupportsReuse, forKey: .backendSupportsReuse)
    try fields.encode(report.maxInstances, forKey: .maxInstances)
    try fields.encode(report.idleTimeoutSeconds / 60, forKey: .idleTimeoutMinutes)
    try fields.encode(report.idleTimeoutSeconds, forKey: .idleTimeoutSeconds)
    try fields.encode(report.lifetimeSeconds, forKey: .lifetimeSeconds)
    try fields.encode(report.profiles, forKey: .profiles)
    try fields.encode(report.total, forKey: .total)
    try fields.encode(report.counts, forKey: .byState)
    var instances = fields.nestedUnkeyedContainer(forKey: .instances)
    for instance in report.instances {
      var row = instances.nestedContainer(keyedBy: InstanceKeys.self)
      let field = { (name: String) -> JSONValue in instance[name] ?? .null }
      try row.encode(field("worker_id"), forKey: .instanceName)
      try row.encode(field("worker_id"), forKey: .workerID)
      try row.encode(field("zone"), forKey: .zone)
      try row.encode(field("state"), forKey: .state)
      try row.encode(field("state_entered_at"), forKey: .stateEnteredAt)
      try row.encode(field("lease_run_id"), forKey: .activeLeaseRun)
      try row.encode(field("jobs_done"), forKey: .jobsDone)
      try row.encode(field("created_at"), forKey: .createdAt)
    }
    try fields.encode(report.instancesOmitted, forKey: .instancesOmitted)
    try fields.encode(message, forKey: .message)
  }
}
