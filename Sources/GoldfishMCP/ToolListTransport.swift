import Foundation
import Host
import Logging
import MCP

/// Answers `tools/list` from bytes encoded once, and hands every other message to the SDK.
///
/// The SDK turns each typed result into its generic `Value` by encoding and decoding it again,
/// and its decoder runs a regular expression, compiled anew, over every string (to spot data
/// URLs). For the ~30 KB tool list that was most of a request's cost; the list never changes
/// while serving, so it is encoded once here and only the request id is spliced in.
actor ToolListTransport: Transport {
  private let inner: any Transport
  private let encodedResult: Data
  nonisolated let logger: Logger

  init(wrapping inner: any Transport, tools: [Tool]) throws {
    self.inner = inner
    self.logger = Logger(label: "goldfish.mcp.transport")
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
            if let id = Self.toolListRequestID(message) {
              try await send(response(to: id))
            } else {
              continuation.yield(message)
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

  /// The JSON text of the id of a single `tools/list` request; nil for anything else.
  static func toolListRequestID(_ message: Data) -> Data? {
    // Cheap test first: nearly every message is something else.
    guard message.range(of: Data("tools/list".utf8)) != nil,
      let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
      object["method"] as? String == "tools/list", let id = object["id"], !(id is NSNull),
      let text = try? JSONSerialization.data(withJSONObject: id, options: .fragmentsAllowed)
    else { return nil }
    return text
  }

  private func response(to id: Data) -> Data {
    var data = Data(#"{"jsonrpc":"2.0","id":"#.utf8)
    data.append(id)
    data.append(Data(#","result":"#.utf8))
    data.append(encodedResult)
    data.append(UInt8(ascii: "}"))
    return data
  }
}
