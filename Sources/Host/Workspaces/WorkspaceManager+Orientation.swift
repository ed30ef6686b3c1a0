import Foundation

/// What `mount` tells an agent besides where the files are: where the workspace's experiments
/// stand, the newest saved version, and a warning when many workspaces are open at once.
public struct MountOrientation: Sendable {
  public struct Checkpoint: Codable, Sendable, Equatable {
    public var version: String
    public var tag: String
    public var createdAt: String
    public var createdBy: String
    public var message: String

    enum CodingKeys: String, CodingKey {
      case version, tag
      case createdAt = "created_at"
      case createdBy = "created_by"
      case message
    }
  }

  public var experimentContext: ExperimentContext
  /// The newest saved version of the workspace (by save_version, a run, a hibernate, …).
  public var lastCheckpoint: Checkpoint?
  /// Set when three or more other slots were already in use (upstream's warning; not a refusal).
  public var warning: String?

  /// More open workspaces than this and the agent is told to hibernate some.
  public static let busySlots = 3
}

extension WorkspaceManager {
  /// The orientation for `workspace`, just mounted in `slot`.
  public func orientation(mounted workspace: String, slot: String) throws(GoldfishError) -> MountOrientation {
    let others = try store.mounts().filter { $0.slot != slot }
    let holders = others.map { "\($0.slot): \($0.workspace)" }.joined(separator: ", ")
    let warning =
      others.count >= MountOrientation.busySlots
      ? "\(others.count) other slots are active (\(holders)); "
        + "hibernate the ones you are not working on so their state stays easy to follow"
      : nil
    let checkpoint = try store.latestVersion(of: workspace).map {
      MountOrientation.Checkpoint(
        version: $0.label, tag: $0.tag, createdAt: $0.createdAt, createdBy: $0.createdBy, message: $0.message)
    }
    return MountOrientation(
      experimentContext: try ExperimentContext.load(store, workspace: workspace), lastCheckpoint: checkpoint,
      warning: warning)
  }
}
