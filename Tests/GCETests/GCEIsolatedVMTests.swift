import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The gce backend against VMs that share nothing with this machine: each VM is a container
/// of the private engine with no bind mount, which runs the instance's real startup script
/// (agent downloaded from the storage emulator, SHA-256 checked) and runs each job in the
/// stage image pulled from the loopback registry (scripts/registry.sh). scripts/test.sh starts
/// every service these need, so none of them is skipped in CI.
@Suite("gce backend on isolated VMs", .enabled(if: VMHarness.isolatedAvailable), .serialized)
struct GCEIsolatedVMTests {
  /// The stage image in the registry, pushed by the docker image builder (its `push`).
  static func registryImage(tag: String = "3") throws -> String {
    let destination = "\(VMHarness.registry ?? "")/goldfish/python:\(tag)"
    let pushed = try builder().push(ImagePushRequest(tag: DockerSupport.image, destination: destination))
    #expect(pushed.digest.hasPrefix("sha256:"))
    return destination
  }

  static func builder() throws -> ImageBuilderClient {
    ImageBuilderClient(
      try PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishDocker"), origin: "test")])
        .open(.imageBuilder, "docker", config: ["socket": .string(DockerSupport.socket)]))
  }

  static func open(
    _ harness: (String) throws -> VMHarness, apiRoot: String? = nil
  ) throws -> (
    GCESupport.Opened, VMHarness
  ) {
    // The harness's engine port goes into the agent's config, so the project comes first.
    let project = GCESupport.project()
    let vms = try harness(project)
    let opened = try GCESupport.open(
      apiRoot: apiRoot, project: project,
      ["agent_docker_host": .string("tcp://127.0.0.1:\(vms.enginePort)"), "operation_poll_seconds": .double(0.05)])
    return (opened, vms)
  }

  static func spec(
    _ runId: String, image: String, _ script: String, worker: WorkerOptions? = nil,
    outputs: String? = nil, spot: Bool = false
  ) -> RunSpec {
    var spec = GCESupport.spec(runId, worker: worker, outputsDir: outputs, command: ["/bin/sh", "-c", script])
    spec.image = image
    if spot, var definition = spec.profile?.definition?.objectValue {
      definition["preemptible_allowed"] = true
      definition["on_demand_allowed"] = false
      spec.profile?.definition = .object(definition)
    }
    return spec
  }

