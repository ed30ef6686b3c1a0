import CPluginSupport
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension POSIXFile {
  /// Bytes the kernel copies per call; each finished range is handed to the hasher and its
  /// writeback started.
  static let kernelCopyChunk = 8 << 20

  /// `atomicCopy` with the copying done by the kernel (copy_file_range: no bytes through user
  /// space, shared extents where the filesystem can) while a second thread hashes what has landed,
  /// reading it back from the page cache, and writeback of each range starts as soon as it is
  /// copied; one fsync at the end, then the rename, as `atomicCopy`. The digest is of the bytes
  /// actually written. Falls back to `atomicCopy`'s read/write loop where the kernel cannot copy
  /// between the two files.
  @discardableResult
  public static func atomicKernelCopy(
    from source: String, to destination: String, mode: mode_t = 0o666, hashing: Bool = true
  )
    throws(PluginError) -> (size: Int64, sha256: String)
  {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw error(errno, "cannot read", source) }
    defer { close(input) }
    return try atomicWrite(to: destination, mode: mode) { (output: Int32) throws(PluginError) in
      try kernelCopy(input, source, to: output, destination, hashing: hashing)
    }
  }

  private static func kernelCopy(
    _ input: Int32, _ source: String, to output: Int32, _ destination: String, hashing: Bool
  ) throws(PluginError) -> (size: Int64, sha256: String) {
    var from: Int64 = 0
    var to: Int64 = 0
    let hasher = hashing ? RangeHasher(fd: output, path: destination) : nil
    defer { hasher?.abandon() }
    while true {
      let copied = gf_copy_file_range(input, &from, output, &to, kernelCopyChunk)
      if copied < 0 {
        let code = errno
        if code == EINTR { continue }
        if to == 0 && [ENOSYS, EXDEV, EINVAL, EOPNOTSUPP, EBADF, EPERM].contains(code) {
          hasher?.abandon()
          return try copyContents(input, source, to: output, destination)
        }
        throw error(code, "cannot copy to", destination)
      }
      if copied == 0 { break }
      hasher?.landed(upTo: to)
      _ = gf_start_writeback(output, to - Int64(copied), Int64(copied))
    }
    guard let running = hasher else { return (to, "") }
    return (to, try running.finish())
  }
}

/// Hashes a file's bytes on its own thread as they land, up to the offset the copier announced.
private final class RangeHasher: @unchecked Sendable {
  private let fd: Int32
  private let path: String
  private let condition = NSCondition()
  private var available: Int64 = 0
  private var copyDone = false
  private var stopped = false
  private var result: Result<String, PluginError>?
  private let finished = DispatchSemaphore(value: 0)
  private var started = false

  init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
  }

  func landed(upTo offset: Int64) {
    condition.lock()
    available = offset
    if !started {
      started = true
      Thread { [self] in run() }.start()
    }
    condition.signal()
    condition.unlock()
  }

  /// The digest of every byte announced.
  func finish() throws(PluginError) -> String {
    condition.lock()
    copyDone = true
    let running = started
    condition.signal()
    condition.unlock()
    if running { finished.wait() } else { result = .success(SHA256Hasher().finalizeHexCopy()) }
    condition.lock()
    defer { condition.unlock() }
    stopped = true
    switch result {
    case .success(let digest): return digest
    case .failure(let failure): throw failure
    case nil: throw PluginError(.io, "cannot hash \(path)")
    }
  }

  /// Stops the thread (the copy failed or fell back); waits for it so nothing reads a closed file.
  func abandon() {
    condition.lock()
    guard !stopped else {
      condition.unlock()
      return
    }
    stopped = true
    copyDone = true
    let running = started
    condition.signal()
    condition.unlock()
    if running { finished.wait() }
  }

  private func run() {
    var hasher = SHA256Hasher()
    let size = 4 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer {
      buffer.deallocate()
      finished.signal()
    }
    var hashed: Int64 = 0
    while true {
      condition.lock()
      while available == hashed && !copyDone && !stopped { condition.wait() }
      let target = available
      let end = copyDone
      let quit = stopped
      condition.unlock()
      if quit { return }
      if target == hashed && end { break }
      while hashed < target {
        let count = pread(fd, buffer.baseAddress, Int(min(Int64(size), target - hashed)), off_t(hashed))
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
          let failure = POSIXFile.error(count < 0 ? errno : EIO, "cannot read back", path)
          condition.lock()
          result = .failure(failure)
          condition.unlock()
          return
        }
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        hashed += Int64(count)
      }
    }
    let digest = hasher.finalizeHex()
    condition.lock()
    result = .success(digest)
    condition.unlock()
  }
}

extension SHA256Hasher {
  fileprivate func finalizeHexCopy() -> String {
    var copy = self
    return copy.finalizeHex()
  }
}
