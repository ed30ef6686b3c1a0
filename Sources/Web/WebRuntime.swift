import Foundation
import Host

/// The files one user's web server keeps in `$HOME/.goldfish/web/`: `server.json` (pid, host,
/// port, url) while it runs, for `goldfish web status` / `stop`, and `token` (mode 0600), the
/// secret a server bound beyond 127.0.0.1 checks on every request.
public enum WebRuntime {
  public struct ServerInfo: Codable, Sendable, Equatable {
    public var pid: Int32
    public var host: String
    public var port: Int
    public var url: String
    public var tokenRequired: Bool
    public var startedAt: String
    /// True when started by `goldfish web --detach`; absent otherwise.
    public var detached: Bool?

    enum CodingKeys: String, CodingKey {
      case pid, host, port, url, tokenRequired = "token_required", startedAt = "started_at", detached
    }
  }

  public static var serverFile: String { WebProjectRegistry.folder + "/server.json" }
  public static var tokenFile: String { WebProjectRegistry.folder + "/token" }
  /// Where a server started with `--detach` writes its output.
  public static var logFile: String { WebProjectRegistry.folder + "/server.log" }

  static func write(_ info: ServerInfo) throws {
    try FileManager.default.createDirectory(atPath: WebProjectRegistry.folder, withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(info).write(to: URL(fileURLWithPath: serverFile), options: .atomic)
  }

  /// The server recorded as running, when its process is still alive; a stale file is removed.
  public static func running() -> ServerInfo? {
    guard let data = FileManager.default.contents(atPath: serverFile),
      let info = try? JSONDecoder().decode(ServerInfo.self, from: data)
    else { return nil }
    guard isAlive(info.pid) else {
      try? FileManager.default.removeItem(atPath: serverFile)
      return nil
    }
    return info
  }

  static func removeServerFile(pid: Int32) {
    guard let data = FileManager.default.contents(atPath: serverFile),
      let info = try? JSONDecoder().decode(ServerInfo.self, from: data), info.pid == pid
    else { return }
    try? FileManager.default.removeItem(atPath: serverFile)
  }

  /// The token, and whether it was made just now (then the caller prints it, once).
  public static func token() throws(GoldfishError) -> (token: String, created: Bool) {
    if let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) {
      let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
      if token.count >= 32 { return (token, false) }
    }
    var bytes = [UInt8](repeating: 0, count: 32)
    guard getentropy(&bytes, bytes.count) == 0 else {
      throw GoldfishError(.ioFailed, "cannot read random bytes for the web token", hint: "check /dev/urandom")
    }
    let token = bytes.map { String(format: "%02x", $0) }.joined()
    do {
      try FileManager.default.createDirectory(atPath: WebProjectRegistry.folder, withIntermediateDirectories: true)
      _ = FileManager.default.createFile(
        atPath: tokenFile, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
    } catch {
      throw GoldfishError(
        .ioFailed, "cannot write the web token to \(tokenFile): \(error.localizedDescription)",
        hint: "check that \(WebProjectRegistry.folder) is writable")
    }
    return (token, true)
  }
}

extension WebRuntime {
  /// Whether `pid` still runs. A detached server's parent has exited, so once it ends it may
  /// linger as a zombie until something reaps it: a zombie counts as gone.
  static func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return true }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
  }

  /// Asks the server to stop (SIGTERM) and waits for it to go; kills it if it has not after 10 s.
  public static func stop(_ server: ServerInfo) throws(GoldfishError) {
    guard kill(server.pid, SIGTERM) == 0 else {
      throw GoldfishError(
        .ioFailed, "cannot signal the web server (pid \(server.pid)): \(String(cString: strerror(errno)))",
        hint: "it may belong to another user; stop it there")
    }
    for _ in 0..<100 {
      if !isAlive(server.pid) { break }
      usleep(100_000)
    }
    if isAlive(server.pid) { kill(server.pid, SIGKILL) }
    try? FileManager.default.removeItem(atPath: serverFile)
  }
}
