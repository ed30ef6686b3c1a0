import Foundation
import Host
import MCP
import PluginKit

/// manage_patterns: failure patterns learned from failed runs (docs/review.md).
enum PatternTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [managePatterns] }

  static let actions = ["list", "get", "propose", "approve", "reject", "review"]

  static let librarianNote =
    "review: Goldfish has no AI librarian; nothing reviews patterns for you. Read the pending ones (action: list, status: pending) and approve or reject each yourself."

  static let managePatterns = MCPTool(
    name: "manage_patterns",
    description: """
      Failure patterns: a rule over a failed run's log tail, metrics or review findings, with its symptom, root cause and \
      prevention. propose one from a failed run (its rule must match that run), approve or reject it; approved patterns \
      are checked on every run that ends failed or terminated, and matches are named in inspect_run. review: there is no \
      AI librarian (the answer says so).
      """,
    parameters: [
      .string("action", "What to do.", required: true, choices: actions),
      .string("pattern_id", "The pattern (get, approve, reject)."),
      .string("status", "list: only patterns in this status.", choices: FailurePattern.Status.allCases.map(\.rawValue)),
      .string("source_run_id", "propose: the failed run the pattern was seen in."),
      .string("symptom", "propose: what the failure looks like (at least 10 characters)."),
      .string("root_cause", "propose: why it happens (at least 10 characters)."),
      .string("prevention", "propose: how to avoid it."),
      .string(
        "severity", "propose: how bad it is (default MEDIUM).",
        choices: FailurePattern.Severity.allCases.map(\.rawValue)),
      .object(
        "rule",
        "propose: {\"kind\": \"log_regex\", \"pattern\": \"CUDA out of memory\"} | {\"kind\": \"metric\", \"name\": \"loss\", \"above\": 10} (or below) | {\"kind\": \"finding\", \"check\": \"divergence\"}."
      ),
      .string("reason", "reject: why (at least 10 characters)."),
    ],
    output: [
      "action": S.string, "pattern": S.anyObject, "patterns": S.array(S.anyObject), "matches": S.array(S.anyObject),
      "evidence": S.string, "reviewed": S.boolean, "message": S.string,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let action = try call.required("action")
    if action == "review" {
      return ToolOutput(
        ["action": "review", "reviewed": false, "message": .string(librarianNote)], text: librarianNote)
    }
    let id = call.string("pattern_id")
    if ["get", "approve", "reject"].contains(action) && id == nil {
      throw GoldfishError(
        .invalidArgument, "\(action) needs pattern_id", hint: "manage_patterns(action: list) lists them")
    }
    let patternID = id ?? ""
    let status = call.string("status").flatMap(FailurePattern.Status.init(rawValue:))
    let proposal = FailurePatterns.Proposal(
      symptom: call.string("symptom") ?? "", rootCause: call.string("root_cause") ?? "",
      rule: call.arguments["rule"].map(MCPValue.json) ?? .null, prevention: call.string("prevention"),
      severity: call.string("severity") ?? "MEDIUM", sourceRunID: call.string("source_run_id") ?? "")
    let reason = call.string("reason") ?? ""
    return try await call.withProject { project in
      let patterns = FailurePatterns(store: project.store)
      func encoded(_ pattern: FailurePattern) throws(GoldfishError) -> Value {
        try MCPValue.encode(pattern)
      }
      switch action {
      case "list":
        let list = try project.store.patterns(status: status)
        return ToolOutput(
          ["action": "list", "patterns": .array(try list.map(encoded))], text: "\(list.count) failure patterns")
      case "get":
        guard let pattern = try project.store.pattern(patternID) else {
          throw GoldfishError(.notFound, "no failure pattern \(id ?? "")", hint: "manage_patterns(action: list)")
        }
        let matches = try project.store.patternMatches(pattern: pattern.id)
        return ToolOutput(
          [
            "action": "get", "pattern": try encoded(pattern),
            "matches": try MCPValue.encode(matches),
          ], text: "\(pattern.id) (\(pattern.status.rawValue)): \(pattern.symptom)")
      case "propose":
        let (pattern, evidence) = try patterns.propose(proposal)
        return ToolOutput(
          ["action": "propose", "pattern": try encoded(pattern), "evidence": .string(evidence)],
          text: "Proposed \(pattern.id) (pending); it matches \(pattern.sourceRunID ?? ""): \(evidence)")
      case "approve":
        let pattern = try patterns.approve(patternID, by: "agent")
        return ToolOutput(["action": "approve", "pattern": try encoded(pattern)], text: "Approved \(pattern.id)")
      case "reject":
        let pattern = try patterns.reject(patternID, reason: reason)
        return ToolOutput(["action": "reject", "pattern": try encoded(pattern)], text: "Rejected \(pattern.id)")
      default:
        throw GoldfishError(.invalidArgument, "unknown action \(action)", hint: actions.joined(separator: ", "))
      }
    }
  }
}
