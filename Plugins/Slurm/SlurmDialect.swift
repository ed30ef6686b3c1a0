import PluginKit

/// The slurmrestd OpenAPI versions this plugin speaks, most preferred first. v0.0.36–v0.0.38
/// (Slurm 21.08–22.05) share the job fields used here; newer ones (v0.0.39+) changed them
/// (environment as a list, numbers as {set, number}) and are refused with a clear error until
/// they are written and tested.
enum SlurmDialect {
  static let supported = ["v0.0.38", "v0.0.37", "v0.0.36"]

  /// The versions slurmrestd lists in its OpenAPI document, from paths such as
  /// `/slurm/v0.0.38/job/submit`.
  static func offered(byPaths paths: [String]) -> [String] {
    var versions: Set<String> = []
    for path in paths {
      let parts = path.split(separator: "/")
      guard parts.count >= 3, parts[0] == "slurm", parts[1].hasPrefix("v"),
        parts.dropFirst(2).joined(separator: "/") == "job/submit"
      else { continue }
      versions.insert(String(parts[1]))
    }
    return versions.sorted()
  }

  /// The best version both sides speak, or an error naming both lists.
  static func choose(offered: [String], pinned: String?) throws(PluginError) -> String {
    if let pinned {
      guard offered.contains(pinned) else {
        throw PluginError(
          .unsupported,
          "slurm.api_version is \(pinned) but slurmrestd offers \(offered.isEmpty ? "none" : offered.joined(separator: ", "))",
          detail: ["hint": .string("start slurmrestd with -s openapi/\(pinned), or remove slurm.api_version")])
      }
      return pinned
    }
    guard let chosen = supported.first(where: offered.contains) else {
      throw PluginError(
        .unsupported,
        "slurmrestd offers \(offered.isEmpty ? "no job API" : offered.joined(separator: ", ")); this plugin speaks "
          + supported.joined(separator: ", "),
        detail: ["hint": "start slurmrestd with -s openapi/v0.0.38 (Slurm 22.05) or an older plugin listed above"])
    }
    return chosen
  }
}
