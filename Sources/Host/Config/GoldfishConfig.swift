import PluginKit

/// goldfish.yaml, typed: every section with its defaults filled in and every value checked.
public struct GoldfishConfig: Sendable, Equatable {
  public var projectName: String
  /// The hidden dev repo (versions and the database), relative to the project folder. Upstream
  /// resolves it against the project's *parent*; inside the project keeps a project one folder
  /// that can be moved or copied whole, and keeps every path Goldfish writes under one root.
  public var devRepoPath = ".goldfish"
  /// Slots live at `<project>/<workspaces_dir>/<slot>`.
  public var workspacesDir = "workspaces"
  public var slots = ["w1", "w2", "w3"]
  /// Rules for the agent, written into STATE.md as things it must not change.
  public var invariants: [String] = []
  public var stateMD = StateMDConfig()
  public var audit = AuditConfig()
  public var defaults = DefaultsConfig()
  public var jobs = JobsConfig()
  public var storage = StorageConfig()
  /// `gcs:` as written (with upstream's `gce.gcs_bucket` as its bucket when it has none): the
  /// gcs storage's section, which that plugin checks and reports (`check_config`).
  public var gcs: JSONValue?
  public var versioning = VersioningConfig()
  public var gce: GCEConfig?
  public var docker = DockerConfig()
  public var svs = SVSConfig()
  public var metrics = MetricsConfig()
  public var preRunReview = PreRunReviewConfig()
  public var backup = BackupConfig()
  public var plugins = PluginsConfig()
  /// The sections named after plugin services (`cdir:`, `process:`, …), handed to them as they are.
  public var services: [String: JSONValue] = [:]
  /// `warm_pool:` of plugin service sections (`process.warm_pool`), checked like gce's.
  public var serviceWarmPools: [String: WarmPoolConfig] = [:]
  /// Built-in compute profiles with `gce.profile_overrides` applied.
  public var profiles = ResourceProfiles()
  /// What the loader rewrote or ignored (upstream migrations, keys without effect): warnings.
  public var notes: [ConfigNote] = []

  public init(projectName: String) { self.projectName = projectName }

  /// The top-level keys Goldfish accepts itself, in the order `config show` prints them. `gce`,
  /// `gcs` and `docker` are shared with the plugins of those names, which own every key the host
  /// does not read; `local` is upstream's and has no effect here.
  public static let sectionKeys = [
    "project_name", "dev_repo_path", "workspaces_dir", "slots", "invariants", "state_md", "audit", "defaults", "jobs",
    "storage", "gcs", "versioning", "gce", "docker", "local", "svs", "metrics", "pre_run_review", "plugins",
    "backup",
  ]
  /// Accepted only to be moved elsewhere (upstream's old spellings).
  static let migratedKeys = ["extra_packages"]
  /// Slots beyond this are a typo, not a plan: each one is a folder in the project.
  static let maxSlotCount = 100

  /// Reads the config of `document`. A top-level key that is not a Goldfish section is the
  /// section of the service with that name, so it is accepted only when `serviceNames` holds it.
  /// Throws the first problem in file order, with every problem in `detail["errors"]`.
  public static func load(
    _ document: ConfigDocument, serviceNames: Set<String>
  ) throws(GoldfishError)
    -> GoldfishConfig
  {
    let problems = ConfigProblems(document: document)
    let config = read(document, serviceNames: serviceNames, problems: problems)
    try problems.finish()
    return config
  }

  /// Loads `<project>/goldfish.yaml`.
  public static func load(
    project: ProjectLocation, serviceNames: Set<String>
  ) throws(GoldfishError)
    -> GoldfishConfig
  {
    try load(ConfigDocument.load(project.configPath), serviceNames: serviceNames)
  }

