import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Backup tiers, rate limit, retention and triggers")
struct BackupPolicyTests {
  static func date(_ text: String) throws -> Date {
    try #require(BackupManager.date(text))
  }

  @Test("the first backup of a month, week and day take those tiers; the rest are events")
  func tiers() throws {
    let (fixture, _) = try BackupFixture.project(extra: "backup:\n  automatic: false\n")
    let manager = BackupManager(project: fixture.project)
    // 2026-12-03 is a Thursday; 2026-12-07 starts the next ISO week.
    let moments = [
      "2026-12-03T10:00:00.000Z", "2026-12-03T10:10:00.000Z", "2026-12-03T10:20:00.000Z", "2026-12-03T10:30:00.000Z",
      "2026-12-04T09:00:00.000Z", "2026-12-07T09:00:00.000Z", "2027-01-01T09:00:00.000Z",
    ]
    var tiers: [BackupTier] = []
    for moment in moments {
      tiers.append(try BackupFixture.created(manager.create(trigger: "manual", now: try Self.date(moment))).tier)
    }
    #expect(tiers == [.monthly, .weekly, .daily, .event, .daily, .weekly, .monthly])
    #expect(try manager.list(includeDeleted: true).count == moments.count)
    let kept = try manager.list()
    let monthly = try #require(kept.first { $0.tier == .monthly })
    let expires = try #require(BackupManager.date(monthly.expiresAt))
    let created = try #require(BackupManager.date(monthly.createdAt))
    #expect(expires.timeIntervalSince(created) == 365 * 86_400)
  }

  @Test("run triggers are rate limited; create_workspace, save_version and delete_workspace are not")
  func rateLimit() throws {
    let (fixture, _) = try BackupFixture.project(extra: "backup:\n  automatic: false\n")
    let manager = BackupManager(project: fixture.project)
    let start = try Self.date("2026-12-03T10:00:00.000Z")
    _ = try BackupFixture.created(manager.create(trigger: "run", now: start))
    guard case .skipped(let reason) = try manager.create(trigger: "run", now: start.addingTimeInterval(120)) else {
      Issue.record("a run two minutes after a backup was not rate limited")
      return
    }
    #expect(reason.contains("300"))
    for trigger in ["create_workspace", "save_version", "delete_workspace"] {
      _ = try BackupFixture.created(manager.create(trigger: trigger, now: start.addingTimeInterval(180)))
    }
    _ = try BackupFixture.created(manager.create(trigger: "run", now: start.addingTimeInterval(180 + 301)))
  }

  @Test("cleanup deletes expired backups and events beyond the limit, in storage and the manifest")
  func cleanup() throws {
    let (fixture, storage) = try BackupFixture.project(extra: "backup:\n  automatic: false\n  event_max: 2\n")
    let manager = BackupManager(project: fixture.project)
    let start = try Self.date("2026-12-03T10:00:00.000Z")
    var created: [BackupRecord] = []
    for minute in 0..<7 {
      created.append(
        try BackupFixture.created(manager.create(trigger: "manual", now: start.addingTimeInterval(Double(minute) * 60)))
      )
    }
    // monthly, weekly, daily, then four events: the oldest two events went at the last backup.
    let events = created.filter { $0.tier == .event }
    #expect(events.count == 4)
    #expect(try manager.list(tier: .event).map(\.id) == events.suffix(2).reversed().map(\.id))
    for gone in events.prefix(2) {
      #expect(!FileManager.default.fileExists(atPath: storage + "/" + gone.databaseKey))
    }
    // A day later the remaining events and the daily one have expired (7 days is not over).
    let later = try manager.cleanup(now: start.addingTimeInterval(25 * 3_600))
    #expect(Set(later.deletedExpired) == Set(events.suffix(2).map(\.id)))
    #expect(try manager.list().map(\.tier).sorted { $0.rawValue < $1.rawValue } == [.daily, .monthly, .weekly])
    let manifest = try BackupFixture.manifest(in: storage)
    #expect(manifest.backups.filter { $0.deletedAt != nil }.count == 4)
    #expect(try manager.list(includeDeleted: true).count == 7)
    let status = try manager.status(now: start.addingTimeInterval(8 * 86_400))
    #expect(status.expiredPendingCleanup == 1)
  }

  @Test("create_workspace, save_version and delete_workspace back up in the background and record it")
  func triggers() throws {
    let (fixture, _) = try BackupFixture.project()
    let project = fixture.project
    #expect(BackupTrigger.waitForPending())
    #expect(try project.store.backups().contains { $0.trigger == "create_workspace" && $0.details == "line" })
    try fixture.write("more.txt", "a change")
    _ = try project.workspaces.checkpoint(slot: "w1", message: "a saved version")
    _ = try project.workspaces.create(name: "gone", goal: "to be deleted", reason: goodReason)
    try project.workspaces.delete("gone", reason: goodReason)
    #expect(BackupTrigger.waitForPending())
    let triggers = Set(try project.store.backups().map(\.trigger))
    #expect(triggers.isSuperset(of: ["create_workspace", "save_version", "delete_workspace"]))
  }

  @Test("a failed backup is a failed row with its error, and the call that triggered it still succeeds")
  func failureIsRecorded() throws {
    let (fixture, storage) = try BackupFixture.project(extra: "backup:\n  rate_limit_seconds: 0\n")
    #expect(BackupTrigger.waitForPending())
    // The storage root becomes a plain file: every write below it fails.
    try FileManager.default.removeItem(atPath: storage)
    try "not a folder".write(toFile: storage, atomically: true, encoding: .utf8)
    _ = try fixture.project.workspaces.create(name: "still", goal: "created anyway", reason: goodReason)
    #expect(BackupTrigger.waitForPending())
    #expect(try fixture.project.store.workspace("still") != nil)
    let status = try BackupManager(project: fixture.project).status()
    let failure = try #require(status.lastFailure)
    #expect(failure.trigger == "create_workspace" && failure.error?.isEmpty == false)
  }

  @Test("with the default storage inside .goldfish/, automatic backups wait and status says why")
  func storageInsideTheProjectData() throws {
    let fixture = try SamplePipeline.project()
    #expect(BackupTrigger.waitForPending())
    let manager = BackupManager(project: fixture.project)
    #expect(try manager.list().isEmpty)
    let status = try manager.status()
    #expect(status.warning?.contains("file.root") == true)
    // By hand it still works (a copy against a damaged database, not a lost folder).
    _ = try BackupFixture.created(manager.create(trigger: "manual"))
  }

  @Test("backup.enabled false refuses by hand with the key to change")
  func disabled() throws {
    let (fixture, _) = try BackupFixture.project(extra: "backup:\n  enabled: false\n")
    #expect {
      try BackupManager(project: fixture.project).create(trigger: "manual")
    } throws: { error in
      guard let error = error as? GoldfishError else { return false }
      return error.code == .backupsDisabled && error.hint?.contains("backup.enabled") == true
    }
  }
}
