import Foundation
import PluginABI
import PluginKit

/// A failed call into a plugin: which plugin, service and function, how it failed, and its
/// structured error.
public struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
  public var plugin: String
  public var service: String
  public var function: String
  public var error: PluginError
  public var fault: Fault = .reported

  /// How the call went wrong, as a stable code.
  public enum Fault: String, Sendable, Codable {
    /// The plugin answered with GF_ERROR and its error object.
    case reported = "plugin_error"
    /// The answer was not JSON, or not of the shape the function promises.
    case invalidResponse = "invalid_response"
    /// No answer within plugins.call_timeout_seconds.
    case timedOut = "call_timeout"
    /// The isolated helper running the plugin died during the call.
    case crashed = "plugin_crashed"
    /// The isolated helper could not be started or could not reopen the service.
    case helperFailed = "helper_failed"
    /// Not made: an earlier call for the same handle (or too many calls) are still stuck.
    case stuck = "call_stuck"
  }

  public var description: String {
    "\(service).\(function) failed (\(error.code.rawValue)\(error.retryable ? ", retryable" : "")): "
      + error.message
  }
}

/// Builds the errors both transports share, so a fault reads the same whichever ran the call.
enum CallFailure {
  static func fault(
    _ fault: TransportFault, plugin: PluginInfo, service: String, function: String
  )
    -> PluginCallError
  {
    func failure(_ kind: PluginCallError.Fault, _ error: PluginError) -> PluginCallError {
      PluginCallError(plugin: plugin.name, service: service, function: function, error: error, fault: kind)
    }
    switch fault {
    case .timedOut(let seconds):
      return failure(
        .timedOut,
        PluginError(
          .timeout, "the plugin \(plugin.name) did not answer \(service).\(function) within \(Int(seconds)) s",
          retryable: false,
          detail: [
            "plugin": .string(plugin.path),
            "hint": "the plugin may be stuck; plugins.call_timeout_seconds sets the limit",
          ]))
    case .crashed(let signal, let exitStatus):
      let how = signal.map { "crashed with \(signalName($0))" } ?? "exited with status \(exitStatus ?? -1)"
      var detail: [String: JSONValue] = ["plugin": .string(plugin.path), "isolation": "process"]
      if let signal { detail["signal"] = .string(signalName(signal)) }
      return failure(
        .crashed,
        PluginError(
          .internal,
          "plugin \(plugin.name) (service \(service)) \(how) during \(function); it runs isolated so Goldfish kept going",
          retryable: false, detail: detail))
    case .stuck(let why):
      return failure(
        .stuck,
        PluginError(
          .unavailable, "the plugin \(plugin.name) was not called for \(service).\(function): \(why)",
          retryable: true, detail: ["plugin": .string(plugin.path)]))
    case .helperFailed(let reason):
      return failure(
        .helperFailed,
        PluginError(
          .unavailable, "the isolated plugin \(plugin.name) (service \(service)) is not running: \(reason)",
          retryable: false, detail: ["plugin": .string(plugin.path), "isolation": "process"]))
    }
  }

  static func decodeError(_ text: String?) -> PluginError {
    guard let text else {
      return PluginError(.internal, "the plugin reported a failure without any detail")
    }
    return (try? JSONCoding.decode(PluginError.self, from: text))
      ?? PluginError(.internal, "the plugin reported a failure as invalid JSON: \(OpenedService.excerpt(text))")
  }

  static func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
      SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGTRAP: "SIGTRAP",
    ]
    return names[signal] ?? "signal \(signal)"
  }
}
