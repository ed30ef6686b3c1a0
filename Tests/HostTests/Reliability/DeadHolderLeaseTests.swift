import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A lease held by a process that died (SIGKILL, OOM) is free at once, so the next command
/// resumes its runs instead of waiting out the lease; a live or foreign holder keeps it.
@Suite("leases of dead holders")
struct DeadHolderLeaseTests {
  static func hold(_ store: ProjectStore, _ name: String, by holder: String) throws {
    try store.write { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
        arguments: [name, holder, Timestamp.format(Date().addingTimeInterval(600))])
    }
  }

  @Test("dead holder: free now; live holder or another machine's: held until it expires")
  func holders() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    // A process that has exited and been reaped.
    let finished = Command.run(["/bin/sh", "-c", "echo $$"])
    let deadPID = try #require(Int32(finished.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    try Self.hold(store, "dead", by: "\(ProjectStore.hostName)/\(deadPID)-12345")
    #expect(try store.leaseIsFree("dead"))
    #expect(try store.acquireLease("dead", seconds: 30), "taken over from the dead holder")

    // The process that started the tests: alive for as long as they run.
    let parent = getppid()
    let parentStart = try #require(ProjectStore.startTime(of: parent))
    try Self.hold(store, "live", by: "\(ProjectStore.hostName)/\(parent)-\(parentStart)")
    #expect(try !store.leaseIsFree("live"))
    #expect(try !store.acquireLease("live", seconds: 30))

    // The same pid with another start time is a reused pid: its holder is dead.
    try Self.hold(store, "reused", by: "\(ProjectStore.hostName)/\(parent)-1")
    #expect(try store.leaseIsFree("reused"))

    // Another machine's processes cannot be checked from here: wait for expiry.
    try Self.hold(store, "remote", by: "another-host.example/\(deadPID)-12345")
    #expect(try !store.leaseIsFree("remote"))
    #expect(try !store.acquireLease("remote", seconds: 30))
  }
}
