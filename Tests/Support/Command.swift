import Foundation

/// Runs a real process and collects its output: tests drive the CLI the way a user does.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String

  func json() throws -> Any {
    try JSONSerialization.jsonObject(with: Data(stdout.utf8))
  }
}

enum Command {
  static func run(
    _ argv: [String], environment: [String: String]? = [:], cwd: String? = nil
  )
    -> CommandResult
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    if let environment {
      var merged = ProcessInfo.processInfo.environment
      // Plugins found through the developer's own ~/.goldfish or $GOLDFISH_PLUGIN_PATH would
      // make results depend on the machine.
      merged["HOME"] = NSTemporaryDirectory() + "goldfish-test-home"
      merged["GOLDFISH_PLUGIN_PATH"] = nil
      merged.merge(environment) { _, new in new }
      process.environment = merged
    }
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do {
      try process.run()
    } catch {
      return CommandResult(status: -1, stdout: "", stderr: "\(error)")
    }
    // Read both pipes while the process runs so a full pipe never blocks it.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  static func goldfish(
    _ arguments: [String], environment: [String: String] = [:], cwd: String? = nil
  )
    -> CommandResult
  {
    run([TestEnvironment.goldfish] + arguments, environment: environment, cwd: cwd)
  }
}
