extension Project {
  /// A validator for the pipeline in `directory`, checking datasets against this project's
  /// sources and profiles against its goldfish.yaml.
  public func pipelineValidator(directory: String) -> PipelineValidator {
    let store = self.store
    let profiles = config.profiles
    return PipelineValidator(
      workspaceDirectory: directory,
      datasetExists: { name in (try? store.source(name)) != nil },
      profileExists: { name in profiles.definitions[name] != nil },
      knownProfiles: profiles.names)
  }
}
