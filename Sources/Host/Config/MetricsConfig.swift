import PluginKit

/// `metrics:`: an optional external tracker that run metrics are mirrored to.
public struct MetricsConfig: Sendable, Equatable {
  public enum Backend: String, Sendable, CaseIterable { case wandb, mlflow }

  public struct WandB: Sendable, Equatable {
    public var project: String?
    public var entity: String?
    public var group: String?
    static let keys = ["project", "entity", "group"]
  }

  /// nil: metrics stay in Goldfish only.
  public var backend: Backend?
  public var wandb: WandB?

  public init() {}

  static let keys = ["backend", "wandb"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    backend = section.optionalChoice("backend", as: Backend.self)
    if let read = section.section("wandb", keys: WandB.keys) {
      wandb = WandB(
        project: read.optionalString("project"), entity: read.optionalString("entity"),
        group: read.optionalString("group"))
    }
  }

  var json: JSONValue {
    [
      "backend": .optional(backend?.rawValue),
      "wandb": wandb.map {
        ["project": .optional($0.project), "entity": .optional($0.entity), "group": .optional($0.group)]
      } ?? .null,
    ]
  }
}
