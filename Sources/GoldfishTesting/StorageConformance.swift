import Foundation
import Host
import PluginKit
import PluginSupport

/// Object storage cases: round trips of every size class, hashes, listing with pages,
/// missing objects, delete idempotence, key validation and local paths.
struct StorageConformance {
  let service: OpenedService
  var storage: ObjectStorageClient { ObjectStorageClient(service) }
  let scratch: String
  let run = "goldfish-conformance-" + UUID().uuidString.prefix(8).lowercased()

  func run(_ runner: inout CaseRunner) {
    runner.run("uri_for") {
      let uri = try uri("a/b.txt")
      try expect(!uri.isEmpty && uri.hasSuffix("a/b.txt"), "uri_for gave \"\(uri)\", which does not end in the key")
      for bad in ["../escape", "/absolute", "a//b", "a/./b", "bad key", ""] {
        try expectFailure(.invalidArgument, "uri_for(\"\(bad)\")") {
          try storage.uriFor(key: bad)
        }
      }
      return uri
    }
    for (name, size) in [("empty", 0), ("one byte", 1), ("small", 4096), ("64 MiB", 64 << 20)] {
      runner.run("round trip: \(name) via put_file/get_file") { try fileRoundTrip(key: "files/\(size)", size: size) }
    }
    runner.run("round trip: binary via put_file/get_file") {
      try fileRoundTrip(key: "files/binary", size: 1024, binary: true)
    }
    runner.run("round trip: bytes via put_bytes/get_bytes") {
      let contents: [[UInt8]] = [[], [0x00], Array(0...255).map(UInt8.init), Array("hello".utf8)]
      for (index, content) in contents.enumerated() {
        let uri = try uri("bytes/\(index)")
        _ = try storage.putBytes(.init(uri: uri), content)
        let back = try storage.getBytes(.init(uri: uri))
        try expect(back == content, "get_bytes returned \(back.count) bytes, put_bytes wrote \(content.count)")
      }
      return nil
    }
    runner.run("overwrite") {
      let uri = try uri("overwrite")
      _ = try storage.putBytes(.init(uri: uri), Array("first".utf8))
      _ = try storage.putBytes(.init(uri: uri), Array("second".utf8))
      let back = try storage.getBytes(.init(uri: uri))
      try expect(
        back == Array("second".utf8), "after two writes the object holds \"\(String(decoding: back, as: UTF8.self))\"")
      return nil
    }
    runner.run("hash") { try hashCase() }
    runner.run("exists") {
      let present = try uri("exists/yes")
      _ = try storage.putBytes(.init(uri: present), [1, 2, 3])
      try expect(try storage.exists(.init(uri: present)).exists, "exists is false for a stored object")
      let absent = try uri("exists/no")
      try expect(!(try storage.exists(.init(uri: absent)).exists), "exists is true for a missing object")
      return nil
    }
    runner.run("missing objects") {
      let absent = try uri("missing/object")
      try expectFailure(.notFound, "stat of a missing object") { try storage.stat(uri: absent) }
      try expectFailure(.notFound, "get_bytes of a missing object") { try storage.getBytes(.init(uri: absent)) }
      try expectFailure(.notFound, "get_file of a missing object") {
        try storage.getFile(uri: absent, path: scratch + "/missing.out")
      }
      try expect(
        !FileManager.default.fileExists(atPath: scratch + "/missing.out"),
        "get_file of a missing object left a file behind")
      return nil
    }
    runner.run("get_bytes max_bytes") {
      let uri = try uri("limits/big")
      _ = try storage.putBytes(.init(uri: uri), [UInt8](repeating: 7, count: 100))
      try expectFailure(.invalidArgument, "get_bytes with max_bytes 10 of a 100-byte object") {
        try storage.getBytes(.init(uri: uri, maxBytes: 10))
      }
      return nil
    }
    runner.run("list with pages") { try listCase() }
    runner.run("delete idempotence") {
      let uri = try uri("delete/me")
      _ = try storage.putBytes(.init(uri: uri), [1])
      let first = try storage.delete(.init(uri: uri))
      try expect(first.deleted, "the first delete answered deleted: false")
      let second = try storage.delete(.init(uri: uri))
      try expect(!second.deleted, "the second delete answered deleted: true")
      try expect(!(try storage.exists(.init(uri: uri)).exists), "the object still exists after delete")
      return nil
    }
    if service.supports("local_path") {
      runner.run("local_path") {
        let stored = try uri("local/file")
        _ = try storage.putBytes(.init(uri: stored), Array("local".utf8))
        let path = try storage.localPath(uri: stored)
        try expect(!path.isEmpty, "local_path returned an empty path")
        let content = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        try expect(content == Array("local".utf8), "\(path) does not hold the object's bytes")
        let absent = try uri("local/absent")
        try expectFailure(.notFound, "local_path of a missing object") {
          try storage.localPath(uri: absent)
        }
        return path
      }
    } else {
      runner.skip("local_path", "not supported (NULL in the table)")
    }
    cleanUp()
  }

