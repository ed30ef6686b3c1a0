import PluginKit

extension ProjectSettings {
  /// Reads the keys the core needs straight from goldfish.yaml.
  init(document: ConfigDocument) throws(GoldfishError) {
    guard let name = document.value(at: "project_name")?.stringValue, !name.isEmpty else {
      throw GoldfishError(
        .configInvalid, "\(document.locate("project_name")) is required",
        hint: "add `project_name: my-project` at the top of goldfish.yaml")
    }
    self.init(projectName: name)
    if let value = document.value(at: "dev_repo_path")?.stringValue { devRepoPath = value }
    if let value = document.value(at: "workspaces_dir")?.stringValue { workspacesDir = value }
    if let count = document.value(at: "slots")?.intValue, count >= 1 {
      slots = (1...Int(count)).map { "w\($0)" }
    } else if let list = document.value(at: "slots")?.arrayValue {
      slots = list.compactMap(\.stringValue)
    }
    if let value = document.value(at: "state_md.path")?.stringValue { stateMDPath = value }
    if let value = document.value(at: "state_md.max_recent_actions")?.intValue { maxRecentActions = Int(value) }
    if let value = document.value(at: "audit.min_reason_length")?.intValue { minReasonLength = Int(value) }
    if let value = document.value(at: "versioning.max_file_mb")?.intValue { maxFileBytes = value << 20 }
    if let list = document.value(at: "versioning.ignore")?.arrayValue { extraIgnorePatterns = list.compactMap(\.stringValue) }
    if let list = document.value(at: "invariants")?.arrayValue { invariants = list.compactMap(\.stringValue) }
  }
}
