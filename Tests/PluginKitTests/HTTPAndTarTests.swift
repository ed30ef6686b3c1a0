import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

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

/// The client over TCP against a loopback echo server: streamed upload from a file and from
/// a reader (chunked), streamed download, status and headers.
@Suite("PluginKit HTTP client over TCP", .serialized)
struct HTTPOverTCPTests {
  static let server = #"""
    import hashlib, http.server, sys
    class Echo(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            digest, size = hashlib.sha256(), 0
            if self.headers.get("Transfer-Encoding") == "chunked":
                while True:
                    length = int(self.rfile.readline().strip(), 16)
                    if length == 0:
                        self.rfile.readline(); break
                    block = self.rfile.read(length); self.rfile.readline()
                    digest.update(block); size += len(block)
            else:
                block = self.rfile.read(int(self.headers["Content-Length"]))
                digest.update(block); size = len(block)
            body = f"{size} {digest.hexdigest()} {self.headers.get('X-Goldfish')}".encode()
            self.send_response(201); self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Echo", "yes"); self.end_headers(); self.wfile.write(body)
        def log_message(self, *args): pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Echo)
    print(server.server_address[1], flush=True)
    server.handle_request(); server.handle_request()
    """#

  @Test("uploads stream from a file and from a reader; the answer streams back with status and headers")
  func echo() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", Self.server]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    var portText = ""
    while !portText.hasSuffix("\n"), let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
      portText += String(decoding: byte, as: UTF8.self)
    }
    let port = try #require(Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)))
    let payload = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    let file = TestEnvironment.temporaryFolder("http") + "/payload.bin"
    try Data(payload).write(to: URL(fileURLWithPath: file))
    let expected = "\(payload.count) \(SHA256Hasher.hex(of: payload)) yes"
    let client = HTTPClient()
    let url = "http://127.0.0.1:\(port)/echo"

    let fromFile = try client.send(HTTPRequest("POST", url, headers: [("X-Goldfish", "yes")], body: .file(file)))
    #expect(fromFile.status == 201 && fromFile.headers["x-echo"] == "yes")
    #expect(fromFile.text == expected)

    let reader = ByteSource(payload)
    var streamed: [UInt8] = []
    let fromReader = try client.stream(
      HTTPRequest("POST", url, headers: [("X-Goldfish", "yes")], body: .reader(reader.read))
    ) { chunk in
      streamed += chunk
      return true
    }
    #expect(fromReader.status == 201 && fromReader.body.isEmpty)
    #expect(String(decoding: streamed, as: UTF8.self) == expected)
  }
}

/// A reader body that hands out a byte array in pieces.
final class ByteSource: @unchecked Sendable {
  let bytes: [UInt8]
  var position = 0
  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func read(_ buffer: UnsafeMutableRawBufferPointer) throws(PluginError) -> Int {
    let count = min(buffer.count, bytes.count - position, 10_000)
    guard count > 0 else { return 0 }
    for index in 0..<count { buffer[index] = bytes[position + index] }
    position += count
    return count
  }
}
