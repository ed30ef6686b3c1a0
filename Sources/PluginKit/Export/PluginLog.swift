import PluginABI

/// Logging for plugin code: goes through the host's `log` function, never to stdout.
public enum PluginLog {
  public enum Level: Int32, Sendable {
    case trace = 0, debug, info, warning, error
  }

  nonisolated(unsafe) private static var host: UnsafePointer<gf_host_api>?
  nonisolated(unsafe) private static var source = "plugin"

  static func install(host: UnsafePointer<gf_host_api>, source: String) {
    Self.host = host
    Self.source = source
  }

  public static func log(_ level: Level, _ message: String) {
    guard let log = host?.pointee.log else { return }
    source.withCString { src in message.withCString { log(src, level.rawValue, $0) } }
  }

  /// Logs the settings an opened service runs with (debug), in the same shape as its
  /// `checkConfig` effective section, so what `goldfish config show` prints can be compared
  /// with what the service really uses.
  public static func settingsInEffect(_ service: String, _ effective: JSONValue) {
    log(.debug, settingsPrefix + service + ": " + ((try? JSONCoding.encode(effective)) ?? "{}"))
  }

  public static let settingsPrefix = "settings in effect for "

  public static func debug(_ message: String) { log(.debug, message) }
  public static func info(_ message: String) { log(.info, message) }
  public static func warning(_ message: String) { log(.warning, message) }
  public static func error(_ message: String) { log(.error, message) }
}
