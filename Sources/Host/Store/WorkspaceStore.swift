import GRDB

extension ProjectStore {
  public func insertWorkspace(_ record: WorkspaceRecord) throws(GoldfishError) {
    try write { db in
      if let existing = try WorkspaceRecord.fetchOne(db, key: record.name) {
        throw GoldfishError(
          .alreadyExists,
          existing.status == "deleted"
            ? "a deleted workspace was named \(record.name); names are never reused"
            : "workspace \(record.name) already exists",
          hint: "pick another name")
      }
      try record.insert(db)
    }
  }

  public func workspace(_ name: String) throws(GoldfishError) -> WorkspaceRecord? {
    try read { db in try WorkspaceRecord.fetchOne(db, key: name) }
  }

  public func workspaces(includeDeleted: Bool = false) throws(GoldfishError) -> [WorkspaceRecord] {
    try read { db in
      var request = WorkspaceRecord.order(WorkspaceRecord.CodingKeys.createdAt)
      if !includeDeleted { request = request.filter(WorkspaceRecord.CodingKeys.status == "active") }
      return try request.fetchAll(db)
    }
  }

  public func markWorkspaceDeleted(_ name: String, reason: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql:
          "UPDATE workspaces SET status = 'deleted', deleted_at = ?, delete_reason = ? WHERE name = ? AND status = 'active'",
        arguments: [Timestamp.now(), reason, name])
      guard db.changesCount == 1 else { throw GoldfishError(.notFound, "no active workspace \(name)") }
    }
  }

  /// Allocates the next version number and records it in one write transaction, so two
  /// processes versioning one workspace at the same moment get distinct numbers.
  public func addVersion(
    workspace: String, sha: String, createdBy: String, message: String, runID: String? = nil,
    tag: (Int) -> String
  ) throws(GoldfishError) -> VersionRecord {
    try write { db in
      let next =
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(MAX(version), 0) + 1 FROM workspace_versions WHERE workspace = ?",
          arguments: [workspace]) ?? 1
      let record = VersionRecord(
        workspace: workspace, version: next, tag: tag(next), sha: sha, createdAt: Timestamp.now(),
        createdBy: createdBy, message: message, runID: runID)
      try record.insert(db)
      if createdBy != "run" { try Self.insertCheckpointRecord(db, record) }
      return record
    }
  }

  public func removeVersion(workspace: String, version: Int) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "DELETE FROM experiment_records WHERE workspace = ? AND version = ? AND kind = 'checkpoint'",
        arguments: [workspace, version])
      _ = try VersionRecord.deleteOne(db, key: ["workspace": workspace, "version": version])
    }
  }

  public func versions(of workspace: String) throws(GoldfishError) -> [VersionRecord] {
    try read { db in
      try VersionRecord.filter(VersionRecord.CodingKeys.workspace == workspace)
        .order(VersionRecord.CodingKeys.version).fetchAll(db)
    }
  }

  public func version(of workspace: String, _ number: Int) throws(GoldfishError) -> VersionRecord? {
    try read { db in try VersionRecord.fetchOne(db, key: ["workspace": workspace, "version": number]) }
  }

  public func latestVersion(of workspace: String) throws(GoldfishError) -> VersionRecord? {
    try read { db in
      try VersionRecord.filter(VersionRecord.CodingKeys.workspace == workspace)
        .order(VersionRecord.CodingKeys.version.desc).fetchOne(db)
    }
  }

  public func mounts() throws(GoldfishError) -> [MountRecord] {
    try read { db in try MountRecord.order(MountRecord.CodingKeys.slot).fetchAll(db) }
  }

  public func mount(slot: String) throws(GoldfishError) -> MountRecord? {
    try read { db in try MountRecord.fetchOne(db, key: slot) }
  }

  public func mount(ofWorkspace name: String) throws(GoldfishError) -> MountRecord? {
    try read { db in try MountRecord.filter(MountRecord.CodingKeys.workspace == name).fetchOne(db) }
  }

  /// Claims a slot for a workspace; fails if either is taken (checked in one transaction).
  public func claimSlot(_ slot: String, workspace: String, sha: String) throws(GoldfishError) {
    try write { db in
      if let taken = try MountRecord.fetchOne(db, key: slot) {
        throw GoldfishError(
          .alreadyExists, "slot \(slot) already holds workspace \(taken.workspace)",
          hint: "hibernate it first: goldfish workspace hibernate \(slot) --reason …")
      }
      if let elsewhere = try MountRecord.filter(MountRecord.CodingKeys.workspace == workspace).fetchOne(db) {
        throw GoldfishError(
          .alreadyExists, "workspace \(workspace) is already mounted in slot \(elsewhere.slot)")
      }
      try MountRecord(slot: slot, workspace: workspace, mountedSHA: sha, mountedAt: Timestamp.now()).insert(db)
    }
  }

  public func updateMountedSHA(slot: String, sha: String) throws(GoldfishError) {
    try write { db in
      try db.execute(sql: "UPDATE workspace_mounts SET mounted_sha = ? WHERE slot = ?", arguments: [sha, slot])
    }
  }

  public func releaseSlot(_ slot: String) throws(GoldfishError) {
    try write { db in _ = try MountRecord.deleteOne(db, key: slot) }
  }
}
