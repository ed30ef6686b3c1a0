import ArgumentParser
import Foundation
import Host

/// All output of the CLI: results to the real stdout (kept away from plugins), errors to stderr.
enum Console {
  static func print(_ text: String = "") {
    StdoutGuard.write(text + "\n")
  }

  static func error(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  static func json<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }

  /// Prints a failure the way a person can act on it and exits with a stable status.
  static func exit<C: ParsableCommand>(withError error: Error, command: C.Type) -> Never {
    switch error {
    case let failure as GoldfishError:
      Console.error("error: \(failure.message)")
      if let hint = failure.hint { Console.error("hint: \(hint)") }
      Foundation.exit(2)
    case let failure as PluginCallError:
      Console.error("error: \(failure.description)")
      Foundation.exit(2)
    case let failure as ExitCode:
      Foundation.exit(failure.rawValue)
    default:
      let message = C.fullMessage(for: error)
      let code = C.exitCode(for: error)
      if code == .success {
        print(message)
      } else {
        Console.error(message)
      }
      Foundation.exit(code.rawValue)
    }
  }
}

enum Environment {
  static func value(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
