import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A process known by pid *and* start time, so a recycled pid is never mistaken for it.
public struct ProcessIdentity: Sendable, Equatable {
  public var pid: Int32
  public var startTime: UInt64

  public init(pid: Int32, startTime: UInt64) {
    self.pid = pid
    self.startTime = startTime
  }

  /// True while the process runs (a zombie counts as gone).
  public var isAlive: Bool {
    guard pid > 1, let stat = Self.stat(pid) else { return false }
    return stat.state != "Z" && stat.startTime == startTime
  }

  /// Sends a signal, refusing pid 0, 1 and negative pids: they would reach other processes.
  @discardableResult
  public func signal(_ signal: Int32) -> Bool {
    guard pid > 1, isAlive else { return false }
    return kill(pid, signal) == 0
  }

  /// State letter and start time (field 22) from /proc/PID/stat.
  public static func stat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
    guard let text = try? readSmallFile("/proc/\(pid)/stat"),
      let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is the state (field 3); field 22 is fields[19].
    guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else {
      return nil
    }
    return (state, start)
  }

  static func readSmallFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXFile.error(errno, "cannot read", path) }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = read(fd, &buffer, buffer.count)
    guard count >= 0 else { throw POSIXFile.error(errno, "cannot read", path) }
    return String(decoding: buffer[0..<count], as: UTF8.self)
  }
}
