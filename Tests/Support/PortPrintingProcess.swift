import Foundation

/// A loopback helper (a fault proxy, a harness) run as `/usr/bin/env ARGUMENTS…` that prints the
/// port it bound on its first line of stdout. It is killed when this object goes.
final class PortPrintingProcess {
  let process = Process()
  let port: Int

  init(_ arguments: [String]) throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    var line = Data()
    while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) {
      line.append(byte)
    }
    port = Int(String(decoding: line, as: UTF8.self)) ?? 0
  }

  deinit {
    // SIGKILL: the test runner's threads block SIGTERM and the child inherits that mask.
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
