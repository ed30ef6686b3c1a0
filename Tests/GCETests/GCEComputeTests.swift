import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The gce backend's Compute Engine side against gcplocal, with a capacity proxy in front of it
/// where a zone must fail. Named after upstream-cloud.md §5.7 scenarios where they prove one.
@Suite("gce backend: Compute Engine REST on gcplocal", .enabled(if: GCESupport.available), .serialized)
struct GCEComputeTests {
  @Test("launch inserts a VM with labels, agent config and startup script; cleanup deletes it; 404 after")
  func insertGetDelete() throws {
    let opened = try GCESupport.open()
    let handle = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-plumb-1")))
    let name = try #require(handle["instance"]?.stringValue)
    #expect(handle["zone"]?.stringValue == "us-central1-a")
    #expect(handle["worker"] == nil)  // a one-shot run carries no worker handle
    let vm = try #require(try GCESupport.instance(opened, zone: "us-central1-a", name))
    #expect(vm["status"]?.stringValue == "RUNNING")
    #expect(vm["labels"]?["goldfish-project"]?.stringValue == "demo")
    #expect(vm["labels"]?["goldfish-warm"]?.stringValue == "false")
    #expect(vm["machineType"]?.stringValue == "zones/us-central1-a/machineTypes/n2-standard-4")
    var metadata: [String: String] = [:]
    if case .array(let items)? = vm["metadata"]?["items"] {
      for item in items { metadata[item["key"]?.stringValue ?? ""] = item["value"]?.stringValue }
    }
    let script = try #require(metadata["startup-script"])
    #expect(script.contains("goldfish-agent\" --config"))
    // The agent runs only once its SHA-256 matches the one the host uploaded (issue #15).
    #expect(script.contains("sha256sum -c"))
    #expect(metadata["goldfish-agent-sha256"]?.count == 64)
    #expect(metadata["goldfish-agent-url"]?.contains("agent%2F\(metadata["goldfish-agent-sha256"] ?? "")") == true)
    #expect(try bashAccepts(script))
    let config = try JSONCoding.parse(try #require(metadata["goldfish-agent-config"]))
    #expect(config["mailbox"]?.stringValue == "gs://\(GCSSupport.bucket)/\(opened.prefix)")
    #expect(config["worker_id"]?.stringValue == name)
    #expect(config["max_jobs"]?.intValue == 1)
    // The first job is in the mailbox before the VM exists.
    #expect(try GCESupport.getObject(opened, "workers/\(name)/jobs/run-plumb-1.json") != nil)
    #expect(try GCESupport.status(opened.backend, handle).state == .pending)

    _ = try opened.backend.call("cleanup", ["handle": handle])
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", name) == nil)
    _ = try opened.backend.call("cleanup", ["handle": handle])  // idempotent on a 404
    // The VM is gone and the run left no exit record: lost, not running forever.
    let status = try GCESupport.status(opened.backend, handle)
    #expect(status.state == .failed)
    #expect(status.terminationCause == .lost)
  }

  @Test("a launch retried after its answer was lost finds its own VM (409 alreadyExists): no twin, no error")
  func retriedLaunchAdoptsItsInstance() throws {
    let proxy = try CapacityProxy([:])  // answers a second insert of one name 409, as Compute Engine does
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot)
    let spec = try JSONCoding.value(of: GCESupport.spec("run-retried-1"))
    let first = try opened.backend.call("launch", spec)
    let again = try opened.backend.call("launch", spec)
    #expect(again["instance"] == first["instance"] && again["zone"] == first["zone"], "\(first) vs \(again)")
    #expect(try proxy.inserts().count == 2)
    let name = try #require(first["instance"]?.stringValue)
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", name) != nil)

    _ = try opened.backend.call("cleanup", ["handle": again])
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", name) == nil)

    // An instance of that name made by someone else is never taken for this run's.
    let squatter = "gf-run-retried-2"  // the name the backend gives run-retried-2, as for run-retried-1 above
    #expect(name == "gf-run-retried-1")
    let insert = try HTTPRequest.json(
      "POST", (GCESupport.endpoint ?? "") + "/projects/\(opened.project)/zones/us-central1-a/instances",
      ["name": .string(squatter), "labels": ["goldfish-worker": "someone-else"]])
    #expect(try HTTPClient().send(insert).status == 200)
    #expect {
      try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-retried-2")))
    } throws: { error in
      let failure = (error as? PluginCallError)?.error
      return failure?.code == .alreadyExists && failure?.message.contains("not started for this run") == true
    }
  }

  @Test("#41 #49: capacity errors in every wording move on to the next zone, round after round")
  func capacitySearchCyclesZones() throws {
    let proxy = try CapacityProxy([
      "zone-a": "exhausted", "zone-b": "no-room", "zone-c": "unavailable*1",
    ])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot, zones: ["zone-a", "zone-b", "zone-c"])
    let definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["zone-a", "zone-b", "zone-c"])
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-capacity-1", definition: definition)))
    #expect(handle["zone"]?.stringValue == "zone-c")
    let zones = try proxy.inserts().map { $0["zone"]?.stringValue ?? "" }
    #expect(zones == ["zone-a", "zone-b", "zone-c", "zone-a", "zone-b", "zone-c"])
    #expect(try GCESupport.instance(opened, zone: "zone-c", try #require(handle["instance"]?.stringValue)) != nil)
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("#42: a 503 on insert is seen (synchronous insert) and the next zone is tried")
  func serviceUnavailableMovesOn() throws {
    let proxy = try CapacityProxy(["zone-a": "503"])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot, zones: ["zone-a", "zone-b"])
    let definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["zone-a", "zone-b"])
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-503", definition: definition)))
    #expect(handle["zone"]?.stringValue == "zone-b")
    #expect(try proxy.inserts().map { $0["fault"]?.stringValue } == ["503", nil])
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  /// `bash -n`: the startup script parses (it is fixed text, so one check covers every VM).
  private func bashAccepts(_ script: String) throws -> Bool {
    let path = TestEnvironment.temporaryFolder("gce-script") + "/startup.sh"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-n", path]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
  }

  @Test("#42: an insert whose operation is still running is polled until DONE before the launch returns")
  func insertWaitsForOperation() throws {
    let proxy = try CapacityProxy(["us-central1-a": "slow"])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot)
    let handle = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-slow-op")))
    #expect(try proxy.operationPolls() >= 1)
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("preemptible_preference orders the modes: spot first in every zone, then on-demand")
  func provisioningOrder() throws {
    let proxy = try CapacityProxy(["zone-a": "exhausted*2"])
    let opened = try GCESupport.open(
      apiRoot: proxy.apiRoot, zones: ["zone-a", "zone-b"], ["preemptible_preference": "spot_first"])
    var definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["zone-a", "zone-b"])
    if case .object(var fields) = definition {
      fields["preemptible_allowed"] = true
      fields["on_demand_allowed"] = true
      definition = .object(fields)
    }
    let proxyB = try CapacityProxy(["zone-a": "exhausted", "zone-b": "exhausted"])
    let exhausted = try GCESupport.open(
      apiRoot: proxyB.apiRoot, zones: ["zone-a", "zone-b"],
      ["preemptible_preference": "spot_first", "capacity_wait_seconds": 1, "max_attempts": 4])
    _ = try? exhausted.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-order-all", definition: definition)))
    let tried = try proxyB.inserts().map {
      "\($0["zone"]?.stringValue ?? "")/\($0["body"]?["scheduling"]?["provisioningModel"]?.stringValue ?? "")"
    }
    #expect(tried == ["zone-a/SPOT", "zone-b/SPOT", "zone-a/STANDARD", "zone-b/STANDARD"])
    // Spot in zone-b wins before on-demand is ever tried.
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-order", definition: definition)))
    #expect(handle["zone"]?.stringValue == "zone-b")
    #expect(handle["provisioning"]?.stringValue == "spot")
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("a permanent error ends the search at once: one insert, invalid_argument, nothing left behind")
  func permanentErrorFailsFast() throws {
    let proxy = try CapacityProxy(["zone-a": "bad-type"])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot, zones: ["zone-a", "zone-b"])
    let definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["zone-a", "zone-b"])
    #expect {
      try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-bad", definition: definition)))
    } throws: { error in
      (error as? PluginCallError)?.error.code == .invalidArgument
    }
    #expect(try proxy.inserts().count == 1)
    #expect(try GCESupport.mailboxObjects(opened).allSatisfy { !$0.contains("/jobs/") })
  }

  @Test("capacity_wait_seconds bounds the search; the error is retryable capacity naming every zone")
  func capacityWaitRunsOut() throws {
    let proxy = try CapacityProxy(["zone-a": "exhausted", "zone-b": "exhausted"])
    let opened = try GCESupport.open(
      apiRoot: proxy.apiRoot, zones: ["zone-a", "zone-b"],
      ["capacity_wait_seconds": 1, "initial_backoff_sec": .double(0.05)])
    let definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["zone-a", "zone-b"])
    var failure: PluginError?
    do {
      _ = try opened.backend.call(
        "launch", try JSONCoding.value(of: GCESupport.spec("run-none", definition: definition)))
    } catch let error as PluginCallError {
      failure = error.error
    }
    let error = try #require(failure)
    #expect(error.code == .capacity)
    #expect(error.retryable)
    #expect(error.detail["zones_tried"] == ["zone-a", "zone-b"])
    #expect(try proxy.inserts().count >= 4)  // both zones, at least twice
  }

  @Test("#43: spot with GPU: SPOT, STOP on preemption, no reservation, accelerators and boot disk from the profile")
  func spotGPURequestBody() throws {
    let proxy = try CapacityProxy([:])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot, zones: ["us-west4-a"])
    let definition: JSONValue = [
      "machine_type": "a2-highgpu-1g", "gpu": ["type": "a100", "accelerator": "nvidia-tesla-a100", "count": 2],
      "preemptible_allowed": true, "on_demand_allowed": false, "zones": ["us-west4-a"],
      "boot_disk": [
        "type": "pd-ssd", "size_gb": 600, "image_family": "debian-12", "image_project": "debian-cloud",
      ],
    ]
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-spot-gpu", definition: definition)))
    #expect(handle["provisioning"]?.stringValue == "spot")
    let body = try #require(try proxy.inserts().first?["body"])
    #expect(body["scheduling"]?["provisioningModel"]?.stringValue == "SPOT")
    #expect(body["scheduling"]?["instanceTerminationAction"]?.stringValue == "STOP")
    #expect(body["scheduling"]?["onHostMaintenance"]?.stringValue == "TERMINATE")
    #expect(body["reservationAffinity"]?["consumeReservationType"]?.stringValue == "NO_RESERVATION")
    #expect(body["machineType"]?.stringValue == "zones/us-west4-a/machineTypes/a2-highgpu-1g")
    #expect(
      body["guestAccelerators"]?[0]?["acceleratorType"]?.stringValue
        == "zones/us-west4-a/acceleratorTypes/nvidia-tesla-a100")
    #expect(body["guestAccelerators"]?[0]?["acceleratorCount"]?.intValue == 2)
    let disk = body["disks"]?[0]?["initializeParams"]
    #expect(disk?["diskSizeGb"]?.stringValue == "600")
    #expect(disk?["diskType"]?.stringValue == "zones/us-west4-a/diskTypes/pd-ssd")
    #expect(disk?["sourceImage"]?.stringValue == "projects/debian-cloud/global/images/family/debian-12")
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("an on-demand CPU profile asks for STANDARD provisioning, no accelerators, no reservation override")
  func onDemandRequestBody() throws {
    let proxy = try CapacityProxy([:])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot)
    var definition = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["us-central1-a"])
    if case .object(var fields) = definition {
      fields["preemptible_allowed"] = false
      definition = .object(fields)
    }
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-on-demand", definition: definition)))
    let body = try #require(try proxy.inserts().first?["body"])
    #expect(body["scheduling"]?["provisioningModel"]?.stringValue == "STANDARD")
    #expect(body["guestAccelerators"] == nil)
    #expect(body["reservationAffinity"] == nil)
    #expect(body["disks"]?[0]?["initializeParams"]?["diskSizeGb"]?.stringValue == "200")
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("#16: one sanitizer names the VM, the worker handle and what list_workers finds")
  func instanceNamesAreSanitizedOnce() throws {
    let opened = try GCESupport.open()
    let workerId = "Pool_Worker.ABC-" + String(repeating: "x", count: 80)
    let handle = try opened.backend.call(
      "launch",
      try JSONCoding.value(
        of: GCESupport.spec(
          "stage-RUN_1", worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 600, workerId: workerId))))
    let name = try #require(handle["instance"]?.stringValue)
    #expect(name.count <= 63)
    #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
    #expect(name.first?.isLetter == true && name.last != "-")
    #expect(handle["worker"]?["instance"]?.stringValue == name)
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", name) != nil)
    // A one-shot VM of the same project is no worker; other labels find nothing.
    let oneShot = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-not-a-worker")))
    let listed = try opened.backend.call("list_workers", ["labels": ["goldfish-project": "demo"]])
    #expect(listed["workers"]?.arrayValue?.map { $0["instance"]?.stringValue } == [name])
    // The worker keeps the id the host chose, so the pool can match what list_workers finds to its rows.
    #expect(handle["worker"]?["worker_id"]?.stringValue == workerId)
    #expect(listed["workers"]?.arrayValue?.map { $0["worker_id"]?.stringValue } == [workerId])
    let other = try opened.backend.call("list_workers", ["labels": ["goldfish-project": "other"]])
    #expect(other["workers"]?.arrayValue?.isEmpty == true)
    _ = try opened.backend.call("cleanup", ["handle": oneShot])
    #expect(try opened.backend.call("delete_worker", ["worker": handle["worker"]!])["confirmed"] == true)
  }
}

extension JSONValue {
  fileprivate subscript(index: Int) -> JSONValue? {
    guard case .array(let items) = self, items.indices.contains(index) else { return nil }
    return items[index]
  }
}
