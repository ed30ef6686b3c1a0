import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Capabilities are one typed value per kind, checked against their schema when a plugin is
/// inspected or checked, and enforced before a stage launches.
@Suite("typed capabilities: checked and enforced")
struct CapabilityTests {
  static var misspelled: String { TestEnvironment.fixture("misspelled_capabilities") }

  @Test("plugins check reports a misspelled and a wrongly typed key, naming the allowed keys")
  func checkReportsMisspelledKey() throws {
    let result = Command.goldfish(["plugins", "check", Self.misspelled])
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("FAIL  capabilities:") })
    #expect(line.contains("unknown capability key \"gpus\" for a run_backend"), "\(line)")
    #expect(line.contains("allowed keys: concurrency, gpu, implemented, isolation, logs, needs_image"), "\(line)")
    #expect(line.contains("capability \"recover\" is \"yes\"; it must be true or false"), "\(line)")

    let json = Command.goldfish(["plugins", "check", Self.misspelled, "--json"])
    let reports = (try? json.json()) as? [[String: Any]] ?? []
    let first = (reports.first?["cases"] as? [[String: Any]])?.first
    #expect(first?["name"] as? String == "capabilities" && first?["outcome"] as? String == "failed", "\(reports)")
  }

  @Test("plugins inspect shows the findings; the build's own plugins have none")
  func inspectShowsFindings() throws {
    let text = Command.goldfish(["plugins", "inspect", Self.misspelled])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("capabilities: unknown capability key \"gpus\""), "\(text.stdout)")
    let json = Command.goldfish(["plugins", "inspect", Self.misspelled, "--json"])
    let services =
      ((try? json.json()) as? [String: Any]).flatMap { $0["plugins"] as? [[String: Any]] }?.first?[
        "services"] as? [[String: Any]]
    let findings = services?.first?["capability_findings"] as? [String] ?? []
    #expect(findings.count == 2, "\(json.stdout)")

    let listing = Command.goldfish(["plugins", "list", "--json"])
    #expect(listing.status == 0, "\(listing.stderr)")
    let plugins = ((try? listing.json()) as? [String: Any])?["plugins"] as? [[String: Any]] ?? []
    #expect(!plugins.isEmpty)
    for plugin in plugins {
      for service in plugin["services"] as? [[String: Any]] ?? [] {
        #expect(service["capability_findings"] == nil, "\(plugin["name"] ?? "?"): \(service)")
      }
    }
  }

  @Test("a declaration reads typed; a bad key reads as absent and never hides the others")
  func typedDeclaration() {
    let declared: JSONValue = [
      "gpu": "yes", "spot": true, "resource_limits": ["cpus", "disk"], "warm_match": ["image"], "gpus": true,
    ]
    let capabilities = RunBackendCapabilities(declared: declared)
    #expect(capabilities.gpu == false && capabilities.spot && capabilities.resourceLimits.isEmpty)
    #expect(capabilities.warmMatch == ["image"] && capabilities.concurrency == .parallel && capabilities.implemented)
    let findings = CapabilityKeys.findings(declared, kind: .runBackend)
    #expect(findings.count == 3, "\(findings)")
    #expect(findings.contains { $0.contains("\"resource_limits\"") && $0.contains("memory_mb, cpus, pids") })
  }

  @Test("whether a service is implemented is read from its kind's typed capabilities")
  func implementedIsTyped() {
    for kind in ServiceKind.allCases {
      #expect(ServiceInspector.implemented(kind, ["implemented": false]) == false, "\(kind)")
      #expect(ServiceInspector.implemented(kind, [:]), "\(kind)")
      // A mistyped key reads as absent (plugins check reports it) and hides nothing else.
      #expect(ServiceInspector.implemented(kind, ["implemented": "no"]), "\(kind)")
      #expect(ServiceInspector.implemented(kind, ["implemented": false, "gpus": 1]) == false, "\(kind)")
    }
  }

  // MARK: - Enforced before launch

  static func gpuProject() throws -> ProjectFixture {
    let fixture = try SamplePipeline.project()
    try fixture.write("configs/train.yaml", "compute:\n  profile: h100-spot\nepochs: 5\n")
    return fixture
  }

  static func expectNothingStarted(_ fixture: ProjectFixture, versionsBefore: Int) throws {
    let project = try fixture.reopen()
    #expect(try project.store.stageRuns(limit: 100).isEmpty, "a stage run row was left")
    #expect(try project.store.activePipelineRuns().isEmpty)
    #expect(try project.store.versions(of: "line").count == versionsBefore, "a version was made")
    #expect(fixture.read("configs/train.yaml")?.contains("h100-spot") == true, "the slot's files are kept")
  }

  @Test("a GPU profile on the process backend (gpu: false) is refused by goldfish run, before anything starts")
  func gpuRefusedByCLI() throws {
    let fixture = try Self.gpuProject()
    let versions = try fixture.project.store.versions(of: "line").count
    let result = Command.goldfish(["run", "w1", "train", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(result.status != 0)
    #expect(
      result.stderr.contains("stage train uses the profile h100-spot, which the process backend cannot run"),
      "\(result.stderr)")
    #expect(result.stderr.contains("GPUs (the profile asks for 1 h100"), "\(result.stderr)")
    #expect(result.stderr.contains("spot capacity"), "\(result.stderr)")
    #expect(result.stderr.contains("pick another backend (jobs.backend: gce)"), "\(result.stderr)")
    #expect(result.stderr.contains("compute.profile in configs/train.yaml"), "\(result.stderr)")
    try Self.expectNothingStarted(fixture, versionsBefore: versions)

    // The rest of the pipeline still runs on this backend.
    let other = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(other.status == 0, "\(other.stderr)")
  }

  @Test("the MCP run tool refuses a GPU profile asked through config_override with the same reason")
  func gpuRefusedByMCP() throws {
    let fixture = try SamplePipeline.project()
    let versions = try fixture.project.store.versions(of: "line").count
    let session = try MCPSession(project: fixture.root)
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["train"], "reason": goodReason,
        "config_override": ["compute.profile": "a100-spot"], "results_spec": SamplePipeline.resultsSpec,
      ]
    )
    session.waitForResponses([1], seconds: 120)
    let result = session.responses[1]?["result"] as? [String: Any]
    session.close()
    #expect(result?["isError"] as? Bool == true, "\(result ?? [:])")
    let fields = result?["structuredContent"] as? [String: Any] ?? [:]
    let message = fields["message"] as? String ?? ""
    #expect(
      message.contains("stage train uses the profile a100-spot, which the process backend cannot run"), "\(fields)")
    #expect(message.contains("GPUs (the profile asks for 1 a100"), "\(message)")
    #expect((fields["code"] as? String) == "profile_unsupported", "\(fields)")
    let project = try fixture.reopen()
    #expect(try project.store.stageRuns(limit: 100).isEmpty, "a stage run row was left")
    #expect(try project.store.versions(of: "line").count == versions, "a version was made")
  }

  @Test("MCP run with dry_run: true reports the profile the backend cannot run in validation_errors, recording nothing")
  func gpuReportedByDryRun() throws {
    let fixture = try SamplePipeline.project()
    let versions = try fixture.project.store.versions(of: "line").count
    let session = try MCPSession(project: fixture.root)
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["train"], "dry_run": true,
        "config_override": ["compute.profile": "a100-spot"],
      ])
    session.callTool(id: 2, "run", ["workspace": "w1", "stages": ["train"], "dry_run": true])
    session.waitForResponses([1, 2], seconds: 120)
    let refused = (session.responses[1]?["result"] as? [String: Any])?["structuredContent"] as? [String: Any] ?? [:]
    let fine = (session.responses[2]?["result"] as? [String: Any])?["structuredContent"] as? [String: Any] ?? [:]
    session.close()
    #expect(refused["valid"] as? Bool == false, "\(refused)")
    let errors = refused["validation_errors"] as? [[String: Any]] ?? []
    let error = try #require(errors.first { $0["code"] as? String == "profile_unsupported" }, "\(refused)")
    #expect(error["stage"] as? String == "train", "\(error)")
    #expect(
      (error["message"] as? String)?.contains("the profile a100-spot, which the process backend cannot run") == true,
      "\(error)")
    #expect((error["lacking"] as? [String])?.contains { $0.contains("GPUs") } == true, "\(error)")
    // The same stage on its own profile is valid: the check reads the override, not a fixed answer.
    #expect(fine["valid"] as? Bool == true, "\(fine)")
    let project = try fixture.reopen()
    #expect(try project.store.stageRuns(limit: 100).isEmpty, "a dry run left a stage run row")
    #expect(try project.store.versions(of: "line").count == versions, "a dry run made a version")
  }
}

extension CapabilityTests {
  @Test("a limit the backend does not enforce (jobs.container_pids on the process backend) is refused at start")
  func undeclaredLimitRefused() throws {
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: process", with: "  backend: process\n  container_pids: 64")
    }
    let services = try ExecutionServices.open(fixture.project)
    do {
      _ = try Executor(services: services).start(RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
      Issue.record("a run asking for a pids limit started on a backend that enforces none")
    } catch {
      #expect(error.code == .profileUnsupported)
      #expect(error.message.contains("stage preprocess uses the profile cpu-small"), "\(error.message)")
      #expect(error.message.contains("resource limits pids (the backend enforces none)"), "\(error.message)")
      #expect(error.detail["backend"] == "process" && error.detail["stage"] == "preprocess")
    }
    #expect(try fixture.project.store.stageRuns(limit: 100).isEmpty)
  }
}
