import PluginKit
import PluginSupport

/// What a gce run handle carries. Everything status needs is keyed by the run id (the
/// mailbox) or by the instance name and zone (the VM): never a scan of all VMs (#5 #13).
struct GCERunHandle: Sendable {
  var runId: String
  var instance: String
  var zone: String
  var mode: MachineProfile.Provisioning
  /// The VM exists for this run only: cancel and cleanup delete it.
  var oneShot: Bool
  var outputsDir: String?

  var json: JSONValue {
    [
      "run_id": .string(runId), "backend": "gce", "instance": .string(instance), "zone": .string(zone),
      "provisioning": .string(mode.rawValue), "one_shot": .bool(oneShot),
      "outputs_dir": outputsDir.map { .string($0) } ?? .null,
      // The VM's agent has not claimed the job yet: the host shows the run launching until status says otherwise.
      RunHandleKey.pendingUntilStarted: true,
    ]
  }

  init(
    runId: String, instance: String, zone: String, mode: MachineProfile.Provisioning, oneShot: Bool,
    outputsDir: String?
  ) {
    self.runId = runId
    self.instance = instance
    self.zone = zone
    self.mode = mode
    self.oneShot = oneShot
    self.outputsDir = outputsDir
  }

  init(_ json: JSONValue) throws(PluginError) {
    guard let runId = json["run_id"]?.stringValue, let instance = json["instance"]?.stringValue,
      let zone = json["zone"]?.stringValue
    else {
      throw PluginError(.invalidArgument, "not a gce run handle (run_id, instance and zone are required): \(json)")
    }
    try WorkerIdentifier.validate(runId, "run id")
    self.runId = runId
    self.instance = instance
    self.zone = zone
    mode = MachineProfile.Provisioning(rawValue: json["provisioning"]?.stringValue ?? "") ?? .onDemand
    oneShot = json["one_shot"]?.boolValue ?? true
    outputsDir = json["outputs_dir"]?.stringValue
  }

}

/// The opaque worker handle the host keeps in its pool row.
struct GCEWorkerHandle: Sendable {
  var workerId: String
  var instance: String
  var zone: String
  var mode: MachineProfile.Provisioning
  /// The image the worker was started for: it serves runs of exactly this image (#38).
  var image: String?

  var json: JSONValue {
    [
      "backend": "gce", "worker_id": .string(workerId), "instance": .string(instance), "zone": .string(zone),
      "provisioning": .string(mode.rawValue), "image": image.map { .string($0) } ?? .null,
    ]
  }

  init(workerId: String, instance: String, zone: String, mode: MachineProfile.Provisioning, image: String? = nil) {
    self.workerId = workerId
    self.instance = instance
    self.zone = zone
    self.mode = mode
    self.image = image
  }

  init(_ json: JSONValue) throws(PluginError) {
    guard let instance = json["instance"]?.stringValue, let zone = json["zone"]?.stringValue else {
      throw PluginError(.invalidArgument, "not a gce worker handle (instance and zone are required): \(json)")
    }
    self.instance = instance
    self.zone = zone
    workerId = json["worker_id"]?.stringValue ?? instance
    mode = MachineProfile.Provisioning(rawValue: json["provisioning"]?.stringValue ?? "") ?? .onDemand
    image = json["image"]?.stringValue
  }
}
