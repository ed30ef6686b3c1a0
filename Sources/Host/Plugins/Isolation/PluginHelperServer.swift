import Foundation
import PluginABI
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The helper side of process isolation (`goldfish plugin-host`): loads one plugin, opens one
/// service and answers frames until goldfish closes the channel or asks it to close. It makes
/// each call exactly as goldfish would in-process, without a timeout: goldfish keeps the
/// clock and kills the helper when a call takes too long.
public enum PluginHelperServer {
  /// Serves the channel on `fd`; returns the exit status.
  public static func run(channelFD fd: Int32) -> Int32 {
    StdoutGuard.protect()
    watchParent()
    let channel = HelperChannel(fd: fd)
    var transport: InProcessTransport?
    while true {
      guard case .frame(let frame) = channel.receive(deadline: nil) else { return 0 }
      let header = frame.header
      switch header["op"]?.stringValue {
      case "open":
        let (opened, answer) = open(header)
        transport = opened
        guard channel.send(HelperFrame(header: answer)) else { return 0 }
      case "close":
        transport = nil
        _ = channel.send(HelperFrame(header: [:]))
        return 0
      case let op?:
        guard let transport else { return 2 }
        let request = header["request"]?.stringValue ?? "{}"
        let reply: PluginReply
        do {
          switch op {
          case "call": reply = try transport.call(header["function"]?.stringValue ?? "", request: request)
          case "put_bytes": reply = try transport.putBytes(request: request, bytes: frame.payload)
          case "get_bytes": reply = try transport.getBytes(request: request)
          default: return 2
          }
        } catch {
          return 2  // no timeout is set here, so no fault can occur
        }
        var answer: [String: JSONValue] = ["status": .int(Int64(reply.status))]
        answer["response"] = reply.response.map { .string($0) }
        answer["error"] = reply.error.map { .string($0) }
        guard channel.send(HelperFrame(header: .object(answer), payload: reply.bytes)) else { return 0 }
      case nil:
        return 2
      }
    }
  }

  /// Loads the plugin file and opens the named service with the config goldfish sent.
  private static func open(_ header: JSONValue) -> (InProcessTransport?, JSONValue) {
    guard let path = header["plugin"]?.stringValue, let label = header["service"]?.stringValue,
      let kind = header["kind"]?.stringValue.flatMap(ServiceKind.init(label:))
    else {
      return (nil, ["refused": "the open request names no plugin, kind and service"])
    }
    if let megabytes = header["memory_limit_mb"]?.intValue, megabytes > 0 {
      // RLIMIT_DATA counts the heap and private writable mappings: what a leak grows.
      let bytes = rlim_t(megabytes) << 20
      var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
      if setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) != 0 {
        return (
          nil,
          [
            "refused": .string(
              "cannot limit the helper's memory to \(megabytes) MiB: \(String(cString: strerror(errno)))")
          ]
        )
      }
    }
    let registry = PluginRegistry.load([.init(path: path, origin: "isolation helper")])
    if let refusal = registry.refused.first { return (nil, ["refused": .string(refusal.description)]) }
    guard let registered = registry.registered(kind, label) else {
      return (nil, ["refused": .string("\(path) registers no \(kind.label) \"\(label)\"")])
    }
    let opened = InProcessTransport.open(
      descriptor: registered.descriptor, service: registered.service, kind: kind,
      serial: CapabilityKeys.concurrency(of: registered.info.capabilities) == .serial,
      config: header["config"]?.stringValue ?? "{}", context: header["context"]?.stringValue ?? "{}",
      callTimeout: nil)
    switch opened {
    case .success(let transport): return (transport, ["status": .int(Int64(GF_OK))])
    case .failure(let refusal):
      return (nil, ["status": .int(Int64(GF_ERROR)), "error": refusal.errorJSON.map { .string($0) } ?? .null])
    }
  }

  /// A helper whose goldfish is gone (even while a plugin call hangs) ends itself.
  private static func watchParent() {
    let parent = getppid()
    Thread.detachNewThread {
      while getppid() == parent { sleep(1) }
      _exit(0)
    }
  }
}
