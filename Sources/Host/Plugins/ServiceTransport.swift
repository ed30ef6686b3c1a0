import Foundation

/// What one plugin function returned, copied out of plugin memory: the same whether the
/// function ran in this process or in an isolated helper, so OpenedService judges both alike.
struct PluginReply: Sendable {
  var status: Int32
  var response: String?
  var error: String?
  /// get_bytes only.
  var bytes: [UInt8] = []
}

/// Why a call produced no reply at all.
enum TransportFault: Error, Sendable {
  /// No answer within the call timeout.
  case timedOut(TimeInterval)
  /// The isolated helper died during the call: killed by `signal`, or exited with `exitStatus`.
  case crashed(signal: Int32?, exitStatus: Int32?)
  /// The isolated helper could not be started or could not reopen the service.
  case helperFailed(String)
  /// Not attempted: earlier calls are still stuck in the plugin (see StuckCalls).
  case stuck(String)
}

/// How OpenedService reaches one open service instance: through its C table in this process
/// (InProcessTransport) or over a socket to a helper process (IsolatedTransport).
protocol ServiceTransport: AnyObject, Sendable {
  var isolation: IsolationMode { get }
  /// A JSON-in/JSON-out function of the table; the caller checked that the plugin has it.
  func call(_ function: String, request: String) throws(TransportFault) -> PluginReply
  func putBytes(request: String, bytes: [UInt8]) throws(TransportFault) -> PluginReply
  func getBytes(request: String) throws(TransportFault) -> PluginReply
}
