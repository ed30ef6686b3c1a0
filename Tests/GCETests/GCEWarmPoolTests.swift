import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The host's warm pool on gce end to end: real host runs (executor, dispatcher, run end,
/// reaper), the gce plugin on gcplocal, VMs played by real goldfish-agents, mailbox and
/// artifacts in the storage emulator. Inserts are counted by the proxy in front of gcplocal.
@Suite("warm pool on gce through the VM harness", .enabled(if: VMHarness.available), .serialized)
struct GCEWarmPoolTests {
  @Test(
    "5.7 #1 #2 #3 #11 #13 a compatible run goes to the idle VM with no insert; its log, exit and output are its own")
  func reuseWithoutInsert() throws {
    let gce = try GCEWarmProject()
    defer { gce.tearDown() }
    let warm = gce.warm
    let a = try warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    #expect(try gce.warmInserts() == 1)
    let worker = try #require(warm.workerID(of: a))
    let vm = try #require(warm.workerHandle(of: a))
    // The VM stayed up after A, and A still completed: its end came from A's exit record (#11).
    #expect(try gce.vmExists(vm))
    let history = try warm.store.workerTransitions(worker).map { "\($0.event) \($0.reason ?? "")" }
    #expect(try warm.store.worker(worker)?.state == .idleReady, "\(history) \(gce.harness.log)")
    let logA = try #require(try gce.mailbox("runs/\(a.id)/logs/output.log"))
    let exitA = try #require(try gce.mailbox("runs/\(a.id)/exit.json"))
    #expect(logA.contains("hello from \(a.id)"))

    let b = try warm.run()
    #expect(b.state == .awaitingUserFinalization, "\(b.error ?? "") \(gce.harness.log)")
    #expect(warm.workerID(of: b) == worker)
    #expect(try gce.inserts() == 1)  // no instances.insert for B (#1)
    #expect(try warm.reservations() == 1)
    let row = try #require(try warm.store.worker(worker))
    #expect(row.state == .idleReady && row.jobsDone == 1 && row.leaseRunID == nil)

    // B's records are under runs/<B>/ (#2 #3 #13); A's are exactly as A left them.
    let logB = try #require(try gce.mailbox("runs/\(b.id)/logs/output.log"))
    #expect(logB.contains("hello from \(b.id)") && !logB.contains(a.id))
    let exitB = try #require(try gce.mailbox("runs/\(b.id)/exit.json"))
    #expect(try JSONCoding.parse(exitB)["run_id"]?.stringValue == b.id)
    #expect(try JSONCoding.parse(exitB)["exit_code"]?.intValue == 0)
    #expect(try gce.mailbox("runs/\(a.id)/logs/output.log") == logA)
    #expect(try gce.mailbox("runs/\(a.id)/exit.json") == exitA)
    let noteA = try #require(try warm.store.signals(of: a.id).first { $0.signal == "note" && $0.direction == "output" })
    let noteB = try #require(try warm.store.signals(of: b.id).first { $0.signal == "note" && $0.direction == "output" })
    #expect(noteA.uri != noteB.uri && noteB.uri?.hasPrefix("gs://\(GCSSupport.bucket)/\(gce.prefix)/storage/") == true)
    #expect(try warm.store.stageRun(a.id)?.state == .awaitingUserFinalization)

    // An incompatible run (another profile: another machine type) gets a VM of its own.
    let c = try warm.run(overrides: ["compute.profile": .string("cpu-large")])
    #expect(c.state == .awaitingUserFinalization, "\(c.error ?? "") \(gce.harness.log)")
    let cWorker = try #require(warm.workerID(of: c))
    #expect(cWorker != worker)
    #expect(try gce.warmInserts() == 2)
    let machineTypes = try gce.proxy.inserts().compactMap { $0["body"]?["machineType"]?.stringValue }
    #expect(Set(machineTypes).count == 2, "\(machineTypes)")
    #expect(try warm.store.worker(worker)?.jobsDone == 1)
  }

  @Test("the mailbox is in gcs.bucket when gce.gcs_bucket is unset: the host tells the backend its storage")
  func mailboxDefaultsToStorageBucket() throws {
    let gce = try GCEWarmProject()
    defer { gce.tearDown() }
    let text = try String(contentsOfFile: gce.warm.fixture.root + "/goldfish.yaml", encoding: .utf8)
    #expect(!text.contains("gcs_bucket"))
    let services = try gce.warm.services()
    #expect(services.backend.info.name == "gce")
    let a = try gce.warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    // The agent on the VM was configured with gs://<gcs.bucket>/<gce.mailbox_prefix>.
    let insert = try #require(try gce.proxy.inserts().first)
    let items = insert["body"]?["metadata"]?["items"]?.arrayValue ?? []
    let config = try #require(items.first { $0["key"]?.stringValue == "goldfish-agent-config" }?["value"]?.stringValue)
    #expect(try JSONCoding.parse(config)["mailbox"]?.stringValue == "gs://\(GCSSupport.bucket)/\(gce.prefix)/mailbox")
    #expect(try gce.mailbox("runs/\(a.id)/exit.json") != nil)
  }

