import Foundation
import PluginKit

extension GoldfishError.Code {
  public static let slotNotEmpty = Self("slot_not_empty")
  public static let slotEmpty = Self("slot_empty")
  public static let workspaceMounted = Self("workspace_mounted")
}

/// Workspaces and their versions. A workspace is a line of work with a goal; a version is an
/// immutable snapshot of it; a slot is a folder of plain files where one workspace is mounted.
/// Every operation on a slot holds that slot's lock across processes.
public struct WorkspaceManager: Sendable {
  static let mainBranch = "main"
  let project: Project

  static func branch(_ workspace: String) -> String { "goldfish/\(workspace)" }
  static func tag(_ workspace: String, _ version: Int) -> String { "\(workspace)-v\(version)" }

  var store: ProjectStore { project.store }
  var repository: GitRepository { project.repository }
  var excluded: Set<String> { [MountMarker.fileName] }

  // MARK: create

  public func create(
    name: String, goal: String, reason: String, from base: WorkspaceReference? = nil
  )
    throws(GoldfishError) -> WorkspaceRecord
  {
    try Names.workspace(name, slots: project.settings.slots)
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    let goal = goal.trimmingCharacters(in: .whitespacesAndNewlines)
    try TextLimits.check(goal, field: "goal", limit: TextLimits.goal)
    guard !goal.isEmpty else {
      throw GoldfishError(.invalidArgument, "a workspace needs a goal", hint: "--goal \"what this line of work tries\"")
    }
    if try store.workspace(name) != nil {
      throw GoldfishError(.alreadyExists, "workspace \(name) already exists", hint: "pick another name")
    }
    let (commit, parent) = try resolveBase(base ?? .main)
    let branch = Self.branch(name)
    // A branch without a database row is what a crash between the two steps leaves behind.
    try repository.deleteBranch(branch)
    try repository.createBranch(branch, at: commit)
    let record = WorkspaceRecord(
      name: name, goal: goal, branch: branch, parentWorkspace: parent?.workspace, parentVersion: parent?.version)
    do {
      try store.insertWorkspace(record)
    } catch {
      try? repository.deleteBranch(branch)
      throw error
    }
    try project.journal.record(
      "create_workspace", reason: reason, workspace: name,
      details: ["from": .string((base ?? .main).description)])
    BackupTrigger.fire(project, "create_workspace", details: name)
    return record
  }

  // MARK: mount

  public func mount(_ name: String, slot: String, reason: String) throws(GoldfishError) -> SlotSummary {
    try project.validateSlot(slot)
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    let workspace = try activeWorkspace(name)
    return try SlotLock.withLock(slot, in: project.paths.locks) { () throws(GoldfishError) -> SlotSummary in
      let path = project.paths.slot(slot)
      // The same mount again after one that died part-way: finish that one instead of refusing.
      if let mount = try store.mount(slot: slot), mount.workspace == name, try finishInterruptedMount(mount) {
        try project.journal.record("mount", reason: reason, slot: slot, workspace: name)
        return SlotSummary(
          slot: slot, workspace: name, version: try store.latestVersion(of: name)?.label, dirty: false,
          changedFiles: 0)
      }
      removeLeftovers(of: slot)
      _ = try slotFolder(slot)  // a link there would put the files wherever it points
      try ensureSlotFree(slot, path: path)
      guard let head = try repository.branchHead(workspace.branch) else {
        throw GoldfishError(
          .notFound, "workspace \(name) has lost its files", hint: "restore the dev folder from a backup")
      }
      try store.claimSlot(slot, workspace: name, sha: head.hex)
      StatCache.discard(statCacheFile(slot))
      SlotFaultPoint.hit(.afterClaim)
      do throws(GoldfishError) {
        try repository.materialize(head, into: path, preserving: [], linkRoots: linkRoots)
        SlotFaultPoint.hit(.afterFilesBeforeMarker)
        let latest = try store.latestVersion(of: name)
        try MountMarker(
          workspace: name, sha: head.hex, mountedAt: Timestamp.now(),
          version: latest?.sha == head.hex ? latest?.version : nil
        ).write(slotPath: path)
      } catch {
        try? store.releaseSlot(slot)
        throw error
      }
      SlotFaultPoint.hit(.beforeJournal)
      try project.journal.record("mount", reason: reason, slot: slot, workspace: name)
      return SlotSummary(
        slot: slot, workspace: name, version: try store.latestVersion(of: name)?.label, dirty: false, changedFiles: 0)
    }
  }

