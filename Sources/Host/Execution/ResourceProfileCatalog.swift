/// The compute profiles a stage config may name: built-ins plus goldfish.yaml's overrides.
enum ResourceProfileCatalog {
  static func names(project: Project) -> [String] { project.config.profiles.names }

  static func exists(_ name: String, project: Project) -> Bool {
    project.config.profiles.definitions[name] != nil
  }
}
