import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a folder as a ustar archive, produced piece by piece as a reader pulls it, so a
/// build context of any size is streamed, never held in memory. Regular files, folders and
/// symlinks are archived (symlinks as links, not followed); owners are 0:0 and times 0 so
/// the same content always gives the same bytes.
public final class TarStream: @unchecked Sendable {
  private struct Entry {
    var path: String  // relative, "/"-separated
    var kind: UInt8  // '0' file, '2' symlink, '5' folder
    var mode: UInt32
    var size: Int64
    var link: String
    /// Where the bytes come from (empty for a folder added only to hold others).
    var source: String
  }

  private let root: String
  private var entries: [Entry]
  private var next = 0
  private var pending: [UInt8] = []
  private var pendingStart = 0
  private var fd: Int32 = -1
  private var remaining: Int64 = 0
  private var padding = 0
  private var finished = false

  /// Lists the folder now, so a missing or unreadable context fails before any byte is sent.
  public init(directory: String) throws(PluginError) {
    root = directory
    var found: [Entry] = []
    try Self.walk(directory, relative: "", into: &found)
    entries = found
  }

  /// Several folders in one archive, each under its own path (e.g. `mnt/inputs`), with the
  /// folders above them: one upload puts them all in place (a container's archive API).
  public init(folders: [(source: String, archivedAs: String)]) throws(PluginError) {
    root = folders.first?.source ?? ""
    var found: [Entry] = []
    var seen: Set<String> = []
    for folder in folders {
      let parts = folder.archivedAs.split(separator: "/").map(String.init)
      guard !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
        throw PluginError(.invalidArgument, "cannot archive a folder as \(folder.archivedAs.debugDescription)")
      }
      for depth in 1...parts.count {
        let path = parts.prefix(depth).joined(separator: "/")
        guard seen.insert(path).inserted else { continue }
        var mode: UInt32 = 0o755
        if depth == parts.count {
          var info = stat()
          guard stat(folder.source, &info) == 0 else { throw POSIXFile.error(errno, "cannot archive", folder.source) }
          mode = UInt32(info.st_mode) & 0o7777
        }
        found.append(Entry(path: path, kind: UInt8(ascii: "5"), mode: mode, size: 0, link: "", source: ""))
      }
      try Self.walk(folder.source, relative: folder.archivedAs, into: &found)
    }
    entries = found
  }

  deinit { if fd >= 0 { close(fd) } }

  /// Fills `buffer` with the next bytes of the archive; 0 once it is complete.
  public func read(_ buffer: UnsafeMutableRawBufferPointer) throws(PluginError) -> Int {
    var written = 0
    while written < buffer.count {
      if pendingStart < pending.count {
        let count = min(buffer.count - written, pending.count - pendingStart)
        pending.withUnsafeBytes { source in
          (buffer.baseAddress! + written).copyMemory(from: source.baseAddress! + pendingStart, byteCount: count)
        }
        pendingStart += count
        written += count
        continue
      }
      if remaining > 0 {
        let want = Int(min(Int64(buffer.count - written), remaining))
        let got = systemRead(fd, buffer.baseAddress! + written, want)
        if got < 0 {
          if errno == EINTR { continue }
          throw POSIXFile.error(errno, "cannot read a build context file", root)
        }
        if got == 0 {
          throw PluginError(.io, "a file of the build context \(root) shrank while it was being sent")
        }
        remaining -= Int64(got)
        written += got
        if remaining == 0 {
          close(fd)
          fd = -1
          setPending([UInt8](repeating: 0, count: padding))
        }
        continue
      }
      guard next < entries.count else {
        if finished { break }
        finished = true
        setPending([UInt8](repeating: 0, count: 1024))  // two empty blocks end the archive
        continue
      }
      let entry = entries[next]
      next += 1
      setPending(try Self.header(entry))
      if entry.kind == UInt8(ascii: "0"), entry.size > 0 {
        fd = open(entry.source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXFile.error(errno, "cannot open a build context file", entry.source) }
        remaining = entry.size
        padding = Int((512 - entry.size % 512) % 512)
      }
    }
    return written
  }

  private func setPending(_ bytes: [UInt8]) {
    pending = bytes
    pendingStart = 0
  }

  private static func walk(_ directory: String, relative: String, into entries: inout [Entry]) throws(PluginError) {
    guard let dir = opendir(directory) else { throw POSIXFile.error(errno, "cannot list the build context", directory) }
    var names: [String] = []
    while let item = readdir(dir) {
      let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    closedir(dir)
    for name in names.sorted() {
      let path = directory + "/" + name
      let archived = relative.isEmpty ? name : relative + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0 else { throw POSIXFile.error(errno, "cannot read the build context", path) }
      let mode = UInt32(info.st_mode) & 0o7777
      switch UInt32(info.st_mode) & UInt32(S_IFMT) {
      case UInt32(S_IFDIR):
        entries.append(Entry(path: archived, kind: UInt8(ascii: "5"), mode: mode, size: 0, link: "", source: path))
        try walk(path, relative: archived, into: &entries)
      case UInt32(S_IFLNK):
        var target = [CChar](repeating: 0, count: 4097)
        let length = readlink(path, &target, 4096)
        guard length >= 0 else { throw POSIXFile.error(errno, "cannot read a symlink of the build context", path) }
        let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        entries.append(Entry(path: archived, kind: UInt8(ascii: "2"), mode: 0o777, size: 0, link: link, source: path))
      case UInt32(S_IFREG):
        entries.append(
          Entry(path: archived, kind: UInt8(ascii: "0"), mode: mode, size: Int64(info.st_size), link: "", source: path))
      default:
        continue  // sockets, fifos and devices have no place in an image build
      }
    }
  }

  /// A 512-byte ustar header; long paths go into the prefix field at a "/".
  private static func header(_ entry: Entry) throws(PluginError) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    var name = Array((entry.kind == UInt8(ascii: "5") ? entry.path + "/" : entry.path).utf8)
    var prefix: [UInt8] = []
    if name.count > 100 {
      guard
        let split = name.indices.filter({ name[$0] == UInt8(ascii: "/") && $0 <= 155 && name.count - $0 - 1 <= 100 })
          .last
      else {
        throw PluginError(.invalidArgument, "the build context path \(entry.path) is too long for a ustar archive")
      }
      prefix = Array(name[..<split])
      name = Array(name[(split + 1)...])
    }
    let link = Array(entry.link.utf8)
    guard link.count <= 100 else {
      throw PluginError(.invalidArgument, "the symlink target of \(entry.path) is too long for a ustar archive")
    }
    func put(_ bytes: [UInt8], at offset: Int) { for (i, byte) in bytes.enumerated() { header[offset + i] = byte } }
    func octal(_ value: Int64, width: Int) -> [UInt8] {
      let digits = String(value, radix: 8)
      return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
    }
    put(name, at: 0)
    put(octal(Int64(entry.mode), width: 8), at: 100)
    put(octal(0, width: 8), at: 108)
    put(octal(0, width: 8), at: 116)
    put(octal(entry.size, width: 12), at: 124)
    put(octal(0, width: 12), at: 136)
    header[156] = entry.kind
    put(link, at: 157)
    put(Array("ustar".utf8) + [0], at: 257)
    put(Array("00".utf8), at: 263)
    put(prefix, at: 345)
    put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148)
    let sum = header.reduce(0) { $0 + Int64($1) }
    put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148)
    return header
  }
}

#if canImport(Glibc)
  private let systemRead = Glibc.read
#else
  private let systemRead = Darwin.read
#endif