  // MARK: checkpoint

  /// Syncs the slot into its workspace and records a version, unless nothing changed since
  /// the latest version (then that version is returned with `created: false`).
  public func checkpoint(
    slot: String, message: String, reason: String? = nil, createdBy: String = "checkpoint", runID: String? = nil
  )
    throws(GoldfishError) -> CheckpointResult
  {
    try project.validateSlot(slot)
    let message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    try TextLimits.check(message, field: "message", limit: TextLimits.message)
    guard !message.isEmpty else {
      throw GoldfishError(.invalidArgument, "a checkpoint needs a message", hint: "--message \"what changed\"")
    }
    let result = try SlotLock.withLock(slot, in: project.paths.locks) { () throws(GoldfishError) -> CheckpointResult in
      let result = try syncAndVersion(slot: slot, message: message, createdBy: createdBy, runID: runID)
      if result.created {
        try project.journal.record(
          createdBy, reason: reason ?? message, slot: slot, workspace: result.workspace,
          details: ["version": .string(result.version), "files_changed": .int(Int64(result.changes.count))])
      }
      return result
    }
    // A run's own version is backed up with the run (Executor.start).
    if result.created && createdBy != "run" {
      BackupTrigger.fire(project, "save_version", details: "\(result.workspace) \(result.version)")
    }
    return result
  }

  /// The body of checkpoint, for callers that already hold the slot's lock.
  func syncAndVersion(
    slot: String, message: String, createdBy: String, runID: String?
  )
    throws(GoldfishError) -> CheckpointResult
  {
    let mount = try mounted(slot)
    let workspace = try activeWorkspace(mount.workspace)
    let path = try slotFolder(slot)
    _ = try finishInterruptedMount(mount)
    let latest = try store.latestVersion(of: workspace.name)
    // What the slot started from: the last save, the mounted version or a rollback target.
    let base = try CommitID.stored(mount.mountedSHA)
    let commit = try repository.commitDirectory(
      path, branch: workspace.branch, message: message, ignore: ignore(path),
      maxFileBytes: project.settings.maxFileBytes, excluding: excluded, statCachePath: statCacheFile(slot))
    try store.updateMountedSHA(slot: slot, sha: commit.commit.hex)
    if let latest, latest.sha == commit.commit.hex {
      return CheckpointResult(workspace: workspace.name, version: latest.label, created: false, changes: [])
    }
    // The slot's files are now exactly the saved state: comparing trees (subtrees with equal ids are
    // skipped) says what changed since the slot's base without reading the folder a second time.
    let changes = try repository.changes(from: base, to: commit.commit)
    let version = try store.addVersion(
      workspace: workspace.name, sha: commit.commit.hex, createdBy: createdBy, message: message, runID: runID
    ) { Self.tag(workspace.name, $0) }
    do {
      try repository.createTag(version.tag, at: commit.commit)
    } catch {
      try? store.removeVersion(workspace: workspace.name, version: version.version)
      throw error
    }
    return CheckpointResult(workspace: workspace.name, version: version.label, created: true, changes: changes)
  }

  // MARK: rollback

