import Foundation
import Host
import Logging
import MCP

/// Answers `tools/list` from bytes encoded once and `tools/call` with one encoding of the result,
/// and hands every other message to the SDK.
///
/// The SDK turns each typed result into its generic `Value` by encoding and decoding it again,
/// and its decoder runs a regular expression, compiled anew, over every string (to spot data
/// URLs). For the ~30 KB tool list that was most of a request's cost; the list never changes
/// while serving, so it is encoded once here and only the request id is spliced in. A tool's
/// result (`status` holds hundreds of strings) paid the same on every call, so calls are run
/// here too: the same handler the SDK would run, its result encoded once. A
/// `notifications/cancelled` for a call cancels its task, as the SDK does for its own requests.
actor ToolListTransport: Transport {
  typealias CallHandler = @Sendable (CallTool.Parameters) async -> CallTool.Result

  private let inner: any Transport
  private let encodedResult: Data
  private let callTool: CallHandler
  /// Calls still running, by the JSON text of their request id.
  private var calls: [Data: Task<Void, Never>] = [:]
  nonisolated let logger: Logger

  init(wrapping inner: any Transport, tools: [Tool], callTool: @escaping CallHandler) throws {
    self.inner = inner
    self.logger = Logger(label: "goldfish.mcp.transport")
    self.callTool = callTool
    encodedResult = try JSONEncoder().encode(ListTools.Result(tools: tools))
  }

  func connect() async throws { try await inner.connect() }
  func disconnect() async { await inner.disconnect() }
  func send(_ data: Data) async throws { try await inner.send(data) }

  func receive() -> AsyncThrowingStream<Data, Swift.Error> {
    let inner = self.inner
    return AsyncThrowingStream { continuation in
      let task = Task {
        do {
          for try await message in await inner.receive() {
            switch Self.route(message) {
            case .toolList(let id): try await send(response(to: id, result: encodedResult))
            case .toolCall(let id, let parameters): await start(parameters, id: id)
            case .cancel(let id):
              await cancelCall(id)
              continuation.yield(message)
            case nil: continuation.yield(message)
            }
          }
          continuation.finish()
        } catch {
          continuation.finish(throwing: error)
        }
      }
      continuation.onTermination = { _ in task.cancel() }
    }
  }

  private func start(_ parameters: CallTool.Parameters, id: Data) {
    let callTool = self.callTool
    calls[id] = Task {
      let result = await callTool(parameters)
      await finish(id: id, result: result)
    }
  }

  private func cancelCall(_ id: Data) { calls[id]?.cancel() }

  private func finish(id: Data, result: CallTool.Result) async {
    calls[id] = nil
    do {
      try await send(response(to: id, result: try JSONEncoder().encode(result)))
    } catch {
      logger.error("cannot answer a tool call: \(String(describing: error))")
    }
  }

  /// What a message is to this transport; nil: the SDK's.
  enum Route {
    /// A single `tools/list` request, by the JSON text of its id.
    case toolList(Data)
    case toolCall(Data, CallTool.Parameters)
    /// A `notifications/cancelled`, by the JSON text of the request id it names.
    case cancel(Data)
  }

  static func route(_ message: Data) -> Route? {
    // Cheap test first: only these three methods are answered here.
    guard message.range(of: Data("tools/".utf8)) != nil || message.range(of: Data("/cancelled".utf8)) != nil,
      let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
      let method = object["method"] as? String
    else { return nil }
    switch method {
    case "tools/list":
      return idText(object["id"]).map(Route.toolList)
    case "tools/call":
      guard let id = idText(object["id"]), let parameters = object["params"],
        let data = try? JSONSerialization.data(withJSONObject: parameters),
        let decoded = try? JSONDecoder().decode(CallTool.Parameters.self, from: data)
      else { return nil }  // The SDK answers what cannot be read with its own error.
      return .toolCall(id, decoded)
    case "notifications/cancelled":
      return idText((object["params"] as? [String: Any])?["requestId"]).map(Route.cancel)
    default:
      return nil
    }
  }

  /// The JSON text of the id of a single `tools/list` request; nil for anything else.
  static func toolListRequestID(_ message: Data) -> Data? {
    guard case .toolList(let id) = route(message) else { return nil }
    return id
  }

  private static func idText(_ id: Any?) -> Data? {
    guard let id, !(id is NSNull) else { return nil }
    return try? JSONSerialization.data(withJSONObject: id, options: .fragmentsAllowed)
  }

  private func response(to id: Data, result: Data) -> Data {
    var data = Data(#"{"jsonrpc":"2.0","id":"#.utf8)
    data.append(id)
    data.append(Data(#","result":"#.utf8))
    data.append(result)
    data.append(UInt8(ascii: "}"))
    return data
  }
}
