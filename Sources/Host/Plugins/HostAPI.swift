import Logging
import PluginABI
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `gf_host_api` table handed to every plugin. It lives for the whole process.
enum HostAPI {
  static let logger = Logger(label: "goldfish.plugins")

  nonisolated(unsafe) static let table: UnsafePointer<gf_host_api> = {
    let pointer = UnsafeMutablePointer<gf_host_api>.allocate(capacity: 1)
    pointer.initialize(
      to: gf_host_api(
        struct_size: UInt32(MemoryLayout<gf_host_api>.size),
        abi_major: UInt16(GF_ABI_MAJOR),
        abi_minor: UInt16(GF_ABI_MINOR),
        host_version: UnsafePointer(strdup(GoldfishVersion.current)),
        log: { source, level, message in
          let origin = source.map { String(cString: $0) } ?? "plugin"
          let text = message.map { String(cString: $0) } ?? ""
          HostAPI.observers.deliver(source: origin, level: level, message: text)
          HostAPI.logger.log(
            level: HostAPI.level(level), "\(text)", metadata: ["plugin": .string(origin)])
        }))
    return UnsafePointer(pointer)
  }()

  /// Sees every plugin log line at every level, whatever the logger's level: how a test reads
  /// what a plugin said (PluginLog.settingsInEffect) without changing the process's logging.
  static let observers = LogObservers()

  static func level(_ raw: Int32) -> Logger.Level {
    switch raw {
    case GF_LOG_TRACE: return .trace
    case GF_LOG_DEBUG: return .debug
    case GF_LOG_INFO: return .info
    case GF_LOG_WARNING: return .warning
    default: return .error
    }
  }
}

/// Receivers of plugin log lines; empty (and nearly free) outside tests.
final class LogObservers: @unchecked Sendable {
  typealias Observer = @Sendable (_ source: String, _ level: Int32, _ message: String) -> Void
  private let lock = PthreadLock()
  private var observers: [UInt64: Observer] = [:]
  private var next: UInt64 = 0

  /// Adds an observer; returns the token that removes it.
  func add(_ observer: @escaping Observer) -> UInt64 {
    lock.withLock {
      next += 1
      observers[next] = observer
      return next
    }
  }

  func remove(_ token: UInt64) {
    lock.withLock { _ = observers.removeValue(forKey: token) }
  }

  func deliver(source: String, level: Int32, message: String) {
    let current = lock.withLock { Array(observers.values) }
    for observer in current { observer(source, level, message) }
  }
}
