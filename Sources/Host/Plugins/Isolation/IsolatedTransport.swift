import Foundation
import PluginABI
import PluginKit

/// Calls a service in a helper process (`goldfish plugin-host`) that loads the plugin and
/// serves the same ABI calls over a socketpair. A crash ends only the helper: the call in
/// flight fails and the next call starts a new helper and reopens the service with the same
/// config. A call past the timeout kills the helper, so a hung plugin keeps no thread here.
/// Calls to one isolated service go through one channel, one at a time.
final class IsolatedTransport: ServiceTransport, @unchecked Sendable {
  let isolation = IsolationMode.process
  private let openRequest: JSONValue
  private let callTimeout: TimeInterval?
  private let lock = PthreadLock()
  private var helper: HelperProcess?

  /// How long open and close may take when no call timeout is set.
  static let lifecycleTimeout: TimeInterval = 600

  /// Starts the helper and opens the service in it; a failed open() returns the plugin's error.
  static func open(
    pluginPath: String, kind: ServiceKind, service: String, config: String, context: String,
    callTimeout: TimeInterval?, memoryLimitMB: Int? = nil
  ) throws(TransportFault) -> Result<IsolatedTransport, OpenRefusal> {
    let transport = IsolatedTransport(
      openRequest: [
        "op": "open", "plugin": .string(pluginPath), "kind": .string(kind.label), "service": .string(service),
        "config": .string(config), "context": .string(context),
        "memory_limit_mb": memoryLimitMB.map { .int(Int64($0)) } ?? .null,
      ],
      callTimeout: callTimeout)
    // Nobody else holds the transport yet: no lock needed.
    switch try transport.startHelper() {
    case .success(let helper):
      transport.helper = helper
      return .success(transport)
    case .failure(let refusal):
      return .failure(refusal)
    }
  }

  private init(openRequest: JSONValue, callTimeout: TimeInterval?) {
    self.openRequest = openRequest
    self.callTimeout = callTimeout
  }

  deinit {
    helper?.shutDown(grace: 5)
  }

  func call(_ function: String, request: String) throws(TransportFault) -> PluginReply {
    try reply(to: HelperFrame(header: ["op": "call", "function": .string(function), "request": .string(request)]))
  }

  func putBytes(request: String, bytes: [UInt8]) throws(TransportFault) -> PluginReply {
    try reply(to: HelperFrame(header: ["op": "put_bytes", "request": .string(request)], payload: bytes))
  }

  func getBytes(request: String) throws(TransportFault) -> PluginReply {
    try reply(to: HelperFrame(header: ["op": "get_bytes", "request": .string(request)]))
  }

  private func reply(to frame: HelperFrame) throws(TransportFault) -> PluginReply {
    let outcome = lock.withLock { () -> Result<HelperFrame, TransportFault> in
      Result { () throws(TransportFault) in
        let running: HelperProcess
        if let helper {
          running = helper
        } else {
          switch try startHelper() {
          case .success(let started): running = started
          case .failure(let refusal):
            throw .helperFailed(
              "a new helper could not reopen the service: "
                + (refusal.errorJSON.flatMap { try? JSONCoding.decode(PluginError.self, from: $0) }?.message
                  ?? "no detail"))
          }
          helper = running
        }
        do throws(TransportFault) {
          return try running.exchange(frame, timeout: callTimeout)
        } catch {
          helper = nil
          throw error
        }
      }
    }
    let answer = try outcome.get()
    return PluginReply(
      status: Int32(answer.header["status"]?.intValue ?? Int64(GF_ERROR)),
      response: answer.header["response"]?.stringValue, error: answer.header["error"]?.stringValue,
      bytes: answer.payload)
  }

  /// Starts a helper and opens the service in it. Called with the lock held.
  private func startHelper() throws(TransportFault) -> Result<HelperProcess, OpenRefusal> {
    let started = try HelperProcess.start()
    let answer = try started.exchange(HelperFrame(header: openRequest), timeout: callTimeout ?? Self.lifecycleTimeout)
    if let refusal = answer.header["refused"]?.stringValue {
      started.stop()
      throw .helperFailed(refusal)
    }
    guard answer.header["status"]?.intValue == Int64(GF_OK) else {
      started.shutDown(grace: 5)
      return .failure(OpenRefusal(errorJSON: answer.header["error"]?.stringValue))
    }
    return .success(started)
  }
}
