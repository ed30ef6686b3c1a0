import PluginKit

/// The body of `instances.insert` for one attempt: a profile placed in one zone in one mode.
struct InstanceRequest: Sendable {
  var name: String
  var profile: MachineProfile
  var zone: String
  var mode: MachineProfile.Provisioning
  var metadata: [String: String]
  var labels: [String: String]
  var serviceAccount: String?

  var body: JSONValue {
    let zonePath = "zones/\(zone)"
    var scheduling: [String: JSONValue] = [:]
    switch mode {
    case .spot:
      // Spot VMs stop rather than vanish when preempted, so the backend can tell preemption
      // from loss; no reservation may absorb them (#43).
      scheduling = [
        "provisioningModel": "SPOT", "instanceTerminationAction": "STOP", "preemptible": true,
        "automaticRestart": false, "onHostMaintenance": "TERMINATE",
      ]
    case .onDemand:
      scheduling = [
        "provisioningModel": "STANDARD", "automaticRestart": true,
        // GPUs cannot live-migrate.
        "onHostMaintenance": profile.accelerator == nil ? "MIGRATE" : "TERMINATE",
      ]
    }
    var body: [String: JSONValue] = [
      "name": .string(name),
      "machineType": .string("\(zonePath)/machineTypes/\(profile.machineType)"),
      "scheduling": .object(scheduling),
      "disks": [
        [
          "boot": true, "autoDelete": true, "type": "PERSISTENT",
          "initializeParams": [
            "diskSizeGb": .string(String(profile.bootDisk.sizeGB)),
            "diskType": .string("\(zonePath)/diskTypes/\(profile.bootDisk.type)"),
            "sourceImage": .string(
              "projects/\(profile.bootDisk.imageProject)/global/images/family/\(profile.bootDisk.imageFamily)"),
          ],
        ]
      ],
      "networkInterfaces": [["network": "global/networks/default", "accessConfigs": [["type": "ONE_TO_ONE_NAT"]]]],
      "metadata": [
        "items": .array(metadata.keys.sorted().map { ["key": .string($0), "value": .string(metadata[$0]!)] })
      ],
      "labels": .object(labels.mapValues { .string($0) }),
      "serviceAccounts": [
        [
          "email": .string(serviceAccount ?? "default"),
          "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        ]
      ],
    ]
    if mode == .spot { body["reservationAffinity"] = ["consumeReservationType": "NO_RESERVATION"] }
    if let accelerator = profile.accelerator {
      body["guestAccelerators"] = [
        [
          "acceleratorType": .string("\(zonePath)/acceleratorTypes/\(accelerator.type)"),
          "acceleratorCount": .int(Int64(accelerator.count)),
        ]
      ]
    }
    return .object(body)
  }

  /// Label values: lower-case letters, digits, '-' and '_', at most 63 characters.
  static func labelValue(_ text: String) -> String {
    var out = ""
    for scalar in text.lowercased().unicodeScalars {
      let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "-" || scalar == "_"
      out.unicodeScalars.append(ok ? scalar : "-")
    }
    return String(out.prefix(63))
  }
}