  /// Makes the slot hold an earlier version. Unsaved work is first saved as a version of its
  /// own, so a rollback never loses anything.
  public func rollback(slot: String, to version: Int, reason: String) throws(GoldfishError) -> CheckpointResult {
    try project.validateSlot(slot)
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    return try SlotLock.withLock(slot, in: project.paths.locks) { () throws(GoldfishError) -> CheckpointResult in
      let mount = try mounted(slot)
      guard let target = try store.version(of: mount.workspace, version) else {
        let known = try store.versions(of: mount.workspace).map(\.label)
        throw GoldfishError(
          .notFound, "workspace \(mount.workspace) has no version v\(version)",
          hint: known.isEmpty ? "it has no versions yet" : "its versions: \(known.joined(separator: ", "))")
      }
      let saved = try syncAndVersion(
        slot: slot, message: "Saved before rolling back to v\(version)", createdBy: "auto_save", runID: nil)
      // The slot's files are now exactly the saved state: what changes from it to the target is
      // what the rollback does to the slot (added: brought back, deleted: removed).
      let current = try mounted(slot).mountedSHA
      let reverted = try repository.changes(from: try CommitID.stored(current), to: try CommitID.stored(target.sha))
      let path = project.paths.slot(slot)
      StatCache.discard(statCacheFile(slot))
      try repository.materialize(
        try CommitID.stored(target.sha), into: path, preserving: excluded, linkRoots: linkRoots)
      try MountMarker(workspace: mount.workspace, sha: target.sha, mountedAt: Timestamp.now(), version: version)
        .write(slotPath: path)
      try store.updateMountedSHA(slot: slot, sha: target.sha)
      try project.journal.record(
        "rollback", reason: reason, slot: slot, workspace: mount.workspace,
        details: [
          "to": .string(target.label), "saved_first": saved.created ? .string(saved.version) : .null,
          "files_reverted": .int(Int64(reverted.count)),
        ])
      return CheckpointResult(workspace: mount.workspace, version: target.label, created: false, changes: reverted)
    }
  }

  // MARK: hibernate and delete

  /// Saves the slot (as a version when it changed) and frees it.
  public func hibernate(slot: String, reason: String) throws(GoldfishError) -> CheckpointResult {
    try project.validateSlot(slot)
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    return try SlotLock.withLock(slot, in: project.paths.locks) { () throws(GoldfishError) -> CheckpointResult in
      let result = try syncAndVersion(slot: slot, message: "Hibernate: \(reason)", createdBy: "hibernate", runID: nil)
      // The folder is moved aside in one rename before the slot is freed, then removed: a crash never
      // leaves a half-deleted slot that the next save would record as deletions. Killed before the
      // slot is freed, the slot is found recorded with no folder and restored from what was just saved.
      let path = project.paths.slot(slot)
      let aside = Self.leftoverPrefix(slot, "hibernated", in: path) + UUID().uuidString.prefix(8)
      guard rename(path, aside) == 0 else {
        throw GoldfishError(.ioFailed, "cannot empty slot \(slot): \(String(cString: strerror(errno)))")
      }
      StatCache.discard(statCacheFile(slot))
      SlotFaultPoint.hit(.hibernateAfterEmptying)
      do throws(GoldfishError) {
        try store.releaseSlot(slot)
      } catch {
        _ = rename(aside, path)
        throw error
      }
      SlotFaultPoint.hit(.hibernateAfterRelease)
      GitRepository.removeTree(aside)
      try project.journal.record(
        "hibernate", reason: reason, slot: slot, workspace: result.workspace,
        details: ["version": .string(result.version)])
      return result
    }
  }

  /// Deletes a workspace that is not mounted. Its versions stay in the repository (nothing
  /// is ever lost) and its name is never reused.
  public func delete(_ name: String, reason: String) throws(GoldfishError) {
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    _ = try activeWorkspace(name)
    if let mount = try store.mount(ofWorkspace: name) {
      throw GoldfishError(
        .workspaceMounted, "workspace \(name) is mounted in slot \(mount.slot)",
        hint: "hibernate it first: goldfish workspace hibernate \(mount.slot) --reason …")
    }
    try store.markWorkspaceDeleted(name, reason: reason)
    try project.journal.record("delete_workspace", reason: reason, workspace: name)
    BackupTrigger.fire(project, "delete_workspace", details: name)
  }

  // MARK: reading

  public func list() throws(GoldfishError) -> [WorkspaceSummary] {
    let mounts = try store.mounts()
    return try store.workspaces().map { workspace throws(GoldfishError) in
      let versions = try store.versions(of: workspace.name)
      // A goal stored before goals had a size limit must not make every listing (and `status`) huge.
      return WorkspaceSummary(
        name: workspace.name, goal: String(workspace.goal.prefix(TextLimits.goal)),
        slot: mounts.first { $0.workspace == workspace.name }?.slot, versions: versions.count,
        latestVersion: versions.last?.label,
        parent: workspace.parentWorkspace.map { parent in workspace.parentVersion.map { "\(parent)@v\($0)" } ?? parent
        },
        createdAt: workspace.createdAt)
    }
  }

