import Foundation
import PluginKit

/// Finds a zone (and a provisioning mode) with room for the machine. Every round walks all
/// modes and all zones of the profile with a fresh backoff, and rounds repeat until
/// `capacity_wait_seconds` is spent (#49). Capacity errors move on to the next zone (#41);
/// any other error ends the search at once, since it would fail the same way everywhere.
struct CapacitySearch {
  struct Attempt: Sendable {
    var zone: String
    var mode: MachineProfile.Provisioning
    var message: String
  }

  struct Placement: Sendable, Equatable {
    var zone: String
    var mode: MachineProfile.Provisioning
  }

  let api: ComputeAPI
  let settings: GCESettings

  func launch(
    name: String, profile: MachineProfile, request: (String, MachineProfile.Provisioning) -> InstanceRequest
  ) throws(PluginError) -> Placement {
    let deadline = Date().addingTimeInterval(settings.capacityWaitSeconds)
    var attempts: [Attempt] = []
    while true {
      var backoff = settings.initialBackoff
      for mode in profile.modes {
        for zone in profile.zones {
          let attempt = request(zone, mode)
          do {
            try api.insert(zone: zone, body: attempt.body)
            return Placement(zone: zone, mode: mode)
          } catch where error.code == .alreadyExists {
            // Names come from the run or worker id: a launch retried after its answer was lost.
            return try adopt(name: name, zone: zone, worker: attempt.labels["goldfish-worker"], error)
          } catch where error.code == .capacity || error.code == .unavailable || error.code == .timeout {
            // The insert may have gone through despite the error: never leave a twin behind
            // by creating the same name in another zone.
            if let existing = try? api.get(zone: zone, name: name),
              !["STOPPING", "TERMINATED"].contains(existing["status"]?.stringValue ?? "")
            {
              return Placement(zone: zone, mode: mode)
            }
            guard error.code == .capacity else { throw error }
            attempts.append(Attempt(zone: zone, mode: mode, message: error.message))
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, attempts.count < settings.maxAttempts else {
              throw exhausted(profile, attempts)
            }
            Thread.sleep(forTimeInterval: min(backoff, remaining))
            backoff = min(
              backoff * settings.backoffMultiplier, max(settings.capacityWaitSeconds, settings.initialBackoff))
          }
        }
      }
    }
  }

  /// The instance of our name in `zone`, when it is ours (same worker label) and not on its way out.
  private func adopt(
    name: String, zone: String, worker: String?, _ conflict: PluginError
  ) throws(PluginError)
    -> Placement
  {
    guard let existing = try api.get(zone: zone, name: name) else { throw conflict }  // deleted meanwhile
    let status = existing["status"]?.stringValue ?? ""
    guard existing["labels"]?["goldfish-worker"]?.stringValue == worker else {
      throw PluginError(
        .alreadyExists, "an instance named \(name) in \(zone) exists and was not started for this run or worker",
        detail: ["instance": .string(name), "zone": .string(zone)])
    }
    guard !["STOPPING", "TERMINATED", "SUSPENDED"].contains(status) else {
      throw PluginError(
        .alreadyExists,
        "this run's instance \(name) in \(zone) already exists and is \(status); delete it or run again",
        detail: ["instance": .string(name), "zone": .string(zone), "status": .string(status)])
    }
    let spot = existing["scheduling"]?["provisioningModel"]?.stringValue == "SPOT"
    return Placement(zone: zone, mode: spot ? .spot : .onDemand)
  }

  private func exhausted(_ profile: MachineProfile, _ attempts: [Attempt]) -> PluginError {
    let zones = Array(Set(attempts.map(\.zone))).sorted()
    let last = attempts.suffix(3).map { "\($0.zone) (\($0.mode.rawValue)): \($0.message)" }
    return PluginError(
      .capacity,
      "no capacity for \(profile.machineType) (profile \(profile.name)) in \(zones.joined(separator: ", ")) "
        + "after \(attempts.count) attempts within \(Int(settings.capacityWaitSeconds)) s; last: "
        + last.joined(separator: " | "),
      retryable: true,
      detail: [
        "zones_tried": .array(zones.map { .string($0) }), "attempts": .int(Int64(attempts.count)),
        "machine_type": .string(profile.machineType),
      ])
  }
}
