import Foundation
import GRDB

extension ProjectStore {
  /// Takes or renews a named lease for this process; false while another live holder has it.
  public func acquireLease(_ name: String, seconds: TimeInterval) throws(GoldfishError) -> Bool {
    let holder = Self.holderID
    return try write { db in
      // A holder that died (SIGKILL, OOM, power) frees its lease now rather than after it expires.
      if let current = try String.fetchOne(db, sql: "SELECT holder FROM leases WHERE name = ?", arguments: [name]),
        current != holder, Self.holderIsDead(current)
      {
        try db.execute(sql: "DELETE FROM leases WHERE name = ? AND holder = ?", arguments: [name, current])
      }
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

  /// This process, as a lease holder: machine, pid and boot-relative start, unique across restarts.
  static let holderID: String = {
    let pid = getpid()
    return "\(hostName)/\(pid)-\(startTime(of: pid) ?? "0")"
  }()

  /// Whether `holder` names a process of this machine that no longer runs (its pid is gone or
  /// now belongs to a process that started at another time). Holders of other machines, or
  /// in a form this build does not know, are presumed alive until their lease expires.
  static func holderIsDead(_ holder: String) -> Bool {
    guard let slash = holder.lastIndex(of: "/"), holder[..<slash] == hostName else { return false }
    let identity = holder[holder.index(after: slash)...].split(separator: "-")
    guard identity.count == 2, let pid = Int32(identity[0]), pid > 0 else { return false }
    return startTime(of: pid) != String(identity[1])
  }

  /// Field 22 of /proc/PID/stat (start time in clock ticks since boot); nil when no such process
  /// or only its zombie is left (it holds nothing any more).
  static func startTime(of pid: Int32) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let fields = text.split(separator: ")").last?.split(separator: " "), fields.first != "Z"
    else { return nil }
    return fields.dropFirst(19).first.map(String.init)
  }

  static let hostName: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(cString: buffer)
  }()
}

extension ProjectStore {
  /// Whether nobody holds the lease (never taken, released, or expired).
  public func leaseIsFree(_ name: String) throws(GoldfishError) -> Bool {
    try read { db in
      guard
        let row = try Row.fetchOne(db, sql: "SELECT holder, expires_at FROM leases WHERE name = ?", arguments: [name])
      else {
        return true
      }
      let expires: String = row["expires_at"]
      return expires < Timestamp.now() || Self.holderIsDead(row["holder"])
    }
  }
}

extension ProjectStore {
  /// Whether the lease was ever taken and not released.
  public func leaseExists(_ name: String) throws(GoldfishError) -> Bool {
    try read { db in try String.fetchOne(db, sql: "SELECT holder FROM leases WHERE name = ?", arguments: [name]) != nil
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