  public func history(_ name: String) throws(GoldfishError) -> [VersionRecord] {
    _ = try workspaceRecord(name)
    return try store.versions(of: name)
  }

  public func slots() throws(GoldfishError) -> [SlotSummary] {
    let mounts = try store.mounts()
    return try project.settings.slots.map { slot throws(GoldfishError) in
      guard let mount = mounts.first(where: { $0.slot == slot }) else { return SlotSummary(slot: slot) }
      let path = project.paths.slot(slot)
      let versions = try store.versions(of: mount.workspace)
      let base = try CommitID.stored(mount.mountedSHA)
      let holding = versions.last { $0.sha == mount.mountedSHA } ?? versions.last
      var summary = SlotSummary(slot: slot, workspace: mount.workspace, version: holding?.label)
      var info = stat()
      if lstat(path, &info) != 0 && errno == ENOENT {
        summary.problem =
          "its folder is missing (a mount or hibernate was interrupted); the next checkpoint, hibernate, "
          + "rollback or run puts the saved files back"
        return summary
      }
      // A slot that cannot be compared is said to be so, never shown as clean.
      do throws(GoldfishError) {
        let changes = try repository.changes(
          from: base, toDirectory: try slotFolder(slot), ignore: ignore(path), excluding: excluded,
          statCachePath: statCacheFile(slot))
        summary.dirty = !changes.isEmpty
        summary.changedFiles = changes.count
      } catch {
        summary.problem = error.message
      }
      return summary
    }
  }

  // MARK: helpers

  /// The slot's stat cache (see `StatCache`): in the dev folder, beside the version store, so that
  /// it is never part of the slot's own files.
  func statCacheFile(_ slot: String) -> String {
    project.paths.devDir + "/cache/stat/" + slot
  }

  func ignore(_ slotPath: String) -> IgnoreRules {
    project.ignoreRules.adding(gitignoreAt: slotPath + "/.gitignore")
  }

  func activeWorkspace(_ name: String) throws(GoldfishError) -> WorkspaceRecord {
    let record = try workspaceRecord(name)
    guard record.status == "active" else {
      throw GoldfishError(.notFound, "workspace \(name) was deleted (\(record.deleteReason ?? "no reason"))")
    }
    return record
  }

  func workspaceRecord(_ name: String) throws(GoldfishError) -> WorkspaceRecord {
    guard let record = try store.workspace(name) else {
      let known = try store.workspaces().map(\.name)
      if project.settings.slots.contains(name) {
        let holder = try store.mount(slot: name)?.workspace
        throw GoldfishError(
          .notFound,
          "no workspace \(name): \(name) is a slot (\(holder.map { "holding workspace \($0)" } ?? "empty")), "
            + "and this takes a workspace's name, never a slot's",
          hint: holder.map { "name the workspace: \($0)" }
            ?? (known.isEmpty ? "there are no workspaces yet" : "workspaces: \(known.joined(separator: ", "))"))
      }
      throw GoldfishError(
        .notFound, "no workspace \(name)",
        hint: known.isEmpty
          ? "create one: goldfish workspace create NAME --goal … --reason …"
          : "workspaces: \(known.joined(separator: ", "))")
    }
    return record
  }

  func mounted(_ slot: String) throws(GoldfishError) -> MountRecord {
    guard let mount = try store.mount(slot: slot) else {
      throw GoldfishError(
        .slotEmpty, "slot \(slot) has no workspace mounted",
        hint: "mount one: goldfish workspace mount NAME \(slot) --reason …")
    }
    return mount
  }

  /// The slot's folder, refused when it is a symbolic link: saving would version whatever the link
  /// points at, outside the workspace.
  func slotFolder(_ slot: String) throws(GoldfishError) -> String {
    let path = project.paths.slot(slot)
    var info = stat()
    if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK { throw WorkspaceLinks.rootIsLink(path) }
    return path
  }

