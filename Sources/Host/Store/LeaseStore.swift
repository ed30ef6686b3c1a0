import Foundation
import GRDB

extension ProjectStore {
  /// Takes or renews a named lease for this process; false while another live holder has it.
  public func acquireLease(_ name: String, seconds: TimeInterval) throws(GoldfishError) -> Bool {
    let holder = Self.holderID
    return try write { db in
      let now = Timestamp.now()
      let expires = Timestamp.format(Date().addingTimeInterval(seconds))
      try db.execute(
        sql: """
          INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
          ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE leases.holder = excluded.holder OR leases.expires_at < ?
          """,
        arguments: [name, holder, expires, now])
      let current = try String.fetchOne(db, sql: "SELECT holder FROM leases WHERE name = ?", arguments: [name])
      return current == holder
    }
  }

  public func releaseLease(_ name: String) throws(GoldfishError) {
    try write { db in
      try db.execute(sql: "DELETE FROM leases WHERE name = ? AND holder = ?", arguments: [name, Self.holderID])
    }
  }

  /// This process, as a lease holder: pid plus boot-relative start, unique across restarts.
  static let holderID: String = {
    let pid = getpid()
    let start = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))
      .flatMap { text in text.split(separator: ")").last?.split(separator: " ").dropFirst(19).first.map(String.init) } ?? "0"
    return "\(pid)-\(start)"
  }()
}

extension ProjectStore {
  /// Whether nobody holds the lease (never taken, released, or expired).
  public func leaseIsFree(_ name: String) throws(GoldfishError) -> Bool {
    try read { db in
      guard let expires = try String.fetchOne(db, sql: "SELECT expires_at FROM leases WHERE name = ?", arguments: [name]) else {
        return true
      }
      return expires < Timestamp.now()
    }
  }
}

extension ProjectStore {
  /// Tests stand in for the 30 s a dead holder's lease takes to expire.
  func expireLeaseForTesting(_ name: String) throws(GoldfishError) {
    try write { db in
      try db.execute(sql: "UPDATE leases SET expires_at = '2000-01-01T00:00:00.000Z' WHERE name = ?", arguments: [name])
    }
  }
}
