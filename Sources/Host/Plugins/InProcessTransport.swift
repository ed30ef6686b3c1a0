import Foundation
import PluginABI
import PluginKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Calls a service through its C function table inside this process. Each call may be
/// bounded by a timeout: it then runs on a call thread (CallThreads), and a call that does not answer in
/// time is abandoned (C code cannot be interrupted); whatever the plugin returns later is
/// released with the plugin's own free when it does.
final class InProcessTransport: ServiceTransport, @unchecked Sendable {
  let isolation = IsolationMode.inProcess
  private let descriptor: UnsafePointer<gf_plugin_descriptor>
  private let service: UnsafePointer<gf_service>
  private let kind: ServiceKind
  private let instance: UnsafeMutableRawPointer?
  private let serial: PthreadLock?
  private let callTimeout: TimeInterval?
  private let stuck = StuckCalls()
  private let threads = CallThreads()

  /// Opens an instance; on failure returns the plugin's error JSON (nil: it gave none).
  static func open(
    descriptor: UnsafePointer<gf_plugin_descriptor>, service: UnsafePointer<gf_service>, kind: ServiceKind,
    serial: Bool, config: String, context: String, callTimeout: TimeInterval?
  ) -> Result<InProcessTransport, OpenRefusal> {
    var instance: UnsafeMutableRawPointer?
    var errorText: UnsafeMutablePointer<CChar>?
    // The loader refused a service without open, so it is present.
    guard let open = ABIView(service: service)[\.open] ?? nil else { return .failure(OpenRefusal(errorJSON: nil)) }
    let status = open(service, config, context, &instance, &errorText)
    let error = Self.take(errorText, free: ABIView(descriptor: descriptor).free)
    guard status == GF_OK else { return .failure(OpenRefusal(errorJSON: error)) }
    return .success(
      InProcessTransport(
        descriptor: descriptor, service: service, kind: kind, instance: instance, serial: serial,
        callTimeout: callTimeout))
  }

  private init(
    descriptor: UnsafePointer<gf_plugin_descriptor>, service: UnsafePointer<gf_service>, kind: ServiceKind,
    instance: UnsafeMutableRawPointer?, serial: Bool, callTimeout: TimeInterval?
  ) {
    self.descriptor = descriptor
    self.service = service
    self.kind = kind
    self.instance = instance
    self.serial = serial ? PthreadLock() : nil
    self.callTimeout = callTimeout
  }

  deinit {
    threads.close()
    (ABIView(service: service)[\.close] ?? nil)?(instance)
  }

  func call(_ function: String, request: String) throws(TransportFault) -> PluginReply {
    guard let table = ABIView(service: service).table, let slot = ServiceTable.slot(function, in: table, kind: kind)
    else {
      return Self.unsupported(function)
    }
    let fn = unsafeBitCast(slot, to: gf_call_fn.self)
    let instance = RawPointer(instance)
    let label = DriverCrashNote.installed ? callLabel(function) : ""
    return take(
      try bounded(function, key: StuckCalls.handleKey(request)) { () -> CallOutcome in
        var outcome = CallOutcome()
        DriverCrashNote.entering(label)
        outcome.status = fn(instance.pointer, request, &outcome.response, &outcome.error)
        DriverCrashNote.left()
        return outcome
      })
  }

  func putBytes(request: String, bytes: [UInt8]) throws(TransportFault) -> PluginReply {
    guard kind == .objectStorage, let fn = storageTable?[\.put_bytes] ?? nil else {
      return Self.unsupported("put_bytes")
    }
    let instance = RawPointer(instance)
    return take(
      try bounded("put_bytes", key: nil) { () -> CallOutcome in
        var outcome = CallOutcome()
        outcome.status = bytes.withUnsafeBufferPointer { buffer in
          fn(instance.pointer, request, buffer.baseAddress, buffer.count, &outcome.response, &outcome.error)
        }
        return outcome
      })
  }

  func getBytes(request: String) throws(TransportFault) -> PluginReply {
    guard kind == .objectStorage, let fn = storageTable?[\.get_bytes] ?? nil else {
      return Self.unsupported("get_bytes")
    }
    let instance = RawPointer(instance)
    return take(
      try bounded("get_bytes", key: nil) { () -> CallOutcome in
        var outcome = CallOutcome()
        outcome.status = fn(instance.pointer, request, &outcome.data, &outcome.length, &outcome.error)
        return outcome
      })
  }

  /// "plugin P (service S) function F", for the crash note of a driver.
  private func callLabel(_ function: String) -> String {
    let plugin = (ABIView(descriptor: descriptor)[\.name] ?? nil).map { String(cString: $0) } ?? "?"
    let name = ABIView(service: service).name
    return "plugin \(plugin) (service \(name)) function \(function)"
  }

