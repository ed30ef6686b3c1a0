import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("database migrations")
struct MigrationTests {
  @Test("a database from an older migration is upgraded in place on open, keeping its rows")
  func upgradesOlderDatabase() throws {
    let path = TestEnvironment.temporaryFolder("migrate") + "/goldfish.db"
    let old = try DatabaseQueue(path: path)
    try Migrations.migrator.migrate(old, upTo: "v1-workspaces")
    try old.write { db in
      try db.execute(
        sql:
          "INSERT INTO workspaces (name, goal, branch, created_at) VALUES ('kept', 'survive the upgrade', 'goldfish/kept', '2026-01-01T00:00:00Z')"
      )
    }
    try old.close()
    let store = try ProjectStore.open(path: path)
    #expect(try store.appliedMigrations() == Migrations.identifiers.sorted())
    #expect(try store.workspace("kept")?.goal == "survive the upgrade")
    try store.createStageRun(
      StageRunRecord(id: "stage-1", workspace: "kept", version: 1, pipeline: "p", stage: "s", reason: goodReason))
    #expect(try store.stageRun("stage-1")?.state == .preparing)
  }

  @Test("the database runs in WAL mode so readers never block the writer")
  func walMode() throws {
    let store = try ProjectStore.open(path: TestEnvironment.temporaryFolder("wal") + "/goldfish.db")
    let mode = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
    #expect(mode == "wal")
  }
}
