import Foundation
import PluginABI
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failed call into a plugin: which plugin, service and function, and its structured error.
public struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
  public var plugin: String
  public var service: String
  public var function: String
  public var error: PluginError

  public var description: String {
    "\(service).\(function) failed (\(error.code.rawValue)\(error.retryable ? ", retryable" : "")): "
      + error.message
  }
}

/// An open instance of a plugin service. Calls go through the C table; JSON in, JSON out.
/// A service that declared `"concurrency": "serial"` gets its calls serialised here.
public final class OpenedService: @unchecked Sendable {
  public let plugin: PluginInfo
  public let info: ServiceInfo
  public let kind: ServiceKind
  private let descriptor: UnsafePointer<gf_plugin_descriptor>
  private let service: UnsafePointer<gf_service>
  private let instance: UnsafeMutableRawPointer?
  private let serial: PthreadLock?
  private let callTimeout: TimeInterval?

  static func open(
    plugin: PluginInfo, info: ServiceInfo, descriptor: UnsafePointer<gf_plugin_descriptor>,
    service: UnsafePointer<gf_service>, config: JSONValue, context: ServiceContext, callTimeout: TimeInterval? = nil
  ) throws(GoldfishError) -> OpenedService {
    let configText = (try? JSONCoding.encode(config)) ?? "{}"
    let contextText = (try? JSONCoding.encode(context)) ?? "{}"
    var instance: UnsafeMutableRawPointer?
    var errorText: UnsafeMutablePointer<CChar>?
    let status = service.pointee.open!(service, configText, contextText, &instance, &errorText)
    let error = take(errorText, free: descriptor.pointee.free)
    guard status == GF_OK else {
      let failure = decodeError(error)
      throw GoldfishError(
        .configInvalid, "cannot open the \(info.kind) \"\(info.name)\": \(failure.message)",
        hint: "check the \(info.name) section of goldfish.yaml",
        detail: ["plugin": .string(plugin.path), "code": .string(failure.code.rawValue)])
    }
    return OpenedService(
      plugin: plugin, info: info, descriptor: descriptor, service: service, instance: instance,
      callTimeout: callTimeout)
  }

  private init(
    plugin: PluginInfo, info: ServiceInfo, descriptor: UnsafePointer<gf_plugin_descriptor>,
    service: UnsafePointer<gf_service>, instance: UnsafeMutableRawPointer?, callTimeout: TimeInterval?
  ) {
    self.callTimeout = callTimeout
    self.plugin = plugin
    self.info = info
    self.kind = ServiceKind(label: info.kind)!
    self.descriptor = descriptor
    self.service = service
    self.instance = instance
    self.serial = info.capabilities["concurrency"]?.stringValue == "serial" ? PthreadLock() : nil
  }

  deinit {
    service.pointee.close?(instance)
  }

  public func supports(_ function: String) -> Bool {
    !info.unsupported.contains(function) && ServiceTable.functions(kind).contains(function)
  }

  /// Calls a JSON-in/JSON-out function of the table by its header name.
  public func call(_ function: String, _ request: JSONValue) throws(PluginCallError) -> JSONValue {
    guard let index = ServiceTable.functions(kind).firstIndex(of: function),
      let table = service.pointee.table
    else {
      throw failure(function, PluginError(.unsupported, "\(info.kind) has no function \(function)"))
    }
    let offset = MemoryLayout<UnsafeRawPointer>.stride * (index + 1)
    guard let fn = table.load(fromByteOffset: offset, as: gf_call_fn?.self) else {
      throw failure(
        function, PluginError(.unsupported, "\(info.name) does not support \(function)"))
    }
    let requestText = (try? JSONCoding.encode(request)) ?? "{}"
    let instance = RawPointer(instance)
    let outcome = try bounded(function) { () -> CallOutcome in
      var response: UnsafeMutablePointer<CChar>?
      var errorText: UnsafeMutablePointer<CChar>?
      let status = fn(instance.pointer, requestText, &response, &errorText)
      return CallOutcome(status: status, response: response, error: errorText)
    }
    let responseText = Self.take(outcome.response, free: descriptor.pointee.free)
    let errorJSON = Self.take(outcome.error, free: descriptor.pointee.free)
    guard outcome.status == GF_OK else { throw failure(function, Self.decodeError(errorJSON)) }
    guard let responseText else { return [:] }
    do {
      return try JSONCoding.parse(responseText)
    } catch {
      throw failure(
        function, PluginError(.internal, "returned invalid JSON: \(responseText.prefix(200))"))
    }
  }

