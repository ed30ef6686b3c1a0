import Foundation
import Host
import PluginKit
import Testing

@testable import GoldfishTestSupport

/// Loads YAML text as goldfish.yaml, the way `goldfish` reads it from a project.
func loadConfig(_ yaml: String, services: Set<String> = []) throws(GoldfishError) -> GoldfishConfig {
  try GoldfishConfig.load(ConfigDocument(yaml: yaml, path: "goldfish.yaml"), serviceNames: services)
}

/// The error loading `yaml` throws; fails the test when it loads.
func configError(_ yaml: String, services: Set<String> = []) -> GoldfishError? {
  do {
    _ = try loadConfig(yaml, services: services)
    Issue.record("expected goldfish.yaml to be refused:\n\(yaml)")
    return nil
  } catch {
    return error
  }
}

/// Every problem of a refused config as (key, line, message).
func configProblems(_ error: GoldfishError?) -> [(key: String, line: Int?, message: String)] {
  (error?.detail["errors"]?.arrayValue ?? []).map { entry in
    (entry["key"]?.stringValue ?? "", entry["line"]?.intValue.map(Int.init), entry["message"]?.stringValue ?? "")
  }
}

@Suite("goldfish.yaml: sections, defaults and migrations")
struct GoldfishConfigTests {
  @Test("a minimal file gets every default")
  func defaults() throws {
    let config = try loadConfig("project_name: demo\n")
    #expect(config.projectName == "demo")
    #expect(config.devRepoPath == ".goldfish")
    #expect(config.workspacesDir == "workspaces")
    #expect(config.slots == ["w1", "w2", "w3"])
    #expect(config.stateMD.path == "STATE.md" && config.stateMD.maxRecentActions == 15)
    #expect(config.audit.minReasonLength == 15)
    #expect(config.audit.requireResultsSpec && config.audit.finalizationGate && !config.audit.enforceOnCLI)
    #expect(config.defaults.timeoutSeconds == 3600 && config.defaults.launchTimeoutSeconds == 2700)
    #expect(config.jobs.backend == "process" && config.jobs.imageBuilder == nil && config.jobs.maxParallelStages == 4)
    #expect(config.storage.backend == "file")
    #expect(config.versioning.maxFileMB == 100 && config.versioning.maxFileBytes == 100 << 20)
    #expect(config.gce == nil && config.gcs == nil)
    #expect(config.docker.network == .none)
    #expect(config.svs.aiDuringRunIntervalSeconds == 300 && config.svs.agentProvider == .meerkat)
    #expect(config.metrics.backend == nil)
    #expect(config.preRunReview.timeoutSeconds == 60)
    #expect(config.profiles.names.count == 6)
    #expect(config.notes.isEmpty)
  }

