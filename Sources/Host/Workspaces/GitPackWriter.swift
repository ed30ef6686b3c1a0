import CCrypto
import CGit2
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes many new objects as one pack instead of one loose file each: a loose object costs a temp
/// file, a rename and an inode, which for 100,000 small files is most of a save; a pack is one
/// sequential file and its index. Objects arrive already deflated (by `BlobWorkers`); libgit2's
/// indexer checks the stream and writes the index, then the pack, its index and their folder are
/// fsynced once each — a save's blobs are durable before the commit that names them is written.
final class PackWriter {
  /// A pack is written out once this much compressed data is waiting (memory stays bounded).
  static let flushBytes = 64 << 20

  private let odb: OpaquePointer
  private let packDirectory: String
  private var entries: [(type: git_object_t, size: Int, deflated: [UInt8])] = []
  private var pendingBytes = 0
  private var known = Set<ObjectKey>()
  private(set) var packsWritten = 0
  private(set) var objectsWritten = 0

  init(repo: OpaquePointer, odb: OpaquePointer) {
    self.odb = odb
    self.packDirectory = String(cString: git_repository_path(repo)) + "objects/pack"
  }

  /// True when `id` is already stored or waiting in this writer: it needs no writing.
  func has(_ id: git_oid) -> Bool {
    if known.contains(ObjectKey(id)) { return true }
    var copy = id
    return git_odb_exists(odb, &copy) != 0
  }

  func add(_ id: git_oid, type: git_object_t, size: Int, deflated: [UInt8]) throws(GoldfishError) {
    guard known.insert(ObjectKey(id)).inserted else { return }
    entries.append((type, size, deflated))
    pendingBytes += deflated.count
    if pendingBytes >= Self.flushBytes { try flush() }
  }

  /// Writes what is waiting as one pack and makes it visible to the object store.
  func flush() throws(GoldfishError) {
    guard !entries.isEmpty else { return }
    var options = git_indexer_options()
    try Git.check(git_indexer_options_init(&options, UInt32(GIT_INDEXER_OPTIONS_VERSION)), "saving the files")
    var indexer: OpaquePointer?
    try Git.check(git_indexer_new(&indexer, packDirectory, 0, odb, &options), "saving the files")
    defer { git_indexer_free(indexer) }
    var progress = git_indexer_progress()
    guard let digest = EVP_MD_CTX_new() else { throw Git.failure(-1, "saving the files") }
    defer { EVP_MD_CTX_free(digest) }
    EVP_DigestInit_ex(digest, EVP_sha1(), nil)
    var staged: [UInt8] = []
    staged.reserveCapacity(1 << 20)
    func send(_ final: Bool) throws(GoldfishError) {
      guard final || staged.count >= 1 << 20 else { return }
      staged.withUnsafeBytes { _ = EVP_DigestUpdate(digest, $0.baseAddress, $0.count) }
      let rc = staged.withUnsafeBytes { git_indexer_append(indexer, $0.baseAddress, $0.count, &progress) }
      try Git.check(rc, "saving the files")
      staged.removeAll(keepingCapacity: true)
    }
    staged += Array("PACK".utf8)
    Self.appendBigEndian(2, to: &staged)
    Self.appendBigEndian(UInt32(entries.count), to: &staged)
    for entry in entries {
      Self.appendHeader(type: entry.type, size: entry.size, to: &staged)
      staged += entry.deflated
      try send(false)
    }
    try send(true)
    var trailer = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    EVP_DigestFinal_ex(digest, &trailer, &length)
    let rc = trailer.withUnsafeBytes { git_indexer_append(indexer, $0.baseAddress, Int(length), &progress) }
    try Git.check(rc, "saving the files")
    try Git.check(git_indexer_commit(indexer, &progress), "saving the files")
    guard let name = git_indexer_name(indexer) else { throw Git.failure(-1, "saving the files") }
    let base = packDirectory + "/pack-" + String(cString: name)
    for path in [base + ".pack", base + ".idx", packDirectory] { try Self.sync(path) }
    try Git.check(git_odb_refresh(odb), "saving the files")
    packsWritten += 1
    objectsWritten += entries.count
    entries.removeAll()
    pendingBytes = 0
  }

  private static func sync(_ path: String) throws(GoldfishError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw GitFailure.io("write", path: path) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw GitFailure.io("write", path: path) }
  }

  /// An entry's header: type and size, the size's low 4 bits first, then 7 bits per byte.
  private static func appendHeader(type: git_object_t, size: Int, to out: inout [UInt8]) {
    var rest = size >> 4
    var byte = UInt8(truncatingIfNeeded: (Int(type.rawValue) << 4) | (size & 0x0f))
    while rest > 0 {
      out.append(byte | 0x80)
      byte = UInt8(truncatingIfNeeded: rest & 0x7f)
      rest >>= 7
    }
    out.append(byte)
  }

  private static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { out += $0 }
  }
}

/// An object id as a hashable value.
struct ObjectKey: Hashable {
  let high: UInt64
  let middle: UInt64
  let low: UInt32

  init(_ id: git_oid) {
    let parts = withUnsafeBytes(of: id.id) { raw in
      (
        raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
        raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
      )
    }
    high = parts.0
    middle = parts.1
    low = parts.2
  }
}
