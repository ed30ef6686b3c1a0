import PluginKit
import PluginSupport

/// The mechanics the host's warm pool drives (docs/warm-pool.md): deliver a job to an idle
/// worker, probe it, delete it, find it again by labels.
extension GCEBackend {
  func deliverJob(worker json: JSONValue, spec: RunSpec) throws(PluginError) -> JSONValue {
    try WorkerIdentifier.validate(spec.runId, "run id")
    let worker = try GCEWorkerHandle(json)
    let mailbox = try mailbox()
    // A worker serves the image it was started for, compared exactly (upstream §5.7 #38):
    // another image, or another tag of it, goes to another worker.
    guard worker.image == spec.image else {
      throw PluginError(
        .conflict,
        "worker \(worker.workerId) runs \(worker.image ?? "no image"), not \(spec.image ?? "no image"); "
          + "a run of another image needs another worker",
        detail: ["worker_id": .string(worker.workerId)])
    }
    // Nothing is written unless the worker is idle and has nothing queued: a `conflict` here
    // promises the host that this run was not delivered anywhere.
    let status = try mailbox.getJSON(try MailboxLayout.status(worker: worker.workerId))
    guard status?["state"]?.stringValue == "idle" else {
      throw PluginError(
        .conflict, "worker \(worker.workerId) is \(status?["state"]?.stringValue ?? "not reporting"), not idle",
        detail: ["worker_id": .string(worker.workerId)])
    }
    let queued = try mailbox.list(try MailboxLayout.jobsFolder(worker: worker.workerId) + "/")
    guard queued.isEmpty else {
      throw PluginError(
        .conflict, "worker \(worker.workerId) already has a job waiting",
        detail: ["worker_id": .string(worker.workerId)])
    }
    guard let vm = try compute.get(zone: worker.zone, name: worker.instance),
      ["RUNNING", "STAGING", "PROVISIONING"].contains(vm["status"]?.stringValue ?? "")
    else {
      throw PluginError(.conflict, "worker \(worker.workerId)'s VM \(worker.instance) is not running")
    }
    let job = try RunStaging(mailbox: mailbox).job(spec, preservePaths: spec.worker?.preservePaths ?? [])
    try mailbox.put(try MailboxLayout.job(worker: worker.workerId, run: spec.runId), json: job)
    let handle = GCERunHandle(
      runId: spec.runId, instance: worker.instance, zone: worker.zone, mode: worker.mode, oneShot: false,
      outputsDir: spec.outputsDir)
    var fields = handle.json.objectValue ?? [:]
    fields["worker"] = worker.json
    return .object(fields)
  }

  /// The VM's state from the Compute API decides liveness; `error` means "could not tell",
  /// never death (#25). The agent's status.json adds what it is doing.
  func probeWorker(_ json: JSONValue) throws(PluginError) -> WorkerProbe {
    let worker = try GCEWorkerHandle(json)
    let vm: JSONValue?
    do {
      vm = try compute.get(zone: worker.zone, name: worker.instance)
    } catch {
      return WorkerProbe(liveness: .error, message: "could not ask the Compute API: \(error.message)")
    }
    guard let vm else {
      return WorkerProbe(liveness: .notFound, message: "VM \(worker.instance) does not exist in \(worker.zone)")
    }
    let vmState = vm["status"]?.stringValue ?? "?"
    switch vmState {
    case "RUNNING", "STAGING", "PROVISIONING": break
    case "STOPPING", "STOPPED", "TERMINATED", "SUSPENDING", "SUSPENDED":
      return WorkerProbe(liveness: .dead, message: "VM \(worker.instance) is \(vmState)")
    default:
      return WorkerProbe(liveness: .error, message: "VM \(worker.instance) is in an unknown state \(vmState)")
    }
    let mailbox = try mailbox()
    let status: JSONValue?
    do {
      status = try mailbox.getJSON(try MailboxLayout.status(worker: worker.workerId))
    } catch {
      return WorkerProbe(liveness: .alive, state: "starting", message: "status.json unreadable: \(error.message)")
    }
    guard let status else {
      return WorkerProbe(
        liveness: .alive, state: "starting", message: "VM \(worker.instance) is \(vmState); agent not up yet")
    }
    var state = status["state"]?.stringValue ?? "starting"
    if state == "exited" { state = "stopping" }
    let runId = status["run_id"]?.stringValue
    var exitCode: Int?
    if let runId, let key = try? MailboxLayout.exit(run: runId), let exit = try? mailbox.getJSON(key) {
      exitCode = exit["exit_code"]?.intValue.map { Int($0) }
    }
    return WorkerProbe(
      liveness: .alive, state: state, runId: runId, exitCode: exitCode,
      message: "VM \(worker.instance) is \(vmState); agent \(state)")
  }

  /// Idempotent; true only once the VM is confirmed gone (#26).
  func deleteWorker(_ json: JSONValue) throws(PluginError) -> Bool {
    let worker = try GCEWorkerHandle(json)
    try compute.delete(zone: worker.zone, name: worker.instance)
    return try compute.get(zone: worker.zone, name: worker.instance) == nil
  }

  /// Workers of this backend whose labels include every given label, in the configured zones.
  func listWorkers(labels: [String: String]) throws(PluginError) -> [JSONValue] {
    var wanted: [String: String] = [:]
    for (key, value) in labels { wanted[InstanceRequest.labelValue(key)] = InstanceRequest.labelValue(value) }
    wanted["goldfish-warm"] = "true"
    let filter = wanted.keys.sorted().map { "labels.\($0)=\(wanted[$0]!)" }.joined(separator: " AND ")
    var workers: [JSONValue] = []
    for zone in settings.zones ?? MachineProfile.defaultZones {
      for vm in try compute.list(zone: zone, filter: filter) {
        let vmLabels = vm["labels"]?.objectValue ?? [:]
        guard wanted.allSatisfy({ vmLabels[$0.key]?.stringValue == $0.value }), let name = vm["name"]?.stringValue
        else { continue }
        let spot = vm["scheduling"]?["provisioningModel"]?.stringValue == "SPOT"
        // The agent's own config says the host's worker id exactly; the label is lower-cased
        // and cut to 63 characters.
        let workerId = Self.agentWorkerId(vm) ?? vmLabels["goldfish-worker"]?.stringValue ?? name
        workers.append(
          GCEWorkerHandle(
            workerId: workerId, instance: name, zone: zone, mode: spot ? .spot : .onDemand,
            image: Self.metadataItem(vm, StartupScript.imageKey)
          ).json)
      }
    }
    return workers
  }

  /// `worker_id` of the goldfish-agent config in a VM's metadata.
  static func agentWorkerId(_ vm: JSONValue) -> String? {
    guard let text = metadataItem(vm, StartupScript.configKey), let config = try? JSONCoding.parse(text) else {
      return nil
    }
    return config["worker_id"]?.stringValue
  }

  static func metadataItem(_ vm: JSONValue, _ key: String) -> String? {
    let items = vm["metadata"]?["items"]?.arrayValue ?? []
    return items.first(where: { $0["key"]?.stringValue == key })?["value"]?.stringValue
  }
}
