import Foundation
import PluginKit

/// The `process` section of goldfish.yaml as the backend reads it: the one place its keys and
/// defaults are written, used by open() and by check_config alike.
struct ProcessSettings: Sendable {
  private struct Raw: Decodable {
    var runner: String?
    /// required | auto (default) | off; see SandboxMode.
    var sandbox: JSONValue?
    /// Where bubblewrap is, when not in /usr/bin, /bin or /usr/local/bin.
    var bwrap: String?
    /// goldfish-agent for warm workers; absent means next to goldfish-runner.
    var agent: String?
  }

  static let keys = ["runner", "sandbox", "bwrap", "agent"]
  /// The host's own key in the section: the warm pool of this backend.
  static let hostKeys = ["warm_pool"]

  let runner: String
  let sandboxMode: SandboxMode
  let bwrap: String?
  let agent: String?

  init(config: JSONValue) throws(PluginError) {
    let raw = try ProcessBackend.decodeConfig(Raw.self, from: config)
    runner = try RunnerLocator.find(configured: raw.runner)
    sandboxMode = try SandboxMode.parse(raw.sandbox)
    bwrap = raw.bwrap
    agent = raw.agent
  }

  var effective: JSONValue {
    [
      "runner": .string(runner), "sandbox": .string(sandboxMode.rawValue), "bwrap": bwrap.map { .string($0) } ?? .null,
      "agent": agent.map { .string($0) } ?? .null,
    ]
  }

  static func report(_ config: JSONValue) -> ConfigReport {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: keys, ignored: hostKeys)
    do {
      return ConfigReport(effective: try ProcessSettings(config: config).effective, problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }
}
