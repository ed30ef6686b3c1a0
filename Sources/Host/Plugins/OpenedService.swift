import Foundation
import PluginABI
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An open instance of a plugin service. JSON in, JSON out, through a transport that runs the
/// call in this process or in an isolated helper: callers cannot tell the difference, and every
/// misbehaviour (an error, invalid JSON, a wrong shape, a hang, a crash) comes back as a
/// PluginCallError that names the plugin, the service and the function.
public final class OpenedService: @unchecked Sendable {
  public let plugin: PluginInfo
  public let info: ServiceInfo
  public let kind: ServiceKind
  private let transport: any ServiceTransport

  /// Where this instance's calls run.
  public var isolation: IsolationMode { transport.isolation }

  static func open(
    plugin: PluginInfo, info: ServiceInfo, descriptor: UnsafePointer<gf_plugin_descriptor>,
    service: UnsafePointer<gf_service>, config: JSONValue, context: ServiceContext, callTimeout: TimeInterval? = nil,
    isolation: IsolationMode = .inProcess, memoryLimitMB: Int? = nil
  ) throws(GoldfishError) -> OpenedService {
    let configText = (try? JSONCoding.encode(config)) ?? "{}"
    let contextText = (try? JSONCoding.encode(context)) ?? "{}"
    let kind = ServiceKind(label: info.kind)!
    let opened: Result<any ServiceTransport, OpenRefusal>
    switch isolation {
    case .inProcess:
      opened = InProcessTransport.open(
        descriptor: descriptor, service: service, kind: kind,
        serial: CapabilityKeys.concurrency(of: info.capabilities) == .serial, config: configText,
        context: contextText, callTimeout: callTimeout
      ).map { $0 }
    case .process:
      do {
        opened = try IsolatedTransport.open(
          pluginPath: plugin.path, kind: kind, service: info.name, config: configText, context: contextText,
          callTimeout: callTimeout, memoryLimitMB: memoryLimitMB
        ).map { $0 }
      } catch {
        let failure = CallFailure.fault(error, plugin: plugin, service: info.name, function: "open")
        throw GoldfishError(
          failure.fault == .crashed ? .pluginCrashed : .pluginCallFailed,
          "cannot open the \(info.kind) \"\(info.name)\": \(failure.error.message)",
          detail: ["plugin": .string(plugin.path), "isolation": .string(isolation.rawValue)])
      }
    }
    switch opened {
    case .success(let transport):
      return OpenedService(plugin: plugin, info: info, kind: kind, transport: transport)
    case .failure(let refusal):
      let failure = CallFailure.decodeError(refusal.errorJSON)
      throw GoldfishError(
        .configInvalid, "cannot open the \(info.kind) \"\(info.name)\": \(failure.message)",
        hint: "check the \(info.name) section of goldfish.yaml",
        detail: ["plugin": .string(plugin.path), "code": .string(failure.code.rawValue)])
    }
  }

  private init(plugin: PluginInfo, info: ServiceInfo, kind: ServiceKind, transport: any ServiceTransport) {
    self.plugin = plugin
    self.info = info
    self.kind = kind
    self.transport = transport
  }

  public func supports(_ function: String) -> Bool {
    !info.unsupported.contains(function) && ServiceTable.functions(kind).contains(function)
  }

  /// Calls a JSON-in/JSON-out function of the table by its header name. The answer is a JSON
  /// object (an absent response reads as {}).
  ///
  /// Host code calls plugins through `RunBackendClient`, `ObjectStorageClient` and
  /// `ImageBuilderClient`, which encode the PluginKit payloads; outside this module only
  /// `rawCall` reaches the wire.
  func call(_ function: String, _ request: JSONValue) throws(PluginCallError) -> JSONValue {
    try decode(function, try reply(function, (try? JSONCoding.encode(request)) ?? "{}"))
  }

  /// The plugin's reply to a JSON-in/JSON-out function, before it is judged.
  private func reply(_ function: String, _ requestText: String) throws(PluginCallError) -> PluginReply {
    guard supports(function), !Self.byteFunctions.contains(function) else {
      throw failure(
        function,
        PluginError(
          .unsupported,
          "\(info.name) does not support \(function)"
            + (Self.byteFunctions.contains(function) ? " as a JSON call" : "")))
    }
    return try perform(function) { () throws(TransportFault) in try transport.call(function, request: requestText) }
  }

  /// Calls a function and reads its answer as `T`; an answer of another shape is an
  /// `invalid_response` naming the plugin, service and function.
  func call<T: Decodable>(_ function: String, _ request: JSONValue, as type: T.Type) throws(PluginCallError) -> T {
    try read(function, try call(function, request), as: type)
  }

  /// An answer read as `T`; another shape is an `invalid_response` naming the plugin, service and function.
  func read<T: Decodable>(_ function: String, _ answer: JSONValue, as type: T.Type) throws(PluginCallError) -> T {
    do {
      return try JSONCoding.convert(answer, to: type)
    } catch {
      throw failure(
        function,
        PluginError(
          .internal,
          "the plugin \(plugin.name) answered \(info.name).\(function) with a response of the wrong shape: "
            + "\(error.message) (answer: \(Self.excerpt((try? JSONCoding.encode(answer)) ?? "")))"),
        fault: .invalidResponse)
    }
  }

