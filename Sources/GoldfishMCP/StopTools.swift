import Foundation
import Host
import MCP
import PluginKit

/// request_stop: ask a running stage to stop cleanly through goldfish.io's should_stop().
enum StopTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [requestStop] }

  static let requestStop = MCPTool(
    name: "request_stop",
    description:
      "Ask a running stage run to stop cleanly: writes the stop file its goldfish.io should_stop() reads. The run then ends terminated with cause ai_stop. A stage that never calls should_stop() runs on (use cancel to kill it).",
    parameters: [
      .string("run_id", "A running stage run (stage-…).", required: true),
      .string("reason", "Why (at least 15 characters); recorded as the run's stop_reason.", required: true),
    ],
    output: ["run_id": S.string, "requested": S.boolean, "stop_requested_at": S.nullable(S.string)],
    annotations: .init(destructiveHint: false, idempotentHint: true, openWorldHint: false)
  ) { call in
    let runID = try call.required("run_id")
    let why = try call.required("reason")
    return try await call.withProject { project in
      let (requested, at) = try StopRequest.ask(
        runID, reason: why, services: try ExecutionServices.open(project), by: "agent")
      return ToolOutput(
        ["run_id": .string(runID), "requested": .bool(requested), "stop_requested_at": at.map(Value.string) ?? .null],
        text: requested ? "Asked \(runID) to stop" : "\(runID) was already asked to stop")
    }
  }
}
