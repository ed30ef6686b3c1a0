extension WorkspaceManager {
  /// What a diff compares: a slot's current files or a committed state.
  enum DiffSide {
    case slot(String, path: String)
    case commit(CommitID, label: String)
  }

  /// `diff SLOT` (slot vs its latest version), `diff WS@vN` (vN vs the version before it),
  /// `diff A B` (any two of slots, WS, WS@vN; a bare `vN` is a version of the other side's workspace).
  public func diff(_ firstText: String, _ secondText: String? = nil) throws(GoldfishError) -> WorkspaceDiff {
    let (first, second) = try qualifyingBareVersions(firstText, secondText)
    let left: DiffSide
    let right: DiffSide
    if let second {
      left = try side(first)
      right = try side(second)
    } else {
      right = try side(first)
      left = try previous(of: right, named: first)
    }
    guard case .commit(let base, let baseLabel) = left else {
      guard case .commit(let other, let otherLabel) = right else {
        throw GoldfishError(
          .invalidArgument, "compare a slot with a version, not two slots", hint: "e.g. diff w1 baseline@v2")
      }
      // Put the committed side first so the patch reads as "from version to slot" reversed.
      return try compare(other, otherLabel, with: left, reversed: true)
    }
    return try compare(base, baseLabel, with: right, reversed: false)
  }

  private func compare(
    _ base: CommitID, _ baseLabel: String, with side: DiffSide, reversed: Bool
  )
    throws(GoldfishError) -> WorkspaceDiff
  {
    switch side {
    case .commit(let other, let label):
      let (from, to, fromLabel, toLabel) = reversed ? (other, base, label, baseLabel) : (base, other, baseLabel, label)
      return WorkspaceDiff(
        from: fromLabel, to: toLabel, changes: try repository.changes(from: from, to: to),
        patch: try repository.unifiedDiff(from: from, to: to))
    case .slot(let slot, let path):
      let rules = ignore(path)
      let changes = try repository.changes(
        from: base, toDirectory: path, ignore: rules, excluding: excluded, statCachePath: statCacheFile(slot))
      let patch = try repository.unifiedDiff(from: base, toDirectory: path, ignore: rules, excluding: excluded)
      // A slot is always shown as the newer side.
      return WorkspaceDiff(from: baseLabel, to: "slot \(slot)", changes: changes, patch: patch)
    }
  }

  /// Upstream's `diff w1 v2`: a bare `vN` (that is not also a workspace's name) is a version of
  /// the workspace the other side names.
  private func qualifyingBareVersions(
    _ first: String, _ second: String?
  ) throws(GoldfishError) -> (String, String?) {
    let firstBare = try isBareVersion(first)
    let secondBare = try second.map { text throws(GoldfishError) in try isBareVersion(text) } ?? false
    let slot = project.settings.slots.first ?? "w1"
    switch (firstBare, secondBare, second) {
    case (true, _, nil):
      throw GoldfishError(
        .invalidArgument, "\(first) names a version but not its workspace",
        hint: "give the workspace or a slot too: diff WS@\(first), or diff \(slot) \(first)")
    case (true, true, _):
      throw GoldfishError(
        .invalidArgument, "neither \(first) nor \(second ?? "") names a workspace",
        hint: "e.g. diff WS@\(first) WS@\(second ?? ""), or diff \(slot) \(second ?? "")")
    case (true, false, let other?):
      return ("\(try workspaceName(of: other))@\(first)", other)
    case (false, true, let other?):
      return (first, "\(try workspaceName(of: first))@\(other)")
    default:
      return (first, second)
    }
  }

  private func isBareVersion(_ text: String) throws(GoldfishError) -> Bool {
    guard text.wholeMatch(of: /v[0-9]+/) != nil else { return false }
    return try store.workspace(text) == nil
  }

  private func workspaceName(of text: String) throws(GoldfishError) -> String {
    if project.settings.slots.contains(text) { return try mounted(text).workspace }
    return try WorkspaceReference(parsing: text).workspace
  }

  private func side(_ text: String) throws(GoldfishError) -> DiffSide {
    if project.settings.slots.contains(text) {
      _ = try mounted(text)
      return .slot(text, path: try slotFolder(text))
    }
    let reference = try WorkspaceReference(parsing: text)
    let workspace = try workspaceRecord(reference.workspace)
    if let version = reference.version {
      guard let record = try store.version(of: workspace.name, version) else {
        throw GoldfishError(.notFound, "workspace \(workspace.name) has no version v\(version)")
      }
      return .commit(try CommitID.stored(record.sha), label: reference.description)
    }
    guard let head = try repository.branchHead(workspace.branch) else {
      throw GoldfishError(.notFound, "workspace \(workspace.name) has lost its files")
    }
    return .commit(head, label: workspace.name)
  }

  private func previous(of side: DiffSide, named text: String) throws(GoldfishError) -> DiffSide {
    switch side {
    case .slot(let slot, _):
      let mount = try mounted(slot)
      if let version = try store.versions(of: mount.workspace).last(where: { $0.sha == mount.mountedSHA }) {
        return .commit(try CommitID.stored(version.sha), label: "\(mount.workspace)@\(version.label)")
      }
      return .commit(try CommitID.stored(mount.mountedSHA), label: "\(mount.workspace) as mounted")
    case .commit:
      let reference = try WorkspaceReference(parsing: text)
      let versions = try store.versions(of: reference.workspace)
      let number = reference.version ?? versions.last?.version ?? 0
      guard let earlier = versions.last(where: { $0.version < number }) else {
        throw GoldfishError(
          .invalidArgument, "\(text) has no earlier version to compare with",
          hint: "name two sides: diff \(text) OTHER@vN")
      }
      return .commit(try CommitID.stored(earlier.sha), label: "\(reference.workspace)@\(earlier.label)")
    }
  }
}
