import CGit2
import CZlib
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What lstat said about a file when its content was read: the key of a stat cache entry.
/// ctime is in it because no user call can set it: a file rewritten with the same size and its
/// mtime put back (`touch -d`, `cp -p`, tar) still gets a new ctime.
struct FileStamp: Equatable, Sendable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var mtime: Moment
  var ctime: Moment

  /// Seconds and nanoseconds, ordered.
  struct Moment: Comparable, Sendable {
    var seconds: Int64
    var nanoseconds: Int64
    static func < (a: Moment, b: Moment) -> Bool {
      a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }
  }

  init(device: UInt64, inode: UInt64, size: Int64, mtime: Moment, ctime: Moment) {
    self.device = device
    self.inode = inode
    self.size = size
    self.mtime = mtime
    self.ctime = ctime
  }

  init(_ info: stat) {
    self.init(
      device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
      mtime: Moment(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec)),
      ctime: Moment(seconds: Int64(info.st_ctim.tv_sec), nanoseconds: Int64(info.st_ctim.tv_nsec)))
  }

  /// Racy git: a file changed within the same clock tick as the cache was written keeps the stamp
  /// the cache holds, so an entry is trusted only when both its times are strictly older than
  /// the cache file itself.
  func isRacy(cacheWrittenAt: Moment) -> Bool {
    !(mtime < cacheWrittenAt) || !(ctime < cacheWrittenAt)
  }
}

/// A slot's stat cache, as git's index: relative path → (the file's stamp, its blob id), so that a
/// save re-reads only the files whose stamp changed. It lives in the project's dev folder
/// (`WorkspaceManager.statCacheFile`), one file per slot, and is only ever a shortcut:
///
/// * an entry is used only when device, inode, size, mtime and ctime all match what lstat says now,
///   and both times are strictly older than the cache file's own mtime (the racy-git rule);
/// * a file that is missing, truncated, of another format or whose checksum fails is ignored whole;
/// * it is rewritten (temp file + rename, after the save succeeded) only when something differed,
///   and removed whenever the slot's files are replaced (mount, rollback, hibernate).
///
/// An entry promises that its blob was stored when the entry was written; a save that finds an
/// entry whose id is not the previous version's still checks that the object exists.
final class StatCache {
  static let magic: [UInt8] = Array("GFSTAT01".utf8)
  /// device, inode, size, mtime (s, ns), ctime (s, ns): 7 × 8 bytes, then a 20-byte id, then the
  /// path length (4 bytes) and the path.
  static let fixedEntryBytes = 7 * 8 + 20 + 4

  let file: String
  private var bytes: [UInt8] = []
  /// FNV-1a of the path → offset of its entry in `bytes` (the first one when two paths collide:
  /// a lookup compares the path itself, so a collision is only a miss).
  private var index: [UInt64: Int] = [:]
  private(set) var writtenAt = FileStamp.Moment(seconds: 0, nanoseconds: 0)
  private var recorded: [(path: String, stamp: FileStamp, id: git_oid)] = []
  /// Lookups answered from the cache and files read because no entry could be trusted.
  private(set) var hits = 0
  private(set) var misses = 0

  /// Loads `file`; a cache that cannot be read is an empty one.
  init(file: String) {
    self.file = file
    load()
  }

  var loadedCount: Int { index.count }

  /// The blob id recorded for `relative` when its stamp is unchanged and not racy, else nil.
  func lookup(_ relative: String, _ stamp: FileStamp) -> git_oid? {
    guard let offset = index[Self.fnv(relative)], pathMatches(relative, at: offset),
      let entry = entry(at: offset), entry.stamp == stamp, !stamp.isRacy(cacheWrittenAt: writtenAt)
    else {
      misses += 1
      return nil
    }
    hits += 1
    return entry.id
  }

  /// A hit the caller could not use (its object is missing): counted as a miss, so the cache is
  /// rewritten with what the file really holds.
  func reject() {
    hits -= 1
    misses += 1
  }

  /// Notes what a file holds now; `save` writes exactly the files noted since the cache was loaded.
  func record(_ relative: String, _ stamp: FileStamp, _ id: git_oid) {
    recorded.append((relative, stamp, id))
  }

