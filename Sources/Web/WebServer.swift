import Foundation
import Host
import Hummingbird
import Logging
import NIOCore

/// `goldfish web`: one server per user, serving every project it knows, read-only (it answers
/// GET only). Bound to 127.0.0.1 by default; any other address, or `requireToken`, makes every
/// request show the token (`WebAccess`).
public struct WebServer: Sendable {
  public struct Options: Sendable {
    public var host: String
    public var port: Int
    public var requireToken: Bool
    /// Projects shown besides the registered ones.
    public var projects: [String]
    /// Started by `goldfish web --detach` (recorded in server.json for `web status`).
    public var detached: Bool

    public init(
      host: String = "127.0.0.1", port: Int = 7342, requireToken: Bool = false, projects: [String] = [],
      detached: Bool = false
    ) {
      self.host = host
      self.port = port
      self.requireToken = requireToken
      self.projects = projects
      self.detached = detached
    }

    /// Only the loopback address itself is trusted without a token: another address of
    /// 127.0.0.0/8 or a named host is treated as "elsewhere", since we cannot tell who reaches it.
    public var tokenRequired: Bool { requireToken || !Self.loopbackHosts.contains(host.lowercased()) }
    static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]
  }

  /// Set when the server is asked to stop, so event streams end and shutdown is not held up.
  static let stopping = StopFlag()

  public let options: Options

  public init(options: Options) { self.options = options }

  /// Serves until SIGTERM or SIGINT. `announce` receives the address once the socket is bound
  /// (with the token in it when one was just made, so it is printed once).
  public func run(announce: @escaping @Sendable (String) -> Void) async throws {
    guard (0...65535).contains(options.port) else {
      throw GoldfishError(
        .invalidArgument, "port \(options.port) is not a TCP port", hint: "pass --port 1-65535 (0: any free port)")
    }
    if let running = WebRuntime.running() {
      throw GoldfishError(
        .invalidArgument, "a goldfish web server already runs (pid \(running.pid), \(running.url))",
        hint: "open \(running.url), or stop it with goldfish web stop")
    }
    let minted = options.tokenRequired ? try WebRuntime.token() : nil
    let token = minted?.token
    let newToken = minted?.created ?? false
    let router = Router()
    let hostGuard = HostGuard(checks: !options.tokenRequired)
    router.add(middleware: WebAccess(token: token, hosts: hostGuard))
    WebProjectRegistry.compact()
    let support = RouteSupport(catalog: ProjectCatalog(extraRoots: options.projects))
    APIRoutes.add(to: router, support)
    PageRoutes.add(to: router, support)
    var logger = Logger(label: "goldfish.web")
    logger.logLevel = .warning
    let options = options
    let app = Application(
      router: router,
      configuration: .init(address: .hostname(options.host, port: options.port), serverName: "goldfish"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        let shown = options.host.contains(":") ? "[\(options.host)]" : options.host
        let url = "http://\(shown):\(port)/"
        hostGuard.allow(["\(shown):\(port)", "localhost:\(port)"])
        try? WebRuntime.write(
          .init(
            pid: getpid(), host: options.host, port: port, url: url, tokenRequired: options.tokenRequired,
            startedAt: Timestamp.now(), detached: options.detached ? true : nil))
        announce(
          newToken && token != nil
            ? "\(url)?token=\(token ?? "")  (token printed once; it is kept in \(WebRuntime.tokenFile))"
            : url + (options.tokenRequired ? "  (requires the token in \(WebRuntime.tokenFile))" : ""))
      },
      logger: logger)
    let signals = [SIGTERM, SIGINT].map { number in
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { Self.stopping.set() }
      source.resume()
      return source
    }
    defer {
      signals.forEach { $0.cancel() }
      WebRuntime.removeServerFile(pid: getpid())
    }
    try await app.runService()
  }
}

/// A flag set once from any thread.
final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

/// The Host header values a loopback server answers (its own address and localhost, with the
/// port it bound), known once the socket is bound; before that, and for any other name, no answer.
final class HostGuard: @unchecked Sendable {
  private let lock = NSLock()
  private var allowed: Set<String> = []
  /// False when a token guards the server instead (bound elsewhere, names are not ours to know).
  let checks: Bool

  init(checks: Bool) { self.checks = checks }

  func allow(_ hosts: Set<String>) { lock.withLock { allowed = Set(hosts.map { $0.lowercased() }) } }

  func admits(_ host: String) -> Bool {
    guard checks else { return true }
    return lock.withLock { allowed.contains(host.lowercased()) }
  }
}
