import Foundation
import PluginKit

/// The pool as a person or an agent reads it (`warm_pool_status`, `goldfish pool status`, and
/// the `warm_pool` part of `status`).
public struct WarmPoolReport: Codable, Sendable {
  public var backend: String
  public var enabled: Bool
  /// Whether the backend can keep workers at all (`warm_reuse`).
  public var backendSupportsReuse: Bool
  public var maxInstances: Int
  public var idleTimeoutSeconds: Int
  public var lifetimeSeconds: Int
  public var profiles: [String]
  /// Rows per state; every state is listed.
  public var counts: [String: Int]
  /// Rows that hold a place under the cap (every state but gone).
  public var total: Int
  public var instances: [JSONValue]
  /// Rows left out of `instances`: a report lists at most `instanceLimit` workers, so one poll
  /// costs the same whatever stale rows a crashed past left behind (the cap itself is ≤ 10).
  public var instancesOmitted: Int

  public static let instanceLimit = 100

  enum CodingKeys: String, CodingKey {
    case backend, enabled
    case backendSupportsReuse = "backend_supports_reuse"
    case maxInstances = "max_instances"
    case idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds"
    case profiles, counts, total, instances
    case instancesOmitted = "instances_omitted"
  }

  public init(pool: WarmPool, includeInstances: Bool = true) throws(GoldfishError) {
    let config = pool.config
    backend = pool.backendName
    enabled = config.enabled
    backendSupportsReuse = pool.backendSupportsReuse
    maxInstances = config.maxInstances
    idleTimeoutSeconds = config.idleTimeoutSeconds
    lifetimeSeconds = config.lifetimeSeconds
    profiles = config.profiles
    let byState = try pool.store.workerCounts(backend: pool.backendName)
    counts = Dictionary(uniqueKeysWithValues: byState.map { ($0.key.rawValue, $0.value) })
    total = byState.filter { $0.key != .gone }.values.reduce(0, +)
    instances =
      includeInstances ? try pool.store.workers(backend: pool.backendName, limit: Self.instanceLimit).map(\.json) : []
    instancesOmitted = includeInstances ? max(0, byState.values.reduce(0, +) - instances.count) : 0
  }

  /// One line per state that has rows, for `goldfish status`.
  public var summary: String {
    guard enabled || total > 0 else { return "warm pool (\(backend)): off" }
    let parts = WarmWorkerState.allCases.compactMap { state in
      (counts[state.rawValue] ?? 0) > 0 ? "\(counts[state.rawValue] ?? 0) \(state.rawValue)" : nil
    }
    return "warm pool (\(backend)): \(total)/\(maxInstances)"
      + (parts.isEmpty ? " (empty)" : " — " + parts.joined(separator: ", "))
  }
}
