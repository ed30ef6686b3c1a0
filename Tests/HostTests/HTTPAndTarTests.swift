import Foundation
import Testing
import PluginKit

/// PluginKit's HTTP client and tar stream, without any service behind them.
@Suite("PluginKit HTTP client and tar stream")
struct HTTPAndTarTests {
  @Test("a missing unix socket is an unavailable error that names the socket")
  func missingSocket() {
    let socket = TestEnvironment.temporaryFolder("http") + "/absent.sock"
    let client = HTTPClient(unixSocket: socket)
    #expect {
      try client.send(HTTPRequest("GET", "http://localhost/_ping"))
    } throws: { error in
      let failure = error as? PluginError
      return failure?.code == .unavailable && failure?.message.contains(socket) == true
        && failure?.detail["socket"] == .string(socket)
    }
  }

  @Test("TarStream writes a ustar archive that tar reads back: files, folders, symlinks, long paths")
  func tarRoundTrip() throws {
    let source = TestEnvironment.temporaryFolder("tar-src")
    let deep = source + "/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
    try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
    try "hello\n".write(toFile: source + "/Dockerfile", atomically: true, encoding: .utf8)
    let big = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    try Data(big).write(to: URL(fileURLWithPath: deep + "/big.bin"))
    try FileManager.default.createSymbolicLink(atPath: source + "/link", withDestinationPath: "Dockerfile")
    let stream = try TarStream(directory: source)
    var archive: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 7_919)  // an odd size, so reads cut headers and files
    while true {
      let count = try buffer.withUnsafeMutableBytes { try stream.read($0) }
      if count == 0 { break }
      archive += buffer[0..<count]
    }
    #expect(archive.count % 512 == 0)
    let tarFile = TestEnvironment.temporaryFolder("tar") + "/context.tar"
    try Data(archive).write(to: URL(fileURLWithPath: tarFile))
    let target = TestEnvironment.temporaryFolder("tar-out")
    let result = Command.run(["/bin/tar", "-xf", tarFile, "-C", target])
    #expect(result.status == 0, "\(result.stderr)")
    let relative = String(deep.dropFirst(source.count))
    #expect(try Data(contentsOf: URL(fileURLWithPath: target + relative + "/big.bin")) == Data(big))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/link") == "Dockerfile")
    #expect(try String(contentsOfFile: target + "/Dockerfile", encoding: .utf8) == "hello\n")
  }
}
