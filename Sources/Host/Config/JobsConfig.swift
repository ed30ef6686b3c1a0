import PluginKit

/// `jobs:`: which services run stages and what a stage container may use.
public struct JobsConfig: Sendable, Equatable {
  /// The run backend service that runs stages.
  public var backend = "process"
  /// The image builder service, when stages run in images.
  public var imageBuilder: String?
  /// Relative to the project folder.
  public var experimentsDir = "experiments"
  public var containerMemory: MemorySize?
  public var containerCPUs: Double?
  public var containerPIDs: Int?
  /// How many independent stages of one pipeline run at the same time.
  public var maxParallelStages = 4

  public init() {}

  static let keys = [
    "backend", "image_builder", "experiments_dir", "container_memory", "container_cpus", "container_pids",
    "max_parallel_stages", "infra_path", "gce",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    backend = section.string("backend", default: backend)
    imageBuilder = section.optionalString("image_builder")
    experimentsDir = section.relativePath("experiments_dir", default: experimentsDir)
    containerMemory = Self.memory(section)
    containerCPUs = Self.cpus(section)
    containerPIDs = section.optionalInt("container_pids", .atLeast(1))
    maxParallelStages = section.int("max_parallel_stages", default: maxParallelStages, .range(1...64))
    if section.has("infra_path") {
      section.problems.note(section.key("infra_path"), "ignored: Goldfish has no infra folder (upstream never used it)")
    }
    // `gce` is upstream's old place for the gce section; GoldfishConfig moves it to the top level.
  }

  private static func memory(_ section: ConfigSection) -> MemorySize? {
    let key = "container_memory"
    let text: String
    switch section.value(key) {
    case nil: return nil
    case .int(let bytes)?: text = "\(bytes)"
    case .string(let written)?: text = written
    case let other?:
      section.problems.add(
        ConfigError.wrongType(
          section.document, section.key(key), expected: "a memory size such as \"8g\"", found: other))
      return nil
    }
    guard let size = MemorySize(text) else {
      section.problems.add(
        ConfigError.outOfRange(
          section.document, section.key(key), value: "\"\(text)\"",
          allowed: "a positive amount with an optional unit b, k, m, g or t (e.g. \"512m\", \"8g\")"))
      return nil
    }
    return size
  }

  /// Written as a number or, as upstream does, a string such as "4.0".
  private static func cpus(_ section: ConfigSection) -> Double? {
    let key = "container_cpus"
    guard let value = section.value(key) else { return nil }
    let number: Double?
    switch value {
    case .int(let whole): number = Double(whole)
    case .double(let fraction): number = fraction
    case .string(let text): number = Double(text)
    default: number = nil
    }
    guard let number, number.isFinite else {
      section.problems.add(
        ConfigError.wrongType(
          section.document, section.key(key), expected: "a number of CPUs such as 4 or \"0.5\"", found: value))
      return nil
    }
    guard number > 0 else {
      section.problems.add(
        ConfigError.outOfRange(section.document, section.key(key), value: "\(number)", allowed: "greater than 0"))
      return nil
    }
    return number
  }

  var json: JSONValue {
    [
      "backend": .string(backend), "image_builder": .optional(imageBuilder), "experiments_dir": .string(experimentsDir),
      "container_memory": .optional(containerMemory?.text), "container_cpus": .optional(containerCPUs),
      "container_pids": .optional(containerPIDs), "max_parallel_stages": .number(maxParallelStages),
    ]
  }
}