  /// Writes what was recorded, unless it is what the file already holds. Never fails a save: a
  /// cache that cannot be written only makes the next save read more.
  func save() {
    if misses == 0 && recorded.count == index.count { return }
    var out: [UInt8] = []
    out.reserveCapacity(Self.magic.count + 8 + recorded.count * (Self.fixedEntryBytes + 24))
    out += Self.magic
    Self.append(UInt32(recorded.count), to: &out)
    for (path, stamp, id) in recorded {
      for value in [
        Int64(bitPattern: stamp.device), Int64(bitPattern: stamp.inode), stamp.size, stamp.mtime.seconds,
        stamp.mtime.nanoseconds, stamp.ctime.seconds, stamp.ctime.nanoseconds,
      ] {
        Self.append(UInt64(bitPattern: value), to: &out)
      }
      withUnsafeBytes(of: id.id) { out += $0 }
      let utf8 = Array(path.utf8)
      Self.append(UInt32(utf8.count), to: &out)
      out += utf8
    }
    Self.append(Self.checksum(out[...]), to: &out)
    let directory = (file as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let temporary = file + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    let complete = out.withUnsafeBytes { buffer -> Bool in
      var offset = 0
      while offset < buffer.count {
        let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return false }
        offset += written
      }
      return true
    }
    if close(fd) != 0 || !complete || rename(temporary, file) != 0 { unlink(temporary) }
  }

  /// Forgets a slot's cache (its files are about to be replaced wholesale).
  static func discard(_ file: String) {
    unlink(file)
  }

  // MARK: reading

  private func load() {
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > Self.magic.count + 8, info.st_size < 1 << 31 else { return }
    var data = [UInt8](repeating: 0, count: Int(info.st_size))
    let complete = data.withUnsafeMutableBytes { buffer -> Bool in
      var offset = 0
      while offset < buffer.count {
        let count = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return false }
        offset += count
      }
      return true
    }
    guard complete, data.starts(with: Self.magic) else { return }
    let body = data[..<(data.count - 4)]
    guard Self.checksum(body) == Self.readUInt32(data, at: data.count - 4) else { return }
    let count = Int(Self.readUInt32(data, at: Self.magic.count))
    var offsets: [Int] = []
    offsets.reserveCapacity(count)
    var offset = Self.magic.count + 4
    for _ in 0..<count {
      guard offset + Self.fixedEntryBytes <= body.count else { return }
      let length = Int(Self.readUInt32(data, at: offset + Self.fixedEntryBytes - 4))
      guard offset + Self.fixedEntryBytes + length <= body.count else { return }
      offsets.append(offset)
      offset += Self.fixedEntryBytes + length
    }
    guard offset == body.count else { return }
    bytes = data
    index.reserveCapacity(count)
    for offset in offsets {
      let start = offset + Self.fixedEntryBytes
      let length = Int(Self.readUInt32(bytes, at: start - 4))
      let hash = bytes.withUnsafeBufferPointer { Self.fnv(UnsafeBufferPointer(rebasing: $0[start..<(start + length)])) }
      if index[hash] == nil { index[hash] = offset }
    }
    writtenAt = FileStamp.Moment(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec))
  }

  private func pathMatches(_ relative: String, at offset: Int) -> Bool {
    let start = offset + Self.fixedEntryBytes
    let length = Int(Self.readUInt32(bytes, at: start - 4))
    return relative.utf8.elementsEqual(bytes[start..<(start + length)])
  }

  private func entry(at offset: Int) -> (stamp: FileStamp, id: git_oid)? {
    let value = { (field: Int) in Int64(bitPattern: Self.readUInt64(self.bytes, at: offset + field * 8)) }
    let stamp = FileStamp(
      device: UInt64(bitPattern: value(0)), inode: UInt64(bitPattern: value(1)), size: value(2),
      mtime: .init(seconds: value(3), nanoseconds: value(4)), ctime: .init(seconds: value(5), nanoseconds: value(6)))
    var id = git_oid()
    withUnsafeMutableBytes(of: &id.id) { target in
      bytes.withUnsafeBytes { source in
        target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(offset + 56)..<(offset + 76)]))
      }
    }
    return (stamp, id)
  }

  // MARK: encoding

  static func fnv(_ text: String) -> UInt64 {
    var text = text
    return text.withUTF8 { fnv($0) }
  }

  static func fnv(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash &*= 0x100_0000_01b3
    }
    return hash
  }

  private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
  }

  private static func append(_ value: UInt32, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out += $0 }
  }

  private static func append(_ value: UInt64, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out += $0 }
  }

  private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
  }

  private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
  }
}