  static func read(
    _ document: ConfigDocument, serviceNames: Set<String>, problems: ConfigProblems
  )
    -> GoldfishConfig
  {
    let fields = document.root.objectValue ?? [:]
    let root = ConfigSection(path: "", fields: fields, problems: problems)
    let services = readServiceSections(root, serviceNames: serviceNames)

    var config = GoldfishConfig(projectName: projectName(root))
    config.services = services
    config.devRepoPath = root.relativePath("dev_repo_path", default: config.devRepoPath)
    if root.has("dev_repo_path") && config.devRepoPath != GoldfishConfig(projectName: "").devRepoPath {
      problems.note(
        "dev_repo_path", "relative to the project folder (upstream Goldfish resolves it against the parent)")
    }
    config.workspacesDir = root.relativePath("workspaces_dir", default: config.workspacesDir)
    config.slots = slots(root) ?? config.slots
    config.invariants = root.strings("invariants")
    config.stateMD = StateMDConfig(reading: root.section("state_md", keys: StateMDConfig.keys))
    config.audit = AuditConfig(reading: root.section("audit", keys: AuditConfig.keys))
    config.defaults = DefaultsConfig(reading: root.section("defaults", keys: DefaultsConfig.keys))
    let jobs = root.section("jobs", keys: JobsConfig.keys)
    config.jobs = JobsConfig(reading: jobs)
    config.storage = StorageConfig(reading: root.section("storage", keys: StorageConfig.keys))
    config.versioning = VersioningConfig(reading: root.section("versioning", keys: VersioningConfig.keys))

    let gceSection = readGCESection(root, jobs: jobs)
    config.gce = gceSection.map(GCEConfig.init(reading:))
    config.gcs = gcsSection(root, migratedBucket: migratedBucket(root, gce: gceSection))
    if config.storage.backend == "gcs" && config.gcs == nil {
      problems.add(
        ConfigError.invalid(
          document, "storage.backend", "is gcs but there is no gcs: section",
          hint: "add `gcs:` with `bucket: my-bucket` at the top level"))
    }
    let resolved = ResourceProfiles.read(
      overrides: config.gce?.profileOverrides ?? [:], at: config.gce?.profileOverridesPath,
      globalZones: config.gce?.zones, problems: problems)
    config.profiles = resolved.profiles
    config.gce?.profileOverrides = resolved.migrated
    if let gce = config.gce, let section = gceSection {
      checkWarmPoolProfiles(gce.warmPool, names: config.profiles.names, at: section.key("warm_pool"), problems)
    }
    config.serviceWarmPools = readServiceWarmPools(root, services: services)
    for (name, pool) in config.serviceWarmPools {
      checkWarmPoolProfiles(pool, names: config.profiles.names, at: "\(name).warm_pool", problems)
    }

    config.docker = DockerConfig(reading: sharedSection(root, "docker"), rootExtraPackages: rootExtraPackages(root))
    checkWarmPoolProfiles(config.docker.warmPool, names: config.profiles.names, at: "docker.warm_pool", problems)
    if root.has("local") {
      problems.note(
        "local",
        "ignored: upstream's local emulation settings have no effect here (local runs use the process or "
          + "docker backend, whose own sections configure them)")
    }
    config.svs = SVSConfig(reading: root.section("svs", keys: SVSConfig.keys + MetricHealthConfig.keys))
    config.metrics = MetricsConfig(reading: root.section("metrics", keys: MetricsConfig.keys))
    config.preRunReview = PreRunReviewConfig(reading: root.section("pre_run_review", keys: PreRunReviewConfig.keys))
    config.backup = BackupConfig(reading: root.section("backup", keys: BackupConfig.keys))
    config.plugins = problems.attempt(PluginsConfig()) { () throws(GoldfishError) in
      try PluginsConfig(from: document)
    }
    config.notes = problems.notes
    return config
  }

