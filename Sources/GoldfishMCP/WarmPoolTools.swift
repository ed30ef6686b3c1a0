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
      return try ToolOutput(encoding: WarmPoolView(report), text: report.summary)
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
}
