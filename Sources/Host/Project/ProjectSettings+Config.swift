extension ProjectSettings {
  /// The core's view of the typed goldfish.yaml.
  public init(config: GoldfishConfig) {
    self.init(projectName: config.projectName)
    devRepoPath = config.devRepoPath
    workspacesDir = config.workspacesDir
    slots = config.slots
    stateMDPath = config.stateMD.path
    maxRecentActions = config.stateMD.maxRecentActions
    minReasonLength = config.audit.minReasonLength
    maxFileBytes = config.versioning.maxFileBytes
    extraIgnorePatterns = config.versioning.ignore
    invariants = config.invariants
  }
}
