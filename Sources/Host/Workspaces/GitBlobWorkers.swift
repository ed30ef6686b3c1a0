import CGit2
import CZlib
import Dispatch
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file whose blob id is not known yet.
struct FileJob {
  let path: String
  let relative: String
  let size: Int64
  /// The id of the same path in the previous version, when it was a file there.
  let baseID: git_oid?
  let stamp: FileStamp
}

/// What reading one file gave.
enum BlobResult {
  case vanished
  case failed(GoldfishError)
  /// The id; `deflated` holds the compressed content when it was asked for and the id is not the base's.
  case read(git_oid, deflated: [UInt8]?)
}

/// Reads, hashes and (for a pack) deflates small files on every core: the per-file work of a save
/// that is not a system call is hashing and compressing, and both run side by side here while the
/// caller keeps tree building and writing on its own thread.
enum BlobWorkers {
  static var workerCount: Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)) }

  /// Results in the order of `jobs`. Every file must be at most `TreeWriter.packedFileLimit` bytes.
  static func run(_ jobs: ArraySlice<FileJob>, deflate: Bool) -> [BlobResult] {
    let shared = Shared(jobs: Array(jobs), deflate: deflate)
    let workers = min(workerCount, max(1, jobs.count / 32))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in shared.work() }
    return shared.finish()
  }

  /// The jobs, a claim counter and the result slots (each written by exactly one worker).
  private final class Shared: @unchecked Sendable {
    let jobs: [FileJob]
    let deflate: Bool
    let results: UnsafeMutableBufferPointer<BlobResult>
    private let lock = NSLock()
    private var next = 0
    static let claim = 16

    init(jobs: [FileJob], deflate: Bool) {
      self.jobs = jobs
      self.deflate = deflate
      results = .allocate(capacity: jobs.count)
      results.initialize(repeating: .vanished)
    }

    func finish() -> [BlobResult] {
      let out = Array(results)
      _ = results.deinitialize()
      results.deallocate()
      return out
    }

    private func claimRange() -> Range<Int>? {
      lock.lock()
      defer { lock.unlock() }
      guard next < jobs.count else { return nil }
      let start = next
      next = min(jobs.count, next + Self.claim)
      return start..<next
    }

    func work() {
      let reader = BlobReader(deflate: deflate)
      while let range = claimRange() {
        for index in range { results[index] = reader.readBlob(jobs[index]) }
      }
    }
  }
}

/// One worker's buffers and deflate stream, reused from file to file.
private final class BlobReader {
  private var buffer: UnsafeMutableRawBufferPointer
  /// zlib keeps the stream's address inside its state, so the stream must not move.
  private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  private let deflate: Bool

  init(deflate: Bool) {
    self.deflate = deflate
    buffer = .allocate(byteCount: 64 << 10, alignment: 16)
    stream.initialize(to: z_stream())
    if deflate {
      // Level 1, as libgit2 compresses loose objects: the save's cost is the disk, not the ratio.
      _ = deflateInit_(stream, Z_BEST_SPEED, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    }
  }

  deinit {
    buffer.deallocate()
    if deflate { deflateEnd(stream) }
    stream.deallocate()
  }

  func readBlob(_ job: FileJob) -> BlobResult {
    let size = Int(job.size)
    if buffer.count < size + 1 {
      buffer.deallocate()
      buffer = .allocate(byteCount: size + 1, alignment: 16)
    }
    let fd = open(job.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else {
      if errno == ENOENT { return .vanished }
      return .failed(GitFailure.io("read", path: job.relative))
    }
    defer { close(fd) }
    var total = 0
    // One byte more than expected: a file that grew since the scan is caught, not cut.
    while total <= size {
      let count = read(fd, buffer.baseAddress! + total, size + 1 - total)
      if count < 0 {
        if errno == EINTR { continue }
        return .failed(GitFailure.io("read", path: job.relative))
      }
      if count == 0 { break }
      total += count
    }
    if total != size { return .failed(TreeWriter.changedWhileSaving(job.relative)) }
    var id = git_oid()
    guard git_odb_hash(&id, buffer.baseAddress, size, GIT_OBJECT_BLOB) == 0 else {
      return .failed(Git.failure(-1, "reading '\(job.relative)'"))
    }
    if !deflate || job.baseID.map({ Git.equal($0, id) }) == true { return .read(id, deflated: nil) }
    return .read(id, deflated: compress(size))
  }

  private func compress(_ size: Int) -> [UInt8]? {
    guard deflateReset(stream) == Z_OK else { return nil }
    let bound = Int(deflateBound(stream, uLong(size)))
    let deflated = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
      stream.pointee.next_in = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_in = uInt(size)
      stream.pointee.next_out = out.baseAddress
      stream.pointee.avail_out = uInt(bound)
      let rc = CZlib.deflate(stream, Z_FINISH)
      count = rc == Z_STREAM_END ? bound - Int(stream.pointee.avail_out) : 0
    }
    return deflated.isEmpty ? nil : deflated  // the caller then writes this one loose
  }
}