  @Test("the cap holds under ten concurrent runs: never more pooled VMs than max_instances, every run completes")
  func capUnderTenConcurrentRuns() throws {
    let gce = try GCEWarmProject(maxInstances: 2)
    defer { gce.tearDown() }
    let warm = gce.warm
    let ids = try (0..<10).map { _ in try warm.start(["hello"]) }
    let most = MaxTally()
    let groups = ids.map(warm.driveInBackground)
    while groups.contains(where: { $0.wait(timeout: .now()) == .timedOut }) {
      most.see(try warm.store.workers(backend: "gce").filter { $0.state != .gone }.count)
      usleep(50_000)
    }
    #expect(most.value <= 2)
    let runs = try ids.map(warm.stageRun)
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.state) \($0.error ?? "")" }) \(gce.harness.log)")
    #expect(try gce.warmInserts() <= 2)
    #expect(try warm.reservations() <= 2)
    let pooled = runs.compactMap(warm.workerID)
    #expect(Set(pooled).count <= 2 && !pooled.isEmpty)
    // Runs past the cap went to one-shot VMs, each deleted after its job.
    #expect(try gce.inserts() - gce.warmInserts() == runs.count - pooled.count)
  }

  @Test("5.7 #24 two dispatchers with their own store connections race for one idle VM: exactly one wins")
  func racingDispatchers() throws {
    let gce = try GCEWarmProject(maxInstances: 2)
    defer { gce.tearDown() }
    let a = try gce.warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    let worker = try #require(gce.warm.workerID(of: a))
    let one = try gce.reopened()
    let two = try gce.reopened()
    let first = try one.start(["hello"])
    let second = try two.start(["hello"])
    let groups = [one.driveInBackground(first), two.driveInBackground(second)]
    for group in groups { #expect(group.wait(timeout: .now() + 300) == .success) }
    let runs = [try one.stageRun(of: first), try two.stageRun(of: second)]
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization }, "\(runs.map { "\($0.state) \($0.error ?? "")" })")
    let winners = runs.filter { gce.warm.workerID(of: $0) == worker }
    #expect(winners.count == 1)
    let assigned = try gce.store.workerTransitions(worker).filter { $0.event == "job_assigned" }
    #expect(assigned.count == 1 && assigned.first?.runID == winners.first?.id)
    // The loser launched a VM of its own rather than share A's.
    #expect(try gce.warmInserts() == 2)
  }

  @Test("5.7 #26 the idle timeout deletes the VM; the row goes only once the VM is confirmed gone")
  func idleTimeout() throws {
    let gce = try GCEWarmProject(idleTimeoutSeconds: 2)
    defer { gce.tearDown() }
    let a = try gce.warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    let worker = try #require(gce.warm.workerID(of: a))
    let handle = try #require(gce.warm.workerHandle(of: a))
    let reaper = WarmPoolReaper(services: try gce.warm.services())
    try gce.warm.waitUntil("the reaper dropped the idle worker") {
      try reaper.reap()
      let row = try gce.store.worker(worker)
      // Never a dropped row while its VM still exists.
      if row == nil {
        let events = try gce.store.workerTransitions(worker).map { "\($0.event) \($0.source) \($0.reason ?? "")" }
        #expect(try !gce.vmExists(handle), "\(events) \(handle) \(gce.harness.log)")
      }
      return row == nil
    }
    #expect(try !gce.vmExists(handle))
    let events = try gce.store.workerTransitions(worker).map(\.event)
    #expect(events.contains("delete_confirmed") || events.last == "lost", "\(events)")
    // The next run launches a fresh VM.
    let b = try gce.warm.run()
    #expect(b.state == .awaitingUserFinalization, "\(b.error ?? "")")
    #expect(gce.warm.workerID(of: b) != nil && gce.warm.workerID(of: b) != worker)
    #expect(try gce.warmInserts() == 2)
  }

  @Test("5.7 #29 cancel of B stops only B: another run's VM and job go on, A's finished results stay")
  func cancelOnlyB() throws {
    let gce = try GCEWarmProject()
    defer { gce.tearDown() }
    let warm = gce.warm
    let a = try warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    let idle = try #require(warm.workerID(of: a))
    let logA = try gce.mailbox("runs/\(a.id)/logs/output.log")
    let exitA = try gce.mailbox("runs/\(a.id)/exit.json")
    let bRun = try warm.start(["sleeper"])
    let bGroup = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("B runs on the idle VM") {
      try warm.store.worker(idle)?.leaseRunID == b.id && gce.mailbox("runs/\(b.id)/claimed.json") != nil
    }
    let cRun = try warm.start(["sleeper"])
    let cGroup = warm.driveInBackground(cRun)
    let c = try warm.stageRun(of: cRun)
    try warm.waitUntil("C runs on a VM of its own") {
      try warm.store.worker(leasedTo: c.id) != nil && gce.mailbox("runs/\(c.id)/claimed.json") != nil
    }
    let cRow = try #require(try warm.store.worker(leasedTo: c.id))
    #expect(cRow.workerID != idle)

    let bHandle = try #require(warm.workerHandle(of: b))
    #expect(try Executor(services: try warm.services()).cancel(b.id, reason: goodReason) == [b.id])
    #expect(bGroup.wait(timeout: .now() + 120) == .success)
    #expect(try warm.store.stageRun(b.id)?.state == .canceled)
    // B's own VM goes, and B's job with it (the host deletes a canceled run's worker: upstream #29).
    let bRow = try warm.store.worker(idle)
    #expect(bRow == nil || bRow?.state == .deleting)
    try warm.waitUntil("B's VM is deleted") { try !gce.vmExists(bHandle) }
    // C, its VM and its job are untouched…
    let cNow = try #require(try warm.store.worker(cRow.workerID))
    #expect(cNow.state == .busy && cNow.leaseRunID == c.id)
    #expect(try gce.vmExists(cNow.handle))
    #expect(try warm.store.stageRun(c.id)?.state == .running)
    #expect(try gce.mailbox("runs/\(c.id)/exit.json") == nil)
    // …and so are A's finished results.
    #expect(try warm.store.stageRun(a.id)?.state == .awaitingUserFinalization)
    #expect(try gce.mailbox("runs/\(a.id)/logs/output.log") == logA)
    #expect(try gce.mailbox("runs/\(a.id)/exit.json") == exitA)

    _ = try Executor(services: try warm.services()).cancel(c.id, reason: goodReason)
    #expect(cGroup.wait(timeout: .now() + 120) == .success)
  }

  @Test("5.7 #12 #16 a VM deleted mid-job fails that run as lost (never left running) and the next run gets a new VM")
  func workerKilledMidJob() throws {
    let gce = try GCEWarmProject()
    defer { gce.tearDown() }
    let warm = gce.warm
    let bRun = try warm.start(["sleeper"])
    let group = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("the agent on B's VM claimed B") {
      try warm.workerHandle(of: b) != nil && gce.mailbox("runs/\(b.id)/claimed.json") != nil
    }
    let handle = try #require(warm.workerHandle(of: b))
    let worker = try #require(warm.workerID(of: b))
    // While its first job runs, the fresh VM's row is busy and leased to it, never idle (#12),
    // and the row's handle names the real VM (#16).
    let leased = try #require(try warm.store.worker(worker))
    #expect(leased.state == .busy && leased.leaseRunID == b.id)
    #expect(try gce.vmExists(handle))
    try gce.deleteVM(of: handle)  // the harness stops its agent mid-job

    #expect(group.wait(timeout: .now() + 120) == .success)
    let ended = try #require(try warm.store.stageRun(b.id))
    #expect(ended.state == .terminated && ended.terminationCause == "lost", "\(ended.state) \(ended.error ?? "")")
    // Its row is not offered again…
    let row = try warm.store.worker(worker)
    #expect(row == nil || row?.state == .deleting, "\(String(describing: row?.state))")
    // …and the next run is given a new VM.
    let next = try warm.run()
    #expect(next.state == .awaitingUserFinalization, "\(next.error ?? "") \(gce.harness.log)")
    #expect(warm.workerID(of: next) != nil && warm.workerID(of: next) != worker)
    #expect(try gce.warmInserts() == 2)
  }

  @Test("5.7 #17 a refused VM insert fails the run and releases its reservation: no launching row holds the cap")
  func failedInsertReleasesReservation() throws {
    let gce = try GCEWarmProject(faults: ["us-central1-a": "bad-type"])
    defer { gce.tearDown() }
    let a = try gce.warm.run()
    #expect(a.state == .failed, "\(a.state) \(a.error ?? "")")
    #expect(try gce.warmInserts() >= 1)
    let worker = WarmPool.workerID(forRun: a.id)
    let events = try gce.store.workerTransitions(worker).map(\.event)
    #expect(events.first == "reserved" && events.contains("launch_failed"), "\(events)")
    // The row went to deleting and, with no VM to wait for, is gone: the cap is free again.
    let row = try gce.store.worker(worker)
    #expect(row == nil || row?.state == .deleting)
    #expect(try gce.store.workers(backend: "gce").filter { $0.state == .launching }.isEmpty)
    #expect(try gce.vms().isEmpty)
  }

  @Test("emergency cleanup deletes a warm VM the pool lost its row for, and names it by the host's worker id")
  func cleanupFindsUntrackedVM() throws {
    let gce = try GCEWarmProject()
    defer { gce.tearDown() }
    let a = try gce.warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "") \(gce.harness.log)")
    let worker = try #require(gce.warm.workerID(of: a))
    let handle = try #require(gce.warm.workerHandle(of: a))
    // The row is gone but the VM is not (a store restored from a backup, a hand edit).
    try gce.store.write { db in try db.execute(sql: "DELETE FROM warm_workers WHERE worker_id = ?", arguments: [worker])
    }
    #expect(try gce.vmExists(handle))
    let result = try WarmPoolCleanup(services: try gce.warm.services()).run(reason: "test: find the lost VM")
    #expect(result.deleted == [worker], "\(result)")
    #expect(result.success && result.remaining == 0)
    #expect(try !gce.vmExists(handle))
  }
}
