import Foundation
import PluginABI
import PluginKit

/// What the service that owns a goldfish.yaml section says about it (`check_config`, ABI 1.2).
public enum ServiceConfigAnswer: Sendable, Equatable {
  case report(ConfigReport)
  /// The plugin does not check its config: no check_config (built before ABI 1.2, or NULL),
  /// or a Swift service that does not implement `checkConfig`.
  case notChecked
  /// The check itself failed: the plugin's own error, a reply that is no report, a dead helper.
  case failed(String)
}

/// Calls check_config of a registered service, in this process or in an isolated helper.
enum ServiceConfigCheck {
  /// In this process; nil when the service has no check_config.
  static func inProcess(
    descriptor: UnsafePointer<gf_plugin_descriptor>, service: UnsafePointer<gf_service>, config: String,
    context: String
  ) -> PluginReply? {
    guard let check = ABIView(service: service)[\.check_config] ?? nil else { return nil }
    var response: UnsafeMutablePointer<CChar>?
    var error: UnsafeMutablePointer<CChar>?
    let status = check(service, config, context, &response, &error)
    let free = ABIView(descriptor: descriptor).free
    return PluginReply(
      status: status, response: InProcessTransport.take(response, free: free),
      error: InProcessTransport.take(error, free: free))
  }

  /// In a fresh helper process (`plugins.isolation: process`), which answers and exits.
  static func isolated(
    pluginPath: String, kind: ServiceKind, service: String, config: String, context: String, timeout: TimeInterval?
  ) -> ServiceConfigAnswer {
    do throws(TransportFault) {
      let helper = try HelperProcess.start()
      defer { helper.shutDown(grace: 5) }
      let answer = try helper.exchange(
        HelperFrame(
          header: [
            "op": "check_config", "plugin": .string(pluginPath), "kind": .string(kind.label),
            "service": .string(service), "config": .string(config), "context": .string(context),
          ]),
        timeout: timeout ?? IsolatedTransport.lifecycleTimeout)
      if let refusal = answer.header["refused"]?.stringValue { return .failed(refusal) }
      if answer.header["absent"]?.boolValue == true { return .notChecked }
      return Self.answer(
        PluginReply(
          status: Int32(answer.header["status"]?.intValue ?? Int64(GF_ERROR)),
          response: answer.header["response"]?.stringValue, error: answer.header["error"]?.stringValue))
    } catch {
      switch error {
      case .timedOut(let seconds): return .failed("check_config did not answer within \(Int(seconds)) s")
      case .crashed(let signal, let status):
        return .failed(
          "the plugin's helper died during check_config ("
            + (signal.map { "signal \($0)" } ?? "exit status \(status.map(String.init) ?? "?")") + ")")
      case .helperFailed(let reason), .stuck(let reason): return .failed(reason)
      }
    }
  }

  /// Runs an in-process check on its own thread and waits at most `timeout`: a plugin whose
  /// check hangs fails `config validate` with the reason instead of hanging it. The abandoned
  /// thread releases the plugin's buffers itself when the call returns.
  static func bounded(_ timeout: TimeInterval?, _ body: @escaping @Sendable () -> PluginReply?) -> ServiceConfigAnswer {
    guard let timeout else { return answer(body()) }
    let pending = PendingReply()
    Thread.detachNewThread { pending.deliver(body()) }
    guard let reply = pending.wait(seconds: timeout) else {
      return .failed("check_config did not answer within \(Int(timeout)) s (plugins.call_timeout_seconds)")
    }
    return answer(reply)
  }

  static func answer(_ reply: PluginReply?) -> ServiceConfigAnswer {
    guard let reply else { return .notChecked }
    guard reply.status == GF_OK else {
      let error = CallFailure.decodeError(reply.error)
      if error.code == .notImplemented || error.code == .unsupported { return .notChecked }
      return .failed(error.message)
    }
    let text = reply.response ?? "{}"
    guard let report = try? JSONCoding.decode(ConfigReport.self, from: text) else {
      return .failed(
        "check_config answered \(OpenedService.excerpt(text)), which is not {\"effective\": {...}, \"problems\": [...]}"
      )
    }
    return .report(report)
  }
}

extension PluginRegistry {
  /// Asks the service registered as (kind, name) to check `config`, its goldfish.yaml section.
  public func checkConfig(
    _ kind: ServiceKind, _ name: String, config: JSONValue,
    context: ServiceContext = ServiceContext(hostVersion: GoldfishVersion.current),
    isolation: IsolationMode = .inProcess, timeout: TimeInterval? = nil
  ) -> ServiceConfigAnswer? {
    guard let registered = registered(kind, name) else { return nil }
    let configText = (try? JSONCoding.encode(config)) ?? "{}"
    let contextText = (try? JSONCoding.encode(context)) ?? "{}"
    switch isolation {
    case .inProcess:
      let call = CheckCall(descriptor: registered.descriptor, service: registered.service)
      return ServiceConfigCheck.bounded(timeout) {
        ServiceConfigCheck.inProcess(
          descriptor: call.descriptor, service: call.service, config: configText, context: contextText)
      }
    case .process:
      return ServiceConfigCheck.isolated(
        pluginPath: registered.plugin.path, kind: kind, service: name, config: configText, context: contextText,
        timeout: timeout)
    }
  }
}

extension PluginHost {
  /// Asks the service registered as (kind, name) about its section of this project's
  /// goldfish.yaml, where the project's `plugins.isolation` runs it. nil: no such service.
  public func checkConfig(_ kind: ServiceKind, _ name: String) -> ServiceConfigAnswer? {
    registry.checkConfig(
      kind, name, config: document?.section(name) ?? [:], context: context, isolation: isolation(kind, name),
      timeout: callTimeout)
  }
}

/// The service a check runs on, carried to the thread that makes the call.
private struct CheckCall: @unchecked Sendable {
  let descriptor: UnsafePointer<gf_plugin_descriptor>
  let service: UnsafePointer<gf_service>
}

/// The hand-over between a check's thread and the caller, who may stop waiting.
private final class PendingReply: @unchecked Sendable {
  private let lock = PthreadLock()
  private let done = DispatchSemaphore(value: 0)
  private var reply: PluginReply??

  func deliver(_ value: PluginReply?) {
    lock.withLock { reply = .some(value) }
    done.signal()
  }

  /// nil when no answer came in time; `.some(nil)` when the service has no check_config.
  func wait(seconds: TimeInterval) -> PluginReply?? {
    _ = done.wait(timeout: .now() + seconds)
    return lock.withLock { reply }
  }
}