  /// Unknown top-level keys are errors unless a loaded plugin registers a service of that name.
  private static func readServiceSections(_ root: ConfigSection, serviceNames: Set<String>) -> [String: JSONValue] {
    let known = Set(sectionKeys + migratedKeys)
    var services: [String: JSONValue] = [:]
    for key in root.fields.keys.sorted() where !known.contains(key) {
      guard serviceNames.contains(key) else {
        let allowed = sectionKeys + serviceNames.sorted()
        root.problems.add(
          ConfigError.unknownKey(root.document, key, allowed: allowed).withHint(
            "a top-level key may also name a service of a loaded plugin"
              + (serviceNames.isEmpty ? " (none is loaded)" : "")))
        continue
      }
      let value = root.fields[key] ?? .null
      guard value.isNull || value.objectValue != nil else {
        root.problems.add(
          ConfigError.wrongType(
            root.document, key, expected: "a mapping (the settings of the \(key) service)", found: value))
        continue
      }
      services[key] = value.isNull ? [:] : value
    }
    return services
  }

  /// The `warm_pool:` mapping of each plugin service section that has one. The rest of the
  /// section belongs to the plugin; the pool belongs to the host, so the host checks it.
  private static func readServiceWarmPools(
    _ root: ConfigSection, services: [String: JSONValue]
  )
    -> [String: WarmPoolConfig]
  {
    var pools: [String: WarmPoolConfig] = [:]
    for (name, value) in services {
      guard
        let section = ConfigSection.read(
          value["warm_pool"], at: "\(name).warm_pool", keys: WarmPoolConfig.keys, problems: root.problems)
      else { continue }
      pools[name] = WarmPoolConfig(reading: section)
    }
    return pools
  }

  /// The warm pool settings of a run backend: `<backend>.warm_pool`, off when absent.
  public func warmPool(for backend: String) -> WarmPoolConfig {
    switch backend {
    case "gce": return gce?.warmPool ?? WarmPoolConfig()
    case "docker": return docker.warmPool
    default: return serviceWarmPools[backend] ?? WarmPoolConfig()
    }
  }

  private static func projectName(_ root: ConfigSection) -> String {
    guard root.has("project_name") else {
      root.problems.add(
        ConfigError.invalid(
          root.document, "project_name", "is required", hint: "add `project_name: my-project` at the top"))
      return ""
    }
    guard let name = root.optionalString("project_name") else { return "" }
    if let failure = NameRule.rule(for: .workspace).firstFailure(in: name) {
      root.problems.add(
        ConfigError.invalid(
          root.document, "project_name", "\(NameRule.quoted(name)) is not a valid project name: \(failure)",
          hint:
            "1-64 letters, digits, \"_\" or \"-\", starting and ending with a letter or digit, e.g. \"mnist-baseline\"")
      )
    }
    return name
  }

  /// A list of slot names, or a count N meaning w1…wN.
  private static func slots(_ root: ConfigSection) -> [String]? {
    guard let value = root.value("slots") else { return nil }
    let problems = root.problems
    if case .int = value {
      guard let count = root.optionalInt("slots", .range(1...maxSlotCount)) else { return nil }
      return (1...count).map { "w\($0)" }
    }
    guard value.arrayValue != nil, let names = root.optionalStrings("slots") else {
      problems.add(
        ConfigError.wrongType(
          root.document, "slots", expected: "a list of slot names or a number of slots (1-\(maxSlotCount))",
          found: value))
      return nil
    }
    guard !names.isEmpty else {
      problems.add(ConfigError.invalid(root.document, "slots", "is empty", hint: "name at least one slot, e.g. [w1]"))
      return nil
    }
    var seen: Set<String> = []
    for (index, name) in names.enumerated() {
      let key = "slots[\(index)]"
      if let failure = NameRule.rule(for: .slot).firstFailure(in: name) {
        problems.add(
          ConfigError.invalid(
            root.document, key, "\(NameRule.quoted(name)) is not a valid slot name: \(failure)",
            hint: "1-32 lowercase letters, digits, \"_\" or \"-\", starting with a letter, e.g. \"w1\""))
      } else if !seen.insert(name).inserted {
        problems.add(
          ConfigError.invalid(root.document, key, "slot \"\(name)\" is listed twice", hint: "slot names are unique"))
      }
    }
    return names
  }

