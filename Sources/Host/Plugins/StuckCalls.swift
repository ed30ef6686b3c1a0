import Foundation
import PluginKit

/// The calls of one service instance that outlived the call timeout and still run on their
/// threads (C code cannot be interrupted). While one is stuck, a new call for the same handle is
/// refused at once instead of starting another thread that would stick behind it, and no more
/// than `limit` threads are ever left waiting on the plugin.
final class StuckCalls: @unchecked Sendable {
  static let limit = 8

  private struct Entry {
    var function: String
    var key: String?
    var since: Date
  }

  private let lock = PthreadLock()
  private var next = 0
  private var running: Set<Int> = []
  private var stuck: [Int: Entry] = [:]

  func begin() -> Int {
    lock.withLock {
      next += 1
      running.insert(next)
      return next
    }
  }

  /// The call returned, however late.
  func end(_ token: Int) {
    lock.withLock {
      running.remove(token)
      stuck[token] = nil
    }
  }

  /// The caller gave up waiting; the thread goes on until the plugin returns.
  func abandoned(_ token: Int, function: String, key: String?) {
    lock.withLock {
      guard running.contains(token) else { return }
      stuck[token] = Entry(function: function, key: key, since: Date())
    }
  }

  /// Why a new call must not start now, or nil when it may.
  func refusal(for key: String?) -> TransportFault? {
    lock.withLock {
      if let key, let earlier = stuck.values.first(where: { $0.key == key }) {
        return .stuck(
          "an earlier \(earlier.function) call for this handle has not returned for "
            + "\(Int(Date().timeIntervalSince(earlier.since))) s")
      }
      if stuck.count >= Self.limit {
        return .stuck("\(stuck.count) earlier calls to this service have not returned")
      }
      return nil
    }
  }

  var count: Int { lock.withLock { stuck.count } }

  /// The handle a request is about (`{"handle": …}`), as a stable text; nil for other calls.
  static func handleKey(_ request: String) -> String? {
    guard request.contains("\"handle\""), let handle = (try? JSONCoding.parse(request))?["handle"] else { return nil }
    return try? JSONCoding.encode(handle)
  }
}
