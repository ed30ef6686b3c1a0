import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Wakes a waiter the moment a file changes in one of the folders it watches (inotify), so
/// run completion is an event rather than a poll tick: goldfish-runner renames status.json into
/// the run's folder when a run ends, and every commit to the project database writes its
/// `-wal` file beside it, whichever process made it. `wait` still returns after its timeout
/// when nothing happened, so callers keep a slow poll for what no file announces (a crashed
/// process, a backend queried over the network). Without inotify it is that poll alone.
public final class FolderWatch: @unchecked Sendable {
  private let lock = NSLock()
  private var descriptor: Int32 = -1
  /// A pipe whose write end `interrupt` uses to end a `wait` early (a canceled request).
  private var wakeRead: Int32 = -1
  private var wakeWrite: Int32 = -1
  private var watched: [String: Int32] = [:]
  /// Per watch descriptor, the file names whose changes wake a waiter (empty: any file).
  private var names: [Int32: Set<String>] = [:]

  public init() {
    #if os(Linux)
      descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
      var ends: [Int32] = [-1, -1]
      if pipe(&ends) == 0 {
        for fd in ends {
          _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
          _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
      }
    #endif
  }

  deinit {
    for fd in [descriptor, wakeRead, wakeWrite] where fd >= 0 { close(fd) }
  }

  /// Whether changes can wake a waiter here (false: `wait` only sleeps its timeout).
  public var isEventDriven: Bool { descriptor >= 0 }

  /// Starts watching `folder` for a file among `names` (any file when nil) created, written or
  /// renamed into it: a stage's log growing in its run folder must not wake a driver that only
  /// waits for status.json. A folder that does not exist yet is skipped and may be added later.
  public func watch(_ folder: String, names: Set<String>? = nil) {
    #if os(Linux)
      lock.withLock {
        guard descriptor >= 0, watched[folder] == nil else { return }
        let mask = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
        let wd = inotify_add_watch(descriptor, folder, mask)
        guard wd >= 0 else { return }
        watched[folder] = wd
        self.names[wd] = names ?? []
      }
    #endif
  }

  /// The project database's folder, woken by every commit (its `-wal` file, or the file itself)
  /// and by `announceCommit`.
  public func watchDatabase(_ path: String) {
    let url = URL(fileURLWithPath: path)
    let name = url.lastPathComponent
    watch(url.deletingLastPathComponent().path, names: [name, name + "-wal", name + Self.commitNoticeSuffix])
  }

  static let commitNoticeSuffix = "-moved"

  /// Says "a run moved on" to every waiter on the database at `path`, after the commit that moved
  /// it. SQLite writes a commit's pages to the `-wal` file before its fsync and makes them visible
  /// after, in shared memory that inotify does not see: a waiter woken by those writes reads the
  /// old state, and nothing else would wake it until the next commit. Opening and closing a file
  /// beside the database (IN_CLOSE_WRITE, no data, no fsync) is the signal that comes after.
  public static func announceCommit(database path: String) {
    #if os(Linux)
      let fd = open(path + commitNoticeSuffix, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
      if fd >= 0 { close(fd) }
    #endif
  }

  /// Stops watching folders not in `keep` (runs that ended).
  public func retain(only keep: Set<String>) {
    #if os(Linux)
      lock.withLock {
        for (folder, wd) in watched where !keep.contains(folder) {
          inotify_rm_watch(descriptor, wd)
          watched[folder] = nil
          names[wd] = nil
        }
      }
    #endif
  }

  /// Blocks until a watched file changes, `interrupt` is called, or `timeout` passes;
  /// returns whether something happened. Changes that came before the call count: a waiter
  /// that reads state, then waits, never misses one made in between.
  @discardableResult
  public func wait(timeout: TimeInterval) -> Bool {
    #if os(Linux)
      if descriptor >= 0 {
        let deadline = Date().addingTimeInterval(max(0, min(timeout, 86_400)))
        while true {
          let left = deadline.timeIntervalSinceNow
          var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
          ]
          let ready = poll(&fds, nfds_t(fds.count), Int32(max(0, left) * 1000))
          if ready < 0 && errno == EINTR { continue }
          if ready <= 0 { return false }
          if drainWake() { return true }
          if relevantChange() { return true }
          if deadline.timeIntervalSinceNow <= 0 { return false }
        }
      }
    #endif
    Thread.sleep(forTimeInterval: max(0, timeout))
    return false
  }

  /// Ends the current (or the next) `wait` at once.
  public func interrupt() {
    guard wakeWrite >= 0 else { return }
    var byte: UInt8 = 1
    _ = write(wakeWrite, &byte, 1)
  }

  private func drainWake() -> Bool {
    guard wakeRead >= 0 else { return false }
    var buffer = [UInt8](repeating: 0, count: 64)
    var woken = false
    while read(wakeRead, &buffer, buffer.count) > 0 { woken = true }
    return woken
  }

  #if os(Linux)
    /// Reads every pending event; true when one concerns a file some watch asked for.
    private func relevantChange() -> Bool {
      let filters = lock.withLock { names }
      var buffer = [UInt8](repeating: 0, count: 16_384)
      var relevant = false
      while true {
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return relevant }
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
          let (wd, length) = buffer.withUnsafeBytes { raw in
            (
              raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
              Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            )
          }
          let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)]
          let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
          if wd < 0 {
            // The kernel's queue overflowed: something may have changed, so look again.
            relevant = true
          } else if let wanted = filters[wd], wanted.isEmpty || wanted.contains(name) {
            relevant = true
          }
          offset += header + length
        }
      }
    }
  #endif
}