  private func uri(_ key: String) throws -> String {
    try storage.uriFor(key: "\(run)/\(key)")
  }

  private func fileRoundTrip(key: String, size: Int, binary: Bool = false) throws -> String? {
    let source = scratch + "/" + key.replacingOccurrences(of: "/", with: "_") + ".in"
    let target = source.replacingOccurrences(of: ".in", with: ".out")
    try TestData.write(path: source, size: size, binary: binary)
    let uri = try uri(key)
    let put = try storage.putFile(uri: uri, path: source)
    try expect(put.size == Int64(size), "put_file reported size \(put.size), expected \(size)")
    let got = try storage.getFile(uri: uri, path: target)
    try expect(got.size == Int64(size), "get_file reported size \(got.size), expected \(size)")
    if let difference = TestData.firstDifference(source, target) {
      throw CheckFailure("the object read back differs from what was written: \(difference)")
    }
    try? FileManager.default.removeItem(atPath: source)
    try? FileManager.default.removeItem(atPath: target)
    return "\(size) bytes"
  }

  private func hashCase() throws -> String? {
    let content = Array("the quick brown fox".utf8)
    let uri = try uri("hash/object")
    _ = try storage.putBytes(.init(uri: uri), content)
    let stat = try storage.stat(uri: uri)
    try expect(stat.size == Int64(content.count), "stat size is \(stat.size), expected \(content.count)")
    try expect(!stat.hash.isEmpty || stat.etag != nil, "stat reported neither a hash nor an etag")
    if let sha = stat.hash["sha256"] {
      let expected = SHA256Hasher.hex(of: content)
      try expect(sha.lowercased() == expected, "stat sha256 is \(sha), the content hashes to \(expected)")
      return "sha256 verified"
    }
    return "hash \(stat.hash.keys.sorted().joined(separator: ", ")) present (not recomputed here)"
  }

  private func listCase() throws -> String? {
    let keys = (0..<5).map { "list/item-\($0)" }
    var expected: [String] = []
    for key in keys {
      let uri = try uri(key)
      expected.append(uri)
      _ = try storage.putBytes(.init(uri: uri), Array(key.utf8))
    }
    _ = try storage.putBytes(.init(uri: try uri("listx/other")), [1])
    let prefix = String(expected[0].dropLast("item-0".count))
    var seen: [String] = []
    var token: String?
    var pages = 0
    repeat {
      let page = try storage.list(.init(prefix: prefix, pageToken: token, pageSize: 2))
      pages += 1
      try expect(page.objects.count <= 2, "a page of page_size 2 held \(page.objects.count) objects")
      seen += page.objects.map(\.uri)
      token = page.nextPageToken
      try expect(pages <= 10, "listing 5 objects by 2 did not end after 10 pages")
    } while token != nil
    try expect(seen == expected.sorted(), "list returned \(seen) but the stored objects are \(expected.sorted())")
    let none = try storage.list(.init(prefix: prefix + "nothing-here", pageSize: 10))
    try expect(none.objects.isEmpty, "a prefix that matches nothing listed \(none.objects.count) objects")
    return "\(seen.count) objects in \(pages) pages"
  }

  private func cleanUp() {
    guard let root = try? uri("x") else { return }
    let prefix = String(root.dropLast(1))
    var token: String?
    for _ in 0..<100 {
      guard let page = try? storage.list(.init(prefix: prefix, pageToken: token)) else { break }
      for object in page.objects { _ = try? storage.delete(.init(uri: object.uri)) }
      guard let next = page.nextPageToken else { break }
      token = next
    }
    try? FileManager.default.removeItem(atPath: scratch)
  }
}