  /// The object storage table, every field read bounded by its struct_size.
  private var storageTable: ABIView<gf_object_storage_v1>? {
    ABIView(service: service).table.map { ABIView<gf_object_storage_v1>($0) }
  }

  private static func unsupported(_ function: String) -> PluginReply {
    let error = PluginError(.unsupported, "the plugin does not support \(function)")
    return PluginReply(status: GF_ERROR, error: try? JSONCoding.encode(error))
  }

  private func serialized<T>(_ body: () -> T) -> T {
    guard let serial else { return body() }
    return serial.withLock(body)
  }

  /// Runs a call on one of the service's call threads and waits at most the call timeout. A call that did not
  /// answer stays registered until it returns: meanwhile no new call is made for the same
  /// handle, and at most `StuckCalls.limit` threads are ever left waiting on the plugin.
  private func bounded(
    _ function: String, key: String?, _ body: @escaping @Sendable () -> CallOutcome
  ) throws(TransportFault) -> CallOutcome {
    guard let callTimeout else { return serialized(body) }
    if let refusal = stuck.refusal(for: key) { throw refusal }
    let pending = PendingCall()
    let free = FreeFunction(ABIView(descriptor: descriptor).free)
    let serial = self.serial
    let stuck = self.stuck
    let token = stuck.begin()
    threads.run {
      let outcome = serial.map { $0.withLock(body) } ?? body()
      if !pending.deliver(outcome) { free.release(outcome) }
      stuck.end(token)
    }
    if let outcome = pending.wait(seconds: callTimeout) { return outcome }
    stuck.abandoned(token, function: function, key: key)
    throw .timedOut(callTimeout)
  }

  /// Copies what a call returned and releases every buffer with the plugin's own free,
  /// whatever the status: the ABI lets a plugin set any out-parameter on any path.
  private func take(_ outcome: CallOutcome) -> PluginReply {
    let free = ABIView(descriptor: descriptor).free
    var reply = PluginReply(
      status: outcome.status, response: Self.take(outcome.response, free: free),
      error: Self.take(outcome.error, free: free))
    if let data = outcome.data {
      if outcome.status == GF_OK { reply.bytes = Array(UnsafeBufferPointer(start: data, count: outcome.length)) }
      free?(data)
    }
    return reply
  }

  /// Copies a plugin-owned string and releases it with the plugin's own free.
  static func take(
    _ pointer: UnsafeMutablePointer<CChar>?, free: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
  ) -> String? {
    guard let pointer else { return nil }
    defer { free?(pointer) }
    return String(validatingCString: pointer)
      ?? String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
  }
}

/// A service's open() failed; its error JSON, if it gave one.
struct OpenRefusal: Error, Sendable {
  var errorJSON: String?
}

/// What one call into a plugin returned, still in plugin memory.
struct CallOutcome: @unchecked Sendable {
  var status: Int32 = GF_ERROR
  var response: UnsafeMutablePointer<CChar>?
  var error: UnsafeMutablePointer<CChar>?
  var data: UnsafeMutablePointer<UInt8>?
  var length = 0
}

/// A plugin instance pointer carried to the thread that makes the call.
struct RawPointer: @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer?
  init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
}

/// A plugin's free function, carried to the thread of an abandoned call.
struct FreeFunction: @unchecked Sendable {
  let function: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
  init(_ function: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?) { self.function = function }

  func release(_ outcome: CallOutcome) {
    if let pointer = outcome.response { function?(pointer) }
    if let pointer = outcome.error { function?(pointer) }
    if let pointer = outcome.data { function?(pointer) }
  }
}

/// The hand-over between a call's thread and its waiting caller, who may give up.
final class PendingCall: @unchecked Sendable {
  private let lock = PthreadLock()
  private let done = DispatchSemaphore(value: 0)
  private var outcome: CallOutcome?
  private var abandoned = false
  /// Set with the outcome: a waiter spinning briefly sees it without sleeping on `done`.
  private let ready = Atomic<Bool>(false)

  /// False when the caller already gave up: the outcome is then the thread's to release.
  func deliver(_ result: CallOutcome) -> Bool {
    let taken = lock.withLock { () -> Bool in
      if abandoned { return false }
      outcome = result
      return true
    }
    if taken {
      ready.store(true, ordering: .releasing)
      done.signal()
    }
    return taken
  }

  func wait(seconds: TimeInterval) -> CallOutcome? {
    var spin = Spin(microseconds: 50)
    while !ready.load(ordering: .acquiring) && spin.next() {}
    if !ready.load(ordering: .acquiring) { _ = done.wait(timeout: .now() + seconds) }
    return lock.withLock {
      if outcome == nil { abandoned = true }
      return outcome
    }
  }
}