  public func putBytes(_ request: JSONValue, _ bytes: [UInt8]) throws(PluginCallError) -> JSONValue {
    let table = try storageTable("put_bytes")
    guard let fn = table.pointee.put_bytes else {
      throw failure("put_bytes", PluginError(.unsupported, "\(info.name) does not support put_bytes"))
    }
    let requestText = (try? JSONCoding.encode(request)) ?? "{}"
    var response: UnsafeMutablePointer<CChar>?
    var errorText: UnsafeMutablePointer<CChar>?
    let status = bytes.withUnsafeBufferPointer { buffer in
      serialized { fn(instance, requestText, buffer.baseAddress, buffer.count, &response, &errorText) }
    }
    let responseText = Self.take(response, free: descriptor.pointee.free)
    let errorJSON = Self.take(errorText, free: descriptor.pointee.free)
    guard status == GF_OK else { throw failure("put_bytes", Self.decodeError(errorJSON)) }
    return responseText.flatMap { try? JSONCoding.parse($0) } ?? [:]
  }

  public func getBytes(_ request: JSONValue) throws(PluginCallError) -> [UInt8] {
    let table = try storageTable("get_bytes")
    guard let fn = table.pointee.get_bytes else {
      throw failure("get_bytes", PluginError(.unsupported, "\(info.name) does not support get_bytes"))
    }
    let requestText = (try? JSONCoding.encode(request)) ?? "{}"
    var data: UnsafeMutablePointer<UInt8>?
    var length = 0
    var errorText: UnsafeMutablePointer<CChar>?
    let status = serialized { fn(instance, requestText, &data, &length, &errorText) }
    let errorJSON = Self.take(errorText, free: descriptor.pointee.free)
    defer { if let data { descriptor.pointee.free?(data) } }
    guard status == GF_OK else { throw failure("get_bytes", Self.decodeError(errorJSON)) }
    guard let data, length > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: length))
  }

  private func storageTable(_ function: String) throws(PluginCallError)
    -> UnsafePointer<gf_object_storage_v1>
  {
    guard kind == .objectStorage, let table = service.pointee.table else {
      throw failure(function, PluginError(.unsupported, "\(info.kind) has no function \(function)"))
    }
    return table.assumingMemoryBound(to: gf_object_storage_v1.self)
  }

  private func serialized<T>(_ body: () -> T) -> T {
    guard let serial else { return body() }
    return serial.withLock(body)
  }

  /// Runs one call on its own thread and waits at most the call timeout. A call that does not
  /// answer in time is abandoned (C code cannot be interrupted): the caller gets a timeout error
  /// naming the plugin, and whatever the plugin returns later is released when it does.
  private func bounded(_ function: String, _ body: @escaping @Sendable () -> CallOutcome) throws(PluginCallError)
    -> CallOutcome
  {
    guard let callTimeout else { return serialized(body) }
    let pending = PendingCall()
    let free = FreeFunction(descriptor.pointee.free)
    let serial = self.serial
    Thread.detachNewThread {
      let outcome = serial.map { $0.withLock(body) } ?? body()
      if !pending.deliver(outcome) {
        free.release(outcome.response)
        free.release(outcome.error)
      }
    }
    if let outcome = pending.wait(seconds: callTimeout) { return outcome }
    throw failure(
      function,
      PluginError(
        .timeout, "the plugin \(plugin.name) did not answer \(info.name).\(function) within \(Int(callTimeout)) s",
        retryable: false,
        detail: ["plugin": .string(plugin.path), "hint": "the plugin may be stuck; plugins.call_timeout_seconds sets the limit"]))
  }

  private func failure(_ function: String, _ error: PluginError) -> PluginCallError {
    PluginCallError(plugin: plugin.name, service: info.name, function: function, error: error)
  }

  /// Copies a plugin-owned string and releases it with the plugin's own free.
  private static func take(
    _ pointer: UnsafeMutablePointer<CChar>?, free: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
  ) -> String? {
    guard let pointer else { return nil }
    defer { free?(pointer) }
    return String(validatingCString: pointer) ?? String(decoding: Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func decodeError(_ text: String?) -> PluginError {
    guard let text else {
      return PluginError(.internal, "the plugin reported a failure without any detail")
    }
    return (try? JSONCoding.decode(PluginError.self, from: text))
      ?? PluginError(.internal, "the plugin reported a failure as invalid JSON: \(text.prefix(200))")
  }
}

/// What one JSON call into a plugin returned.
struct CallOutcome: @unchecked Sendable {
  var status: Int32
  var response: UnsafeMutablePointer<CChar>?
  var error: UnsafeMutablePointer<CChar>?
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
  func release(_ pointer: UnsafeMutablePointer<CChar>?) {
    if let pointer { function?(pointer) }
  }
}

/// The hand-over between a call's thread and its waiting caller, who may give up.
final class PendingCall: @unchecked Sendable {
  private let lock = PthreadLock()
  private let done = DispatchSemaphore(value: 0)
  private var outcome: CallOutcome?
  private var abandoned = false

  /// False when the caller already gave up: the outcome is then the thread's to release.
  func deliver(_ result: CallOutcome) -> Bool {
    let taken = lock.withLock { () -> Bool in
      if abandoned { return false }
      outcome = result
      return true
    }
    if taken { done.signal() }
    return taken
  }

  func wait(seconds: TimeInterval) -> CallOutcome? {
    _ = done.wait(timeout: .now() + seconds)
    return lock.withLock {
      if outcome == nil { abandoned = true }
      return outcome
    }
  }
}