  @Test("a full file is read into typed values")
  func fullFile() throws {
    let config = try loadConfig(
      """
      project_name: mnist-baseline
      dev_repo_path: dev/repo
      workspaces_dir: slots
      slots: [main, scratch]
      invariants: [never touch the test split]
      state_md: {path: notes/STATE.md, max_recent_actions: 40}
      audit: {min_reason_length: 5, require_results_spec: false, finalization_gate: false, enforce_on_cli: true}
      defaults: {timeout_seconds: 60, capacity_wait_seconds: 100, launch_timeout_seconds: 100, launching_grace_seconds: 60}
      jobs: {backend: docker, image_builder: docker, container_memory: 512m, container_cpus: "0.5", container_pids: 64, max_parallel_stages: 64}
      storage: {backend: gcs}
      gcs: {bucket: "gs://my-bucket/", runs_prefix: r/}
      versioning: {max_file_mb: 10240, ignore: ["*.ckpt", data/]}
      docker: {network: host, base_images: {gpu: my-gpu}, extra_packages: {cpu: [numpy]}}
      svs: {test_mode: true, ai_during_run_interval_seconds: 10, domain: nlp_tokenizer, agent_provider: "null"}
      metrics: {backend: wandb, wandb: {project: p, entity: e}}
      pre_run_review: {enabled: false}
      """)
    #expect(config.devRepoPath == "dev/repo" && config.slots == ["main", "scratch"])
    #expect(config.invariants == ["never touch the test split"])
    #expect(config.jobs.containerMemory?.bytes == 512 << 20)
    #expect(config.jobs.containerCPUs == 0.5 && config.jobs.containerPIDs == 64)
    // The gcs section is the gcs storage's: the host keeps it as written (the plugin reads and reports it).
    #expect(config.gcs == ["bucket": "gs://my-bucket/", "runs_prefix": "r/"])
    #expect(config.versioning.ignore == ["*.ckpt", "data/"])
    #expect(config.docker.network == .host && config.docker.baseImages.gpu == "my-gpu")
    #expect(config.svs.aiDuringRunIntervalSeconds == 10 && config.svs.domain == .nlpTokenizer)
    #expect(config.svs.agentProvider == .null)
    #expect(config.metrics.backend == .wandb && config.metrics.wandb?.entity == "e")
    #expect(!config.preRunReview.enabled)
    #expect(config.audit.minReasonLength == 5 && !config.audit.requireResultsSpec)
    #expect(!config.audit.finalizationGate && config.audit.enforceOnCLI)
    // "dev_repo_path is relative to the project folder" differs from upstream: the user is told.
    #expect(config.notes.map(\.key) == ["dev_repo_path"])
  }