  /// Sends a typed request and reads the answer as `Response`: the clients' one way in. A request
  /// that cannot be encoded (a NaN in a profile) fails as `invalid_argument` without reaching the plugin.
  func send<Request: Encodable, Response: Decodable>(
    _ function: String, _ request: Request, as response: Response.Type
  ) throws(PluginCallError) -> Response {
    // One encode and one decode, without the JSONValue in between (three more codec passes
    // each way cost most of a quick call); any answer that does not decode straight away is
    // judged the long way, so its error is the same as `call`'s.
    let requestText: String
    do {
      requestText = try JSONCoding.encode(request)
    } catch {
      throw failure(
        function, PluginError(.invalidArgument, "the \(function) request cannot be encoded: \(error.message)"))
    }
    let answer = try reply(function, requestText)
    if answer.status == GF_OK, let text = answer.response, Self.isObjectText(text),
      let value = try? JSONCoding.decode(response, from: text)
    {
      return value
    }
    return try read(function, try decode(function, answer), as: response)
  }

  /// Whether JSON text is an object at the top, judged by its first non-blank character.
  static func isObjectText(_ text: String) -> Bool {
    for byte in text.utf8 where byte != 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09 {
      return byte == UInt8(ascii: "{")
    }
    return false
  }

  /// Sends a typed request whose answer carries nothing the host reads (`cancel`, `cleanup`).
  func send<Request: Encodable>(_ function: String, _ request: Request) throws(PluginCallError) {
    _ = try call(function, try encoded(function, request))
  }

  func encoded<Request: Encodable>(_ function: String, _ request: Request) throws(PluginCallError) -> JSONValue {
    do {
      return try JSONCoding.value(of: request)
    } catch {
      throw failure(
        function, PluginError(.invalidArgument, "the \(function) request cannot be encoded: \(error.message)"))
    }
  }

  /// The raw wire, only for sending what no typed request can (malformed, partial or unknown
  /// requests, to see a plugin refuse them) and reading answers as they came. Everything else,
  /// the conformance suite included, uses the typed clients.
  public func rawCall(_ function: String, _ request: JSONValue) throws(PluginCallError) -> JSONValue {
    try call(function, request)
  }

  func putBytes(_ request: JSONValue, _ bytes: [UInt8]) throws(PluginCallError) -> JSONValue {
    guard kind == .objectStorage, supports("put_bytes") else {
      throw failure("put_bytes", PluginError(.unsupported, "\(info.name) does not support put_bytes"))
    }
    let requestText = (try? JSONCoding.encode(request)) ?? "{}"
    let reply = try perform("put_bytes") { () throws(TransportFault) in
      try transport.putBytes(request: requestText, bytes: bytes)
    }
    return try decode("put_bytes", reply)
  }

  func getBytes(_ request: JSONValue) throws(PluginCallError) -> [UInt8] {
    guard kind == .objectStorage, supports("get_bytes") else {
      throw failure("get_bytes", PluginError(.unsupported, "\(info.name) does not support get_bytes"))
    }
    let requestText = (try? JSONCoding.encode(request)) ?? "{}"
    let reply = try perform("get_bytes") { () throws(TransportFault) in try transport.getBytes(request: requestText) }
    guard reply.status == GF_OK else { throw failure("get_bytes", CallFailure.decodeError(reply.error)) }
    return reply.bytes
  }

  static let byteFunctions: Set<String> = ["put_bytes", "get_bytes"]

  private func perform(
    _ function: String, _ body: () throws(TransportFault) -> PluginReply
  ) throws(PluginCallError)
    -> PluginReply
  {
    do {
      return try body()
    } catch {
      throw CallFailure.fault(error, plugin: plugin, service: info.name, function: function)
    }
  }

  /// The plugin's answer judged the same way for both transports.
  private func decode(_ function: String, _ reply: PluginReply) throws(PluginCallError) -> JSONValue {
    guard reply.status == GF_OK else { throw failure(function, CallFailure.decodeError(reply.error)) }
    guard let text = reply.response else { return [:] }
    let value: JSONValue
    do {
      value = try JSONCoding.parse(text)
    } catch {
      throw failure(
        function,
        PluginError(
          .internal,
          "the plugin \(plugin.name) answered \(info.name).\(function) with invalid JSON: \(Self.excerpt(text))"),
        fault: .invalidResponse)
    }
    guard value.objectValue != nil else {
      throw failure(
        function,
        PluginError(
          .internal,
          "the plugin \(plugin.name) answered \(info.name).\(function) with \(ConfigError.describe(value)) instead of a JSON object: \(Self.excerpt(text))"
        ),
        fault: .invalidResponse)
    }
    return value
  }

  private func failure(
    _ function: String, _ error: PluginError, fault: PluginCallError.Fault = .reported
  )
    -> PluginCallError
  {
    PluginCallError(plugin: plugin.name, service: info.name, function: function, error: error, fault: fault)
  }

  static func excerpt(_ text: String) -> String {
    text.count <= 200 ? text : String(text.prefix(200)) + "…"
  }
}
