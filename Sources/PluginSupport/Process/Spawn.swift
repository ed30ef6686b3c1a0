import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Starting programs from plugins: argv arrays only, never a shell string.
public enum Spawn {
  /// `[A-Za-z_][A-Za-z0-9_]*`: anything else could smuggle syntax into an environment.
  public static func isValidEnvironmentKey(_ key: String) -> Bool {
    let bytes = Array(key.utf8)
    guard let first = bytes.first, isLetterOrUnderscore(first) else { return false }
    return bytes.allSatisfy { isLetterOrUnderscore($0) || (0x30...0x39).contains($0) }
  }

  private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
  }

  /// Starts `argv[0]` (an absolute path) and returns its pid.
  public static func start(_ argv: [String], environment: [String: String]) throws(PluginError) -> pid_t {
    guard let program = argv.first, program.hasPrefix("/") else {
      throw PluginError(.internal, "spawn needs an absolute program path, got \(argv.first ?? "nothing")")
    }
    let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let result = withCStrings(argv) { argvPointers in
      withCStrings(env) { envPointers in
        posix_spawn(&pid, program, nil, nil, argvPointers, envPointers)
      }
    }
    guard result == 0 else {
      throw POSIXFile.error(result, "cannot start", program)
    }
    return pid
  }

  /// Waits for a child started by `start` and returns its exit status (or -1).
  public static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  }

  private static func withCStrings<T>(
    _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
  ) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}
