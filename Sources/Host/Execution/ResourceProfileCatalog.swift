/// The compute profiles a stage config may name.
enum ResourceProfileCatalog {
  static func names(project: Project) -> [String] {
    ["cpu-small", "cpu-large", "h100-spot", "h100-on-demand", "a100-spot", "a100-on-demand"]
  }

  static func exists(_ name: String, project: Project) -> Bool {
    names(project: project).contains(name)
  }
}