  @Test("a one-shot run on an isolated VM: image pulled from the registry, outputs and logs home, VM gone")
  func oneShotRun() throws {
    let image = try Self.registryImage()
    let (opened, harness) = try Self.open { try VMHarness(project: $0, isolated: true) }
    let outputs = TestEnvironment.temporaryFolder("gce-iso-outputs")
    // The host's own folders do not exist on the VM, nor in its job's container.
    let script =
      "test -e '\(TestEnvironment.packageRoot)' && echo host-visible || echo isolated; "
      + "python3 -c 'print(6*7)' > \"$GOLDFISH_OUTPUTS_DIR/answer.txt\""
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: Self.spec("run-iso-1", image: image, script, outputs: outputs)))
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .completed, "\(status) \(harness.log)")
    #expect(try String(contentsOfFile: outputs + "/answer.txt", encoding: .utf8) == "42\n")
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
    #expect(logs.text.contains("isolated"), "\(logs.text)")
    #expect(!logs.text.contains("host-visible"))
    #expect(logs.text.contains("pulling \(image)"))
    // The agent went up once for its content, under its SHA-256.
    let agents = try GCESupport.mailboxObjects(opened).filter { $0.hasSuffix("/goldfish-agent") }
    #expect(agents.count == 1, "\(agents)")
    let name = try #require(handle["instance"]?.stringValue)
    #expect(
      try GCESupport.waitUntil { try GCESupport.instance(opened, zone: "us-central1-a", name) == nil }, "\(harness.log)"
    )
  }

  @Test("a failing stage fails its run with its exit code and its stderr in the log")
  func failingStage() throws {
    let image = try Self.registryImage()
    let (opened, harness) = try Self.open { try VMHarness(project: $0, isolated: true) }
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: Self.spec("run-iso-fail", image: image, "echo boom >&2; exit 7")))
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .failed, "\(harness.log)")
    #expect(status.exitCode == 7)
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "tail": 5]), to: LogChunk.self)
    #expect(logs.text.contains("boom"))
  }

  @Test("cancel stops the job's container and deletes the one-shot VM")
  func cancel() throws {
    let image = try Self.registryImage()
    let (opened, harness) = try Self.open { try VMHarness(project: $0, isolated: true) }
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: Self.spec("run-iso-cancel", image: image, "echo started; sleep 300")))
    #expect(
      try GCESupport.waitUntil {
        let logs = try JSONCoding.convert(
          try opened.backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
        return logs.text.contains("started")
      }, "\(harness.log)")
    _ = try opened.backend.call("cancel", ["handle": handle, "reason": "test"])
    let name = try #require(handle["instance"]?.stringValue)
    #expect(try GCESupport.waitUntil { try GCESupport.instance(opened, zone: "us-central1-a", name) == nil })
    // The VM went with its job: nothing of the run is left on the engine.
    #expect(
      try GCESupport.waitUntil {
        let list = try HTTPClient(unixSocket: DockerSupport.socket).send(
          HTTPRequest(
            "GET",
            "http://docker/v1.41/containers/json?all=1&filters="
              + "%7B%22label%22%3A%5B%22goldfish.run-id%3Drun-iso-cancel%22%5D%7D")
        ).json()
        return list.arrayValue?.isEmpty == true
      }, "\(harness.log)")
  }

  @Test("#38: a warm VM takes a second run of its image, refuses another image, and re-pulls a moved tag")
  func warmReuseComparesTheImage() throws {
    let image = try Self.registryImage(tag: "warm")
    let (opened, harness) = try Self.open { try VMHarness(project: $0, isolated: true) }
    let first = try opened.backend.call(
      "launch",
      try JSONCoding.value(
        of: Self.spec(
          "run-iso-warm-1", image: image, "cat /etc/goldfish-tag 2>/dev/null || echo untagged",
          worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 120, workerId: "wiso-1"))))
    let worker = try #require(first["worker"])
    #expect(try GCESupport.waitFinal(opened.backend, first).state == .completed, "\(harness.log)")
    #expect(
      try GCESupport.waitUntil {
        try JSONCoding.convert(try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self).state
          == "idle"
      })
    // Another image (even the same content under another tag) is refused with nothing written.
    let other = try Self.registryImage(tag: "other")
    #expect(throws: (any Error).self) {
      try opened.backend.call(
        "deliver_job",
        ["worker": worker, "spec": try JSONCoding.value(of: Self.spec("run-iso-warm-x", image: other, "true"))])
    }
    // The tag moves to new content: the reused VM pulls again and runs the new content.
    try retag(image, marker: "second-content")
    let delivered = try opened.backend.call(
      "deliver_job",
      [
        "worker": worker,
        "spec": try JSONCoding.value(of: Self.spec("run-iso-warm-2", image: image, "cat /etc/goldfish-tag")),
      ])
    let second = try #require(delivered["handle"])
    #expect(try GCESupport.waitFinal(opened.backend, second).state == .completed, "\(harness.log)")
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": second, "offset": 0]), to: LogChunk.self)
    #expect(logs.text.contains("second-content"), "\(logs.text)")
    let list = try HTTPClient().send(
      HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(opened.project)/zones/us-central1-a/instances")
    ).json()
    #expect(list["items"]?.arrayValue?.count == 1)  // the same VM, no second one
    #expect(try opened.backend.call("delete_worker", ["worker": worker])["confirmed"] == true)
  }

  @Test("a spot VM preempted mid-job: the run fails with cause preemption")
  func preemptedSpotVM() throws {
    let image = try Self.registryImage()
    let proxy = try CapacityProxy([:])
    let (opened, harness) = try Self.open({ try VMHarness(project: $0, isolated: true) }, apiRoot: proxy.apiRoot)
    let handle = try opened.backend.call(
      "launch",
      try JSONCoding.value(of: Self.spec("run-iso-spot", image: image, "echo started; sleep 300", spot: true)))
    #expect(handle["provisioning"]?.stringValue == "spot")
    #expect(
      try GCESupport.waitUntil {
        let logs = try JSONCoding.convert(
          try opened.backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
        return logs.text.contains("started")
      }, "\(harness.log)")
    let name = try #require(handle["instance"]?.stringValue)
    try harness.preempt(name)
    try proxy.setFaults(["status:\(name)": "STOPPED"])
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .failed, "\(status) \(harness.log)")
    #expect(status.terminationCause == .preemption, "\(status)")
  }

  @Test(
    "the sample pipeline on gce: the host builds and pushes the stage image, each isolated VM pulls it and runs its stage"
  )
  func samplePipeline() throws {
    try GCSSupport.ensureBucket()
    let registry = try #require(VMHarness.registry)
    let cloudProject = GCESupport.project()
    let prefix = "gce-iso-pipeline-" + UUID().uuidString.prefix(8).lowercased()
    let harness = try VMHarness(project: cloudProject, isolated: true)
    let storage = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
    // A pip option unique to this test gives a recipe no earlier run built, so the build happens
    // here; numpy is in the base image, so pip needs no network.
    let marker = UUID().uuidString.prefix(8)
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        .replacingOccurrences(of: "  backend: process", with: "  backend: gce")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)/storage\n  endpoint: \(storage)\n"
        + "gce:\n  project_id: \(cloudProject)\n  api_endpoint: \(GCESupport.endpoint ?? "")\n  zones: [us-central1-a]\n"
        + "  gcs_bucket: \(GCSSupport.bucket)\n  mailbox_prefix: \(prefix)/mailbox\n  storage_endpoint: \(storage)\n"
        + "  operation_poll_seconds: 0.05\n  artifact_registry: \(registry)/\(prefix)\n"
        + "  agent_docker_host: tcp://127.0.0.1:\(harness.enginePort)\n"
        + "docker:\n  socket: \(DockerSupport.socket)\n  base_images:\n    cpu: \(DockerSupport.image)\n"
        + "  extra_packages:\n    base: [numpy]\n    cpu: [\"--no-index\", \"--log=/tmp/pip-\(marker).log\"]\n"
    }
    let (pipelineRun, runs) = try Deadline.within(900) { try SamplePipeline.run(fixture) }
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "") \(harness.log)")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" }) \(harness.log)")
    let store = fixture.project.store
    // One build for the three stages (one environment), recorded; the image went to the registry.
    let builds = try store.imageBuilds(limit: 10)
    #expect(builds.count == 1 && builds.first?.status == .completed, "\(builds)")
    let local = try #require(builds.first?.imageTag)
    #expect(local.hasPrefix("goldfish-stage:"))
    let remote = "\(registry)/\(prefix)/\(local)"
    let manifest = try HTTPClient().send(
      HTTPRequest(
        "HEAD",
        "http://\(registry)/v2/\(prefix)/goldfish-stage/manifests/\(local.dropFirst("goldfish-stage:".count))",
        headers: [("Accept", "application/vnd.docker.distribution.manifest.v2+json")]))
    #expect(manifest.status == 200, "\(remote) is not in the registry")
    // Each stage ran on its own VM, in that image (goldfish.io from the image, code from the mailbox).
    for run in runs {
      let exit = try #require(try getMailbox(prefix, "runs/\(run.id)/exit.json"), "\(run.stage) \(harness.log)")
      #expect(try JSONCoding.parse(exit)["exit_code"]?.intValue == 0)
      let log = try #require(try getMailbox(prefix, "runs/\(run.id)/logs/output.log"))
      #expect(log.contains("pulling \(remote)"), "\(run.stage): \(log)")
    }
    // Outputs, lineage and metrics came home.
    let evaluate = try #require(runs.last)
    let report = try #require(try store.signals(of: evaluate.id).first { $0.signal == "report" })
    #expect(report.uri?.hasPrefix("gs://\(GCSSupport.bucket)/\(prefix)/storage/") == true)
    let train = try #require(runs.first { $0.stage == "train" })
    let inputs = try store.signals(of: train.id).filter { $0.direction == "input" }
    #expect(inputs.contains { $0.sourceStageRunID == runs[0].id }, "\(inputs)")
    #expect(try store.metrics(of: evaluate.id).contains { $0.name == "mse" })
    // manage_base_images push (the real MCP server) answers the same image, already in the
    // registry: nothing built.
    let session = try MCPSession(project: fixture.root)
    session.callTool(id: 1, "manage_base_images", ["action": "push", "workspace": "w1"])
    session.waitForResponses([1], seconds: 300)
    let response = session.responses[1]
    session.close()
    let result = try #require(response?["result"] as? [String: Any], "\(response ?? [:])")
    let pushed = try #require(result["structuredContent"] as? [String: Any], "\(result)")
    #expect(pushed["registry_tag"] as? String == remote && pushed["built"] as? Bool == false, "\(pushed)")
    #expect(try store.imageBuilds(limit: 10).count == 1)
    // A later run of the same environment finds its image in the registry: nothing is built again.
    let (again, againRuns) = try Deadline.within(600) { try SamplePipeline.run(fixture, ["preprocess"], rerun: true) }
    #expect(again.status == "completed", "\(againRuns.map { $0.error ?? "" }) \(harness.log)")
    #expect(try store.imageBuilds(limit: 10).count == 1)
    #expect(
      try GCESupport.waitUntil {
        let now = try HTTPClient().send(
          HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(cloudProject)/zones/us-central1-a/instances")
        ).json()
        return (now["items"]?.arrayValue ?? []).isEmpty
      }, "\(harness.log)")
  }

  private func getMailbox(_ prefix: String, _ key: String) throws -> String? {
    let name = prefix + "/mailbox/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name) + "?alt=media"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    return response.status == 404 ? nil : response.text
  }

  /// Builds `image` again with a marker file and pushes it under the same tag.
  private func retag(_ image: String, marker: String) throws {
    let context = TestEnvironment.temporaryFolder("retag")
    try "FROM \(DockerSupport.image)\nRUN echo \(marker) > /etc/goldfish-tag\n".write(
      toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
    let builder = try Self.builder()
    let local = "goldfish-test/retag:\(marker)"
    let id = try builder.build(ImageBuildRequest(contextDir: context, tag: local)).buildId
    #expect(try GCESupport.waitUntil { try builder.buildStatus(BuildStatusRequest(buildId: id)).state != .running })
    #expect(try builder.buildStatus(BuildStatusRequest(buildId: id)).state == .succeeded)
    _ = try builder.push(ImagePushRequest(tag: local, destination: image))
  }
}

extension CapacityProxy {
  func setFaults(_ faults: [String: String]) throws {
    let body = try JSONCoding.encode(JSONValue.object(faults.mapValues { .string($0) }))
    _ = try HTTPClient().send(HTTPRequest("POST", "http://127.0.0.1:\(port)/_faults", body: .bytes(Array(body.utf8))))
  }
}