  @Test("slots: a count N means w1…wN")
  func slotCount() throws {
    #expect(try loadConfig("project_name: demo\nslots: 5\n").slots == ["w1", "w2", "w3", "w4", "w5"])
    let error = configError("project_name: demo\nslots: 0\n")
    #expect(
      error?.message == "goldfish.yaml:2: slots is 0; it must be between 1 and 100", "\(String(describing: error))")
  }

  @Test("slot names follow the slot rule and are unique")
  func slotNames() {
    let problems = configProblems(configError("project_name: demo\nslots:\n  - w1\n  - W2\n  - w1\n"))
    #expect(problems.map(\.key) == ["slots[1]", "slots[2]"])
    #expect(problems.first?.message.contains("goldfish.yaml:4: slots[1]") == true)
    #expect(problems.first?.message.contains("uppercase letter 'W'") == true)
    #expect(problems.last?.message.contains("listed twice") == true)
  }

  @Test("zero is a value, absent is not: 0 is refused where it is out of range, never taken as unset")
  func zeroIsNotAbsent() throws {
    let absent = try loadConfig("project_name: demo\njobs: {}\ngce: {zones: [z]}\n")
    #expect(absent.jobs.containerPIDs == nil)
    #expect(absent.gce?.zones == ["z"])
    let error = configError("project_name: demo\ndefaults:\n  timeout_seconds: 0\n")
    #expect(error?.message == "goldfish.yaml:3: defaults.timeout_seconds is 0; it must be between 1 and 31622400")
    let zeroPIDs = configError("project_name: demo\njobs: {container_pids: 0}\n")
    #expect(zeroPIDs?.message.contains("jobs.container_pids is 0") == true, "\(String(describing: zeroPIDs))")
    // An empty value reads as absent: the default applies.
    #expect(try loadConfig("project_name: demo\ndefaults:\n  timeout_seconds:\n").defaults.timeoutSeconds == 3600)
  }

  @Test("the project name is required and follows the name rule")
  func projectName() {
    #expect(configError("slots: 2\n")?.message == "goldfish.yaml: project_name: is required")
    let error = configError("project_name: -demo\n")
    #expect(error?.message.contains("goldfish.yaml:1: project_name") == true)
    #expect(error?.message.contains("not a valid project name") == true)
  }

  @Test("paths stay inside the project")
  func confinedPaths() {
    let problems = configProblems(configError("project_name: demo\ndev_repo_path: /var/dev\nworkspaces_dir: ../ws\n"))
    #expect(problems.map(\.key) == ["dev_repo_path", "workspaces_dir"])
    #expect(problems[0].message.contains("is not a relative path"))
    #expect(problems[1].message.contains("leaves the project folder"))
  }

  @Test("a service section is accepted only when a loaded plugin registers that service")
  func serviceSections() throws {
    let yaml = "project_name: demo\ncdir:\n  root: /tmp/objects\n"
    let config = try loadConfig(yaml, services: ["cdir", "file"])
    #expect(config.services == ["cdir": ["root": "/tmp/objects"]])
    let error = configError(yaml, services: ["file"])
    #expect(error?.message == "goldfish.yaml:2: cdir: unknown key \"cdir\"")
    #expect(error?.hint?.contains("a top-level key may also name a service of a loaded plugin") == true)
    // A section shared with a plugin: the host reads its own keys (docker.network) and leaves the
    // others to the plugin, which reports the ones it does not know (PluginConfigTests).
    let shared = try loadConfig("project_name: demo\ndocker:\n  netwrk: host\n", services: ["docker"])
    #expect(shared.docker.network == .none)
    let typed = configError("project_name: demo\ndocker:\n  network: bridge\n", services: ["docker"])
    #expect(typed?.message == "goldfish.yaml:3: docker.network is \"bridge\"; allowed values: none, host")
  }

  @Test("defaults: launch_timeout_seconds must cover capacity_wait_seconds")
  func launchBudget() {
    let error = configError(
      "project_name: demo\ndefaults:\n  capacity_wait_seconds: 900\n  launch_timeout_seconds: 600\n")
    #expect(
      error?.message.hasPrefix(
        "goldfish.yaml:4: defaults.launch_timeout_seconds is launch_timeout_seconds 600 < capacity_wait_seconds 900")
        == true)
  }

  @Test("jobs: container limits are validated")
  func containerLimits() {
    let problems = configProblems(
      configError(
        "project_name: demo\njobs:\n  container_memory: 8x\n  container_cpus: \"0\"\n  max_parallel_stages: 65\n"))
    #expect(problems.map(\.key) == ["jobs.container_memory", "jobs.container_cpus", "jobs.max_parallel_stages"])
    #expect(problems[0].message.contains("\"8x\"; it must be a positive amount with an optional unit"))
    #expect(problems[1].message == "goldfish.yaml:4: jobs.container_cpus is 0.0; it must be greater than 0")
    #expect(problems[2].message == "goldfish.yaml:5: jobs.max_parallel_stages is 65; it must be between 1 and 64")
  }

  @Test("gcs storage needs the section (its keys are the gcs plugin's to check: PluginConfigTests)")
  func gcsBucket() {
    let error = configError("project_name: demo\nstorage:\n  backend: gcs\n")
    #expect(error?.message == "goldfish.yaml:3: storage.backend: is gcs but there is no gcs: section")
  }

  @Test("svs: enums and bounds")
  func svs() {
    let problems = configProblems(
      configError(
        """
        project_name: demo
        svs:
          default_policy: wran
          ai_during_run_interval_seconds: 30
          ai_during_run_log_filters: ["(unclosed"]
        """))
    #expect(
      problems.map(\.key) == [
        "svs.default_policy", "svs.ai_during_run_interval_seconds", "svs.ai_during_run_log_filters[0]",
      ])
    #expect(
      problems[0].message == "goldfish.yaml:3: svs.default_policy is \"wran\"; allowed values: fail, warn, ignore")
    #expect(problems[1].message == "goldfish.yaml:4: svs.ai_during_run_interval_seconds is 30; it must be at least 60")
    #expect(problems[2].message.contains("not a valid regular expression"))
    let error = configError("project_name: demo\nsvs:\n  default_policy: wran\n")
    #expect(error?.hint?.hasPrefix("did you mean \"warn\"?") == true)
  }

  @Test("gce.warm_pool: every bound is stated")
  func warmPoolBounds() {
    let problems = configProblems(
      configError(
        """
        project_name: demo
        gce:
          zones: [us-central1-a]
          warm_pool:
            max_instances: 11
            idle_timeout_minutes: 4
            watchdog_seconds: 60
            profiles: [h100-spto]
        """))
    #expect(
      problems.map(\.message) == [
        "goldfish.yaml:5: gce.warm_pool.max_instances is 11; it must be between 1 and 10",
        "goldfish.yaml:6: gce.warm_pool.idle_timeout_minutes is 4; it must be between 5 and 120",
        "goldfish.yaml:7: gce.warm_pool.watchdog_seconds is 60; it must be at least 3600",
        "goldfish.yaml:8: gce.warm_pool.profiles[0] is \"h100-spto\"; allowed values: a100-on-demand, a100-spot, cpu-large, cpu-small, h100-on-demand, h100-spot",
      ])
  }

  @Test("gce: the host reads only its own keys (zones, profiles, warm pool) and leaves the rest to the backend")
  func gce() throws {
    let config = try loadConfig(
      "project_name: demo\ngce:\n  project: p1\n  zones: [z1]\n  preemptible_preference: spot_first\n  nonsense: 1\n")
    #expect(config.gce?.zones == ["z1"])
    let shown = config.effectiveJSON()["gce"]
    #expect(shown?["zones"] == ["z1"] && shown?["project"] == nil && shown?["preemptible_preference"] == nil)
    let error = configError("project_name: demo\ngce:\n  profile_overrides: {}\n  profiles: {}\n")
    #expect(
      error?.message
        == "goldfish.yaml:4: gce.profiles: gce.profile_overrides and gce.profiles are two names for one setting")
  }

  @Test("upstream's migrations are applied and each is noted with its line")
  func migrations() throws {
    let config = try loadConfig(
      """
      project_name: demo
      extra_packages: [einops]
      jobs:
        gce:
          project_id: p
          artifact_registry: r
          zones: [z1]
          gcs_bucket: gs://bucket-1
      docker:
        extra_packages: {base: [numpy]}
      """)
    #expect(config.gce?.zones == ["z1"])
    #expect(config.gcs == ["bucket": "gs://bucket-1"])
    #expect(config.docker.extraPackages.base == ["numpy", "einops"])
    #expect(
      config.notes.map(\.description) == [
        "goldfish.yaml:2: extra_packages: read as docker.extra_packages.base, its new place",
        "goldfish.yaml:4: jobs.gce: read as the top-level gce: section, its new place",
        "goldfish.yaml:8: jobs.gce.gcs_bucket: read as gcs.bucket, its new place",
      ])
    let both = configError("project_name: demo\njobs:\n  gce: {zones: [a]}\ngce: {zones: [b]}\n")
    #expect(both?.message == "goldfish.yaml:3: jobs.gce: gce is set both here and at the top level")
  }

  @Test("docker.extra_packages items are single pip arguments: a line break or an empty item is refused")
  func extraPackageArguments() {
    let error = configError(
      "project_name: demo\ndocker:\n  extra_packages:\n    cpu: [numpy, \"torch\\nRUN curl x\"]\n")
    #expect(
      error?.message.hasPrefix(
        "goldfish.yaml:4: docker.extra_packages.cpu: \"torch\\nRUN curl x\" is not a pip argument") == true,
      "\(error?.message ?? "accepted")")
    #expect(configError("project_name: demo\ndocker: {extra_packages: {base: [\"\"]}}\n") != nil)
  }

  @Test("every problem is collected, in file order, with key and line")
  func collectsEveryProblem() {
    let error = configError(
      """
      project_name: demo
      audit:
        min_reason_length: 0
      jobs:
        backnd: docker
      docker:
        network: bridge
      state_md:
        max_recent_actions: lots
      """)
    #expect(error?.message == "goldfish.yaml:3: audit.min_reason_length is 0; it must be between 1 and 1000")
    #expect(error?.hint?.contains("3 more problems in goldfish.yaml") == true)
    let problems = configProblems(error)
    #expect(
      problems.map(\.key) == [
        "audit.min_reason_length", "jobs.backnd", "docker.network", "state_md.max_recent_actions",
      ])
    #expect(problems.map(\.line) == [3, 5, 7, 9])
    #expect(problems[1].message == "goldfish.yaml:5: jobs.backnd: unknown key \"backnd\"")
    #expect(problems[2].message == "goldfish.yaml:7: docker.network is \"bridge\"; allowed values: none, host")
    #expect(
      problems[3].message
        == "goldfish.yaml:9: state_md.max_recent_actions should be a whole number between 1 and 1000, not the string \"lots\""
    )
  }

  @Test("an unknown key names the allowed keys and the likely fix")
  func unknownKeySuggestion() {
    let error = configError("project_name: demo\nworkspace_dir: ws\n")
    #expect(error?.message == "goldfish.yaml:2: workspace_dir: unknown key \"workspace_dir\"")
    #expect(error?.hint?.hasPrefix("did you mean \"workspaces_dir\"?") == true)
    #expect(error?.hint?.contains("allowed keys: project_name, dev_repo_path") == true)
    let nested = configError("project_name: demo\ngce:\n  zones: [a]\n  warm_pool:\n    max_instance: 3\n")
    #expect(nested?.message == "goldfish.yaml:5: gce.warm_pool.max_instance: unknown key \"max_instance\"")
    #expect(nested?.hint?.hasPrefix("did you mean \"max_instances\"?") == true)
  }

  @Test("a wrong type names the key, its line and the expected type")
  func wrongType() {
    let error = configError("project_name: demo\nversioning:\n  ignore: \"*.ckpt\"\n")
    #expect(
      error?.message == "goldfish.yaml:3: versioning.ignore should be a list of strings, not the string \"*.ckpt\"")
    let section = configError("project_name: demo\ngce: [a]\n")
    #expect(section?.message.hasPrefix("goldfish.yaml:2: gce should be a mapping (the settings of gce)") == true)
  }

  @Test("the plugins section keeps its own checks")
  func pluginsSection() throws {
    #expect(
      try loadConfig("project_name: demo\nplugins: {paths: [a.so], defaults: false}\n").plugins
        == PluginsConfig(paths: ["a.so"], defaults: false))
    #expect(
      configError("project_name: demo\nplugins:\n  path: [a.so]\n")?.message
        == "goldfish.yaml:3: plugins.path: unknown key \"path\"")
  }

  @Test("the effective config loads back to the same config")
  func effectiveRoundTrip() throws {
    let config = try loadConfig(
      """
      project_name: demo
      slots: 2
      jobs: {container_memory: 8g, container_cpus: 2}
      gce:
        project_id: p
        artifact_registry: r
        zones: [z1]
        profile_overrides:
          h100-spot: {preemptible: true}
          tiny: {machine_type: e2-small, boot_disk: {size_gb: 20}}
      gcs: {bucket: b-1}
      svs: {ai_during_run_log_filters: [".*", "^loss"]}
      cdir: {root: "/tmp/x y"}
      """, services: ["cdir"])
    let yaml = config.effectiveYAML()
    var again = try loadConfig(yaml, services: ["cdir"])
    #expect(again.notes.isEmpty, "\(again.notes)")
    again.notes = config.notes
    #expect(again == config, "\(yaml)")
    let fromJSON = try loadConfig(try JSONCoding.encode(config.effectiveJSON()), services: ["cdir"])
    #expect(fromJSON.effectiveJSON() == config.effectiveJSON())
  }
}
