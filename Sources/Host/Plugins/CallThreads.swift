import Foundation
import Synchronization

/// The long-lived threads that make one service instance's bounded calls. A call timeout needs
/// the plugin's code on a thread other than the caller's (C code cannot be interrupted, so a
/// caller that gives up must be free to return); starting a thread per call cost ~150 µs, so the
/// threads stay and take the next call. A thread whose call overran is simply busy until the
/// plugin returns and then rejoins the idle ones; concurrent calls each get a thread of their own.
final class CallThreads: @unchecked Sendable {
  /// Idle threads kept; more than that exit after their call.
  static let maxIdle = 4

  private let lock = PthreadLock()
  private var idle: [CallThread] = []
  private var closed = false

  /// Runs `job` on an idle thread, or a new one when none is idle.
  func run(_ job: @escaping @Sendable () -> Void) {
    let thread =
      lock.withLock { idle.popLast() }
      ?? CallThread(pool: self)
    thread.submit(job)
  }

  /// A thread that finished its call offers itself for the next; false: it should exit.
  fileprivate func rejoin(_ thread: CallThread) -> Bool {
    lock.withLock {
      guard !closed, idle.count < Self.maxIdle else { return false }
      idle.append(thread)
      return true
    }
  }

  /// Ends the idle threads; a thread still inside the plugin ends when its call returns.
  func close() {
    let leaving = lock.withLock { () -> [CallThread] in
      closed = true
      defer { idle.removeAll() }
      return idle
    }
    for thread in leaving { thread.submit(nil) }
  }

  deinit { close() }
}

/// One call thread. The hand-over spins for a few microseconds before sleeping, on both sides
/// (see `Spin`): a call that answers quickly then costs no futex wake-up at all.
private final class CallThread: @unchecked Sendable {
  private enum State: Int {
    case waiting = 0, posted, parked
  }

  private let state = Atomic<Int>(State.waiting.rawValue)
  private let wake = DispatchSemaphore(value: 0)
  /// Written by `submit` before the release store of `posted`, read after its acquire: no lock.
  private var job: (@Sendable () -> Void)?
  private var exit = false

  init(pool: CallThreads) {
    // The thread's block holds this object until the loop ends, and the pool only weakly: a
    // pool that is gone (its service closed) lets the thread end after its call.
    let thread = Thread { [self, weak pool] in
      // Named for ps, gdb and /proc (Linux keeps 15 bytes).
      Thread.current.name = "goldfish plugin"
      self.loop(pool: pool)
    }
    thread.start()
  }

  /// nil: end the thread.
  func submit(_ next: (@Sendable () -> Void)?) {
    job = next
    exit = next == nil
    if state.exchange(State.posted.rawValue, ordering: .acquiringAndReleasing) == State.parked.rawValue {
      wake.signal()
    }
  }

  private func loop(pool: CallThreads?) {
    weak var pool = pool
    while true {
      awaitJob()
      guard !exit, let current = job else { return }
      job = nil
      state.store(State.waiting.rawValue, ordering: .releasing)
      current()
      guard let pool, pool.rejoin(self) else { return }
    }
  }

  private func awaitJob() {
    var spin = Spin(microseconds: 50)
    while state.load(ordering: .acquiring) != State.posted.rawValue {
      if spin.next() { continue }
      let parked = state.compareExchange(
        expected: State.waiting.rawValue, desired: State.parked.rawValue, ordering: .acquiringAndReleasing
      ).exchanged
      if parked { wake.wait() }
    }
  }
}

/// A short busy wait before blocking: a plugin call that answers in microseconds is handed back
/// faster than two futex wake-ups would take, and no thread spins longer than the budget.
struct Spin {
  private let deadline: UInt64
  private var turns = 0

  init(microseconds: UInt64) {
    deadline = DispatchTime.now().uptimeNanoseconds + microseconds * 1000
  }

  /// True while the budget lasts.
  mutating func next() -> Bool {
    turns += 1
    if turns & 63 != 0 { return true }
    return DispatchTime.now().uptimeNanoseconds < deadline
  }
}