  /// A section shared with the plugin of that name: the host reads only its own keys and leaves
  /// every other key to the plugin, which reports the ones it does not know (`check_config`).
  static func sharedSection(_ parent: ConfigSection, _ name: String) -> ConfigSection? {
    guard let value = parent.value(name) else { return nil }
    guard let fields = value.objectValue else {
      parent.problems.add(
        ConfigError.wrongType(
          parent.document, parent.key(name), expected: "a mapping (the settings of \(name))", found: value))
      return nil
    }
    return parent.section(name, keys: Array(fields.keys))
  }

  /// `gcs:` as written, the migrated bucket filled in when it has none; nil when neither exists.
  private static func gcsSection(_ root: ConfigSection, migratedBucket: (value: String, key: String)?) -> JSONValue? {
    guard let written = root.value("gcs") else {
      return migratedBucket.map { ["bucket": .string($0.value)] }
    }
    guard var fields = written.objectValue else {
      root.problems.add(
        ConfigError.wrongType(
          root.document, "gcs", expected: "a mapping (the settings of the gcs storage)", found: written))
      return nil
    }
    if fields["bucket"] == nil, let migratedBucket { fields["bucket"] = .string(migratedBucket.value) }
    return .object(fields)
  }

  /// `gce:`, or upstream's older `jobs.gce:` (moved, with a note).
  private static func readGCESection(_ root: ConfigSection, jobs: ConfigSection?) -> ConfigSection? {
    let top = sharedSection(root, "gce")
    guard let jobs, jobs.has("gce") else { return top }
    if top != nil {
      root.problems.add(
        ConfigError.invalid(
          root.document, "jobs.gce", "gce is set both here and at the top level",
          hint: "keep only the top-level gce: section (jobs.gce is its old place)"))
      return top
    }
    root.problems.note("jobs.gce", "read as the top-level gce: section, its new place")
    return sharedSection(jobs, "gce")
  }

  /// Upstream's `gce.gcs_bucket`, used as `gcs.bucket` when that is not set.
  private static func migratedBucket(_ root: ConfigSection, gce: ConfigSection?) -> (value: String, key: String)? {
    guard let gce, let bucket = gce.optionalString("gcs_bucket") else { return nil }
    let key = gce.key("gcs_bucket")
    if let written = root.value("gcs")?["bucket"]?.stringValue {
      if bucketName(written) != bucketName(bucket) {
        root.problems.add(
          ConfigError.invalid(
            root.document, key, "names bucket \"\(bucket)\" but gcs.bucket is \"\(written)\"",
            hint: "remove \(key); gcs.bucket is where the bucket is set"))
      }
      return nil
    }
    root.problems.note(key, "read as gcs.bucket, its new place")
    return (bucket, key)
  }

  private static func bucketName(_ raw: String) -> String {
    var name = raw.hasPrefix("gs://") ? String(raw.dropFirst(5)) : raw
    while name.hasSuffix("/") { name.removeLast() }
    return name
  }

  /// Upstream's top-level `extra_packages: [..]`, which belongs in `docker.extra_packages.base`.
  private static func rootExtraPackages(_ root: ConfigSection) -> [String] {
    guard root.has("extra_packages") else { return [] }
    root.problems.note("extra_packages", "read as docker.extra_packages.base, its new place")
    return root.strings("extra_packages")
  }

  private static func checkWarmPoolProfiles(
    _ pool: WarmPoolConfig, names: [String], at path: String, _ problems: ConfigProblems
  ) {
    for (index, profile) in pool.profiles.enumerated() where !names.contains(profile) {
      problems.add(
        ConfigError.notOneOf(problems.document, "\(path).profiles[\(index)]", value: profile, allowed: names))
    }
  }
}
