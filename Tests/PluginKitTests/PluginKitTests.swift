import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

@Suite("PluginKit building blocks")
struct PluginKitTests {
  @Test("SHA-256 matches the FIPS 180-4 vectors, however the input is split")
  func sha256() {
    #expect(SHA256Hasher.hex(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256Hasher.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
    #expect(SHA256Hasher.hex(of: long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    let million = [UInt8](repeating: 0x61, count: 1_000_000)
    var hasher = SHA256Hasher()
    var index = 0
    var step = 1
    while index < million.count {
      let end = min(million.count, index + step)
      million[index..<end].withUnsafeBytes { hasher.update($0) }
      index = end
      step = step * 3 % 977 + 1
    }
    #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test("a copied hasher goes on from the shared prefix without disturbing the original; finalize starts over")
  func sha256Copies() {
    var first = SHA256Hasher()
    first.update(Array("ab".utf8))
    var second = first
    second.update(Array("c".utf8))
    first.update(Array("x".utf8))
    #expect(second.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(first.finalizeHex() == SHA256Hasher.hex(of: Array("abx".utf8)))
    #expect(first.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test(
    "object keys are confined", arguments: ["../x", "/abs", "a//b", "a/../b", "a b", "a\nb", "", "ok/./x", "$(rm)"])
  func badKeys(key: String) {
    #expect(throws: PluginError.self) { try StorageKey.validate(key) }
  }

  @Test("good object keys pass")
  func goodKeys() throws {
    try StorageKey.validate("runs/stage-1/outputs/model.pt")
    try StorageKey.validate("a")
  }

  @Test("environment keys are restricted to [A-Za-z_][A-Za-z0-9_]*")
  func environmentKeys() {
    #expect(Spawn.isValidEnvironmentKey("GOLDFISH_RUN_ID"))
    #expect(Spawn.isValidEnvironmentKey("_x1"))
    for bad in ["", "1A", "A-B", "$(id)", "A B", "A=B", "A\nB", "Ä"] {
      #expect(!Spawn.isValidEnvironmentKey(bad), "\(bad.debugDescription) accepted")
    }
  }

  @Test("signals never reach pid 0, 1 or a negative pid")
  func neverSignalsEveryone() {
    for pid: Int32 in [0, 1, -1] {
      #expect(ProcessIdentity(pid: pid, startTime: 0).signal(SIGTERM) == false)
    }
    #expect(ProcessIdentity(pid: getpid(), startTime: 1).isAlive == false, "a wrong start time must not match")
  }

  @Test("log reads never split a UTF-8 character across chunks")
  func utf8Chunks() throws {
    let path = TestEnvironment.temporaryFolder("log") + "/output.log"
    try "añb€c😀d\n".write(toFile: path, atomically: true, encoding: .utf8)
    var offset: Int64 = 0
    var text = ""
    for _ in 0..<64 {
      let chunk = try LogFile.read(path: path, request: LogRequest(offset: offset, maxBytes: 2), finished: true)
      text += chunk.text
      if chunk.complete { break }
      #expect(chunk.nextOffset > offset, "no progress at offset \(offset)")
      offset = chunk.nextOffset
    }
    #expect(text == "añb€c😀d\n")
  }

  @Test("error payloads with unknown codes decode as internal, keeping the original")
  func lenientErrors() throws {
    let error = try JSONCoding.decode(PluginError.self, from: #"{"code":"weird","message":"m"}"#)
    #expect(error.code == .internal)
    #expect(error.detail["plugin_code"] == "weird")
  }
}