  /// The project's slot folders, where versions saved before absolute links were refused may point.
  var linkRoots: [String] {
    project.settings.slots.flatMap { slot -> [String] in
      let path = project.paths.slot(slot)
      let parent = (path as NSString).deletingLastPathComponent
      guard let resolved = realpath(parent, nil) else { return [path] }
      defer { free(resolved) }
      return [path, String(cString: resolved) + "/" + slot]
    }
  }

  /// A mount killed part-way leaves the slot recorded as mounted with no folder (its files were still
  /// in a hidden staging folder). Caller holds the slot's lock. The files are put in place from the
  /// state the mount recorded, which nothing can have changed since: the slot can then be used and
  /// freed like any other. Staging folders the killed mount left are removed. True when it repaired.
  func finishInterruptedMount(_ mount: MountRecord) throws(GoldfishError) -> Bool {
    let path = project.paths.slot(mount.slot)
    removeLeftovers(of: mount.slot)
    var info = stat()
    guard lstat(path, &info) != 0 && errno == ENOENT else { return false }
    let sha = try CommitID.stored(mount.mountedSHA)
    StatCache.discard(statCacheFile(mount.slot))
    try repository.materialize(sha, into: path, preserving: [], linkRoots: linkRoots)
    let version = try store.versions(of: mount.workspace).last { $0.sha == mount.mountedSHA }?.version
    try MountMarker(workspace: mount.workspace, sha: mount.mountedSHA, mountedAt: mount.mountedAt, version: version)
      .write(slotPath: path)
    return true
  }

  /// Where a slot's hidden siblings start: `.w1.goldfish-staging-…` (a mount's files before they
  /// are swapped in) and `.w1.goldfish-hibernated-…` (a hibernated slot's folder before removal).
  static func leftoverPrefix(_ slot: String, _ kind: String, in path: String) -> String {
    (path as NSString).deletingLastPathComponent + "/." + slot + ".goldfish-" + kind + "-"
  }

  /// Removes what a mount or hibernate killed part-way left beside the slot. Caller holds the
  /// slot's lock, so no live operation of this slot owns them; everything in them is saved.
  func removeLeftovers(of slot: String) {
    let path = project.paths.slot(slot)
    let parent = (path as NSString).deletingLastPathComponent
    let prefixes = ["staging", "hibernated"].map { "." + slot + ".goldfish-" + $0 + "-" }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    where prefixes.contains(where: name.hasPrefix) {
      GitRepository.removeTree(parent + "/" + name)
    }
  }

  private func ensureSlotFree(_ slot: String, path: String) throws(GoldfishError) {
    if let mount = try store.mount(slot: slot) {
      throw GoldfishError(
        .slotNotEmpty, "slot \(slot) already holds workspace \(mount.workspace)",
        hint: "hibernate it first: goldfish workspace hibernate \(slot) --reason …")
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    guard entries.isEmpty else {
      throw GoldfishError(
        .slotNotEmpty, "slot folder \(path) holds files that no workspace owns",
        hint: "move them elsewhere (or create a workspace from them) and retry",
        detail: ["files": .array(entries.prefix(10).map { .string($0) })])
    }
  }

  private func resolveBase(_ base: WorkspaceReference) throws(GoldfishError) -> (CommitID, WorkspaceReference?) {
    if base.workspace == Self.mainBranch && base.version == nil {
      guard let head = try repository.branchHead(Self.mainBranch) else {
        throw GoldfishError(.notFound, "the project has no initial files", hint: "was it created by goldfish init?")
      }
      return (head, nil)
    }
    let parent = try activeWorkspace(base.workspace)
    if let version = base.version {
      guard let record = try store.version(of: parent.name, version) else {
        throw GoldfishError(.notFound, "workspace \(parent.name) has no version v\(version)")
      }
      return (try CommitID.stored(record.sha), base)
    }
    guard let head = try repository.branchHead(parent.branch) else {
      throw GoldfishError(.notFound, "workspace \(parent.name) has lost its files")
    }
    return (
      head, WorkspaceReference(workspace: parent.name, version: try store.latestVersion(of: parent.name)?.version)
    )
  }
}
