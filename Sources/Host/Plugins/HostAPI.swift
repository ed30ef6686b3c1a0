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
          HostAPI.logger.log(
            level: HostAPI.level(level), "\(text)", metadata: ["plugin": .string(origin)])
        }))
    return UnsafePointer(pointer)
  }()

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
