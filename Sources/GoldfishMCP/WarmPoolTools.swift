import Foundation
import Host
import MCP
import PluginKit

/// `warm_pool_status` and `warm_pool_cleanup`: the operator's view of the warm pool.
enum WarmPoolTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [status, cleanup] }

  static let status = MCPTool(
    name: "warm_pool_status",
    description:
      "The warm pool of the run backend: whether it is on, its cap and idle timeout, how many workers are in each state, and each worker with the run it holds.",
    parameters: [],
    output: [
      "enabled": S.boolean, "backend": S.string, "max_instances": S.integer, "idle_timeout_minutes": S.integer,
      "idle_timeout_seconds": S.integer, "total": S.integer, "by_state": S.anyObject, "instances": S.array(S.anyObject),
      "message": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    try await call.withProject { project in
      let report = try WarmPoolReport(pool: WarmPool(services: try ExecutionServices.open(project)))
      return ToolOutput(statusValue(report), text: report.summary)
    }
  }

  static let cleanup = MCPTool(
    name: "warm_pool_cleanup",
    description:
      "Emergency: delete every warm worker of the pool (runs holding one are canceled) and any worker of this project the backend still lists without a pool row.",
    parameters: [.string("reason", "Why (recorded in the journal).")],
    output: [
      "success": S.boolean, "deleted": S.strings, "deletion_pending": S.strings, "skipped": S.strings,
      "remaining": S.integer, "remaining_instances": S.strings,
    ],
    annotations: .init(destructiveHint: true, idempotentHint: true, openWorldHint: true)
  ) { call in
    let reason = call.string("reason") ?? "emergency warm pool cleanup"
    return try await call.withProject { project in
      let result = try WarmPoolCleanup(services: try ExecutionServices.open(project)).run(reason: reason)
      try project.journal.record(
        "warm_pool_cleanup", reason: reason,
        details: ["deleted": .array(result.deleted.map { .string($0) }), "remaining": .int(Int64(result.remaining))])
      return ToolOutput(
        try MCPValue.encode(result),
        text:
          "Deleted \(result.deleted.count) workers; \(result.deletionPending.count) pending; \(result.remaining) rows remain"
      )
    }
  }

  /// Upstream's shape, with `worker_id` beside its `instance_name` and the precise timeout.
  static func statusValue(_ report: WarmPoolReport) -> Value {
    let instances: [Value] = report.instances.map { instance in
      [
        "instance_name": mcp(instance["worker_id"]), "worker_id": mcp(instance["worker_id"]),
        "zone": mcp(instance["zone"]),
        "state": mcp(instance["state"]), "state_entered_at": mcp(instance["state_entered_at"]),
        "active_lease_run": mcp(instance["lease_run_id"]), "jobs_done": mcp(instance["jobs_done"]),
        "created_at": mcp(instance["created_at"]),
      ]
    }
    var message: Value = .null
    if !report.backendSupportsReuse {
      message = .string("the run backend \(report.backend) has no warm_reuse capability")
    } else if !report.enabled {
      message = .string("the warm pool is off: set \(report.backend).warm_pool.enabled: true in goldfish.yaml")
    }
    return [
      "enabled": .bool(report.enabled && report.backendSupportsReuse), "backend": .string(report.backend),
      "max_instances": .int(report.maxInstances), "idle_timeout_minutes": .int(report.idleTimeoutSeconds / 60),
      "idle_timeout_seconds": .int(report.idleTimeoutSeconds), "total": .int(report.total),
      "by_state": .object(report.counts.mapValues { Value.int($0) }), "instances": .array(instances),
      "instances_omitted": .int(report.instancesOmitted), "message": message,
    ]
  }

  private static func mcp(_ value: JSONValue?) -> Value {
    switch value {
    case .string(let text)?: return .string(text)
    case .int(let number)?: return .int(Int(number))
    case .bool(let flag)?: return .bool(flag)
    case .double(let number)?: return .double(number)
    default: return .null
    }
  }
}
