import Foundation
import Host
import Logging
import MCP
import PluginKit
import SystemPackage

/// `goldfish serve`: the MCP server over stdio. The CLI and this server are two faces of the
/// same Host library; every tool runs its work off the loop, on a project of its own
/// (ProjectPool keeps opened ones while nothing they were opened from changes).
public enum MCPServer {
  static let logger = Logger(label: "goldfish.mcp")

  /// Serves until the client closes stdin. `stdout` is the private descriptor from
  /// `StdoutGuard.protect()`: fd 1 already points at stderr, so nothing a plugin prints can
  /// reach the wire.
  public static func serve(project: String?, startDirectory: String, stdout: Int32) async throws {
    let context = ServerContext(explicitProject: project, startDirectory: startDirectory)
    let tools = ToolRegistry.all
    let byName = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let server = Server(
      name: "goldfish", version: GoldfishVersion.current,
      instructions: """
        Goldfish versions every run of an ML experiment before it executes and remembers it.
        Start with `status`: it shows the slots, workspaces, runs, STATE.md and what to do next.
        """,
      capabilities: .init(logging: .init(), tools: .init(listChanged: false)))

    // The tool list never changes while serving: build its schemas once, not per request.
    let definitions = tools.map(\.definition)
    await server.withMethodHandler(ListTools.self) { _ in
      ListTools.Result(tools: definitions)
    }
    // ToolListTransport runs calls itself (see there); this handler takes what it leaves (batches).
    await server.withMethodHandler(CallTool.self) { [server] params in
      // A driver may die while this server lives (OOM, kill): any tool call looks again.
      ResumeSweep.shared.maybeResume(context)
      return await call(params, tools: byName, context: context, server: server)
    }

    resumeInterruptedRuns(context, prewarm: true)
    WarmPoolReaperSchedule.startTimer { try? ExecutionServices.open(try context.openProject()) }
    let transport = try ToolListTransport(
      wrapping: BlockingStdioTransport(input: STDIN_FILENO, output: stdout), tools: definitions
    ) { [server] params in
      ResumeSweep.shared.maybeResume(context)
      return await call(params, tools: byName, context: context, server: server)
    }
    try await server.start(transport: transport)
    await server.waitUntilCompleted()
  }

  /// Pipeline runs whose driver died (a host restart) are driven again, detached, as the CLI does.
  /// `prewarm` (at server start): first one project for the first tool call, opened while the
  /// client is still shaking hands; the sweep then takes a second, so the two never wait for each other.
  static func resumeInterruptedRuns(_ context: ServerContext, prewarm: Bool = false) {
    ResumeSweep.shared.markRun()
    DispatchQueue.global().async {
      if prewarm, let location = try? context.location() { context.projects.prewarm(location) }
      try? context.withProject { DriverLauncher.resumeInterrupted(project: $0) }
    }
  }

  static func call(
    _ params: CallTool.Parameters, tools: [String: MCPTool], context: ServerContext, server: Server
  ) async -> CallTool.Result {
    guard let tool = tools[params.name] else {
      let near = tools.keys.filter { $0.contains(params.name) || params.name.contains($0) }.sorted()
      return failure(
        GoldfishError(
          .unknownTool, "there is no tool \"\(ValueQuote.short(params.name))\"",
          hint: near.isEmpty
            ? "tools/list shows every tool; start with status" : "did you mean \(near.joined(separator: ", "))?"))
    }
    // Any error below may quote what the agent sent; each long value is quoted by its start.
    let given = { givenStrings(params.arguments ?? [:]) }
    let token = params._meta?.progressToken
    let progress: @Sendable (Double, Double?, String) async -> Void = { done, total, message in
      guard let token else { return }
      let notice = ProgressNotification.Parameters(progressToken: token, progress: done, total: total, message: message)
      try? await server.notify(ProgressNotification.message(notice))
    }
    do {
      let arguments = try ToolCall.checked(params.arguments ?? [:], for: tool)
      let output = try await tool.handler(
        ToolCall(tool: tool.name, arguments: arguments, context: context, progress: progress))
      return CallTool.Result(
        content: [.text(text: output.text + "\n" + compactJSON(output.structured), annotations: nil, _meta: nil)],
        structuredContent: Value?.some(output.structured), isError: false)
    } catch let error as GoldfishError {
      return failure(error, quoting: given())
    } catch is CancellationError {
      return failure(GoldfishError(.canceled, "\(tool.name) was cancelled by the client"))
    } catch {
      // Never hand an internal message to the agent: log it for the person running the server.
      logger.error("\(tool.name) failed: \(String(describing: error))")
      return failure(
        GoldfishError(
          .internalError, "\(tool.name) failed unexpectedly",
          hint: "the server's stderr log has the details; try again or use the goldfish CLI"))
    }
  }

  /// Every string the agent sent (keys and values, at any depth), for `GoldfishError.bounded`.
  static func givenStrings(_ arguments: [String: Value]) -> [String] {
    var found: [String] = []
    var pending: [Value] = [.object(arguments)]
    while let value = pending.popLast() {
      switch value {
      case .string(let text): found.append(text)
      case .array(let items): pending.append(contentsOf: items)
      case .object(let fields):
        found.append(contentsOf: fields.keys)
        pending.append(contentsOf: fields.values)
      default: break
      }
    }
    return found.filter(ValueQuote.isLong)
  }

  static func failure(_ unbounded: GoldfishError, quoting given: [String] = []) -> CallTool.Result {
    let error = unbounded.bounded(quoting: given)
    var fields: [String: Value] = ["code": .string(error.code.rawValue), "message": .string(error.message)]
    fields["hint"] = error.hint.map(Value.string) ?? .null
    if !error.detail.isEmpty, let detail = try? MCPValue.encode(error.detail) { fields["detail"] = detail }
    var text = "error [\(error.code.rawValue)]: \(error.message)"
    if let hint = error.hint { text += "\nhint: \(hint)" }
    return CallTool.Result(
      content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Value?.some(.object(fields)),
      isError: true)
  }

  static func compactJSON(_ value: Value) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}

extension GoldfishError.Code {
  public static let canceled = Self("canceled")
}
