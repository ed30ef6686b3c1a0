import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Job states the local cluster can be driven into for real, on the `spare` node that no other
/// test uses (scripts/slurm-local.sh): NODE_FAIL (the node set down under a running job) and
/// DEADLINE (a pending job whose deadline passes). Serialized: both use that one node.
@Suite(
  "rare Slurm states on the spare node", .serialized,
  .enabled(if: SlurmSupport.available && !SlurmSupport.spareNode.isEmpty, "\(SlurmSupport.reason)"))
struct SlurmRareStateTests {
  static func spareBackend() throws -> OpenedService {
    try SlurmSupport.backend(
      SlurmSupport.config([
        "partition": "spare",
        "profiles": ["cpu-small": ["cpus": 1, "memory_mb": 100], "cpu-whole": ["cpus": 2, "memory_mb": 100]],
      ]))
  }

  @Test("the node failing under a running job (NODE_FAIL) ends the run failed, cause lost")
  func nodeFail() throws {
    let backend = try Self.spareBackend()
    let spec = SlurmSupport.spec("node-fail", command: ["/bin/sleep", "120"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    // Else Slurm requeues the job after the failure (JobRequeue=1) and it runs again: a job
    // field slurmrestd 22.05 does not apply from a submit (`requeue: false` is ignored).
    let id = try #require(handle["job_id"]?.intValue)
    #expect(SlurmSupport.tool(["/usr/bin/scontrol", "update", "JobId=\(id)", "Requeue=0"]).status == 0)
    #expect(try SlurmSupport.wait(backend, handle) { $0.state == .running }.state == .running)
    let down = SlurmSupport.tool([
      "/usr/bin/scontrol", "update", "nodename=\(SlurmSupport.spareNode)", "state=down", "reason=goldfish-test",
    ])
    defer {
      _ = SlurmSupport.tool(["/usr/bin/scontrol", "update", "nodename=\(SlurmSupport.spareNode)", "state=resume"])
    }
    #expect(down.status == 0, "\(down.stderr)")
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .failed && status.terminationCause == .lost, "\(status)")
    #expect(status.message.contains("NODE_FAIL"), "\(status)")
  }

  @Test("a pending job whose deadline passes (DEADLINE) ends terminated, cause timeout")
  func deadline() throws {
    let backend = try Self.spareBackend()
    // One CPU of the spare node's two is taken, so a job asking for both waits (Resources).
    let blocker = SlurmSupport.spec("deadline-blocker", command: ["/bin/sleep", "120"])
    let blocking = try backend.call("launch", try JSONCoding.value(of: blocker))
    defer { _ = try? backend.call("cancel", ["handle": blocking, "reason": "user"]) }
    #expect(try SlurmSupport.wait(backend, blocking) { $0.state == .running }.state == .running)
    // A time limit is needed: Slurm drops a job once start > deadline - time limit.
    let spec = SlurmSupport.spec(
      "deadline", command: ["/bin/true"], timeout: 30, profile: ResourceProfile(name: "cpu-whole"))
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try SlurmSupport.status(backend, handle).state == .pending)
    let id = try #require(handle["job_id"]?.intValue)
    let update = SlurmSupport.tool(["/usr/bin/scontrol", "update", "JobId=\(id)", "Deadline=now+2"])
    #expect(update.status == 0, "\(update.stderr)")
    let status = try SlurmSupport.wait(backend, handle, seconds: 120) { $0.state.isFinal }
    #expect(status.state == .terminated && status.terminationCause == .timeout, "\(status)")
    #expect(status.message.contains("deadline"), "\(status)")
  }

  @Test("a job of a higher partition tier taking the node (PREEMPTED) ends the run failed, cause preemption")
  func preempted() throws {
    let backend = try Self.spareBackend()
    let spec = SlurmSupport.spec(
      "preempted", command: ["/bin/sleep", "120"], profile: ResourceProfile(name: "cpu-whole"))
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try SlurmSupport.wait(backend, handle) { $0.state == .running }.state == .running)
    // `spare-urgent` has the higher PriorityTier on the same node, and PreemptMode=CANCEL.
    let urgent = SlurmSupport.tool([
      "/usr/bin/sbatch", "--parsable", "-p", "spare-urgent", "-c", "2", "-o", "/dev/null", "-D", "/tmp",
      "--wrap", "sleep 2",
    ])
    #expect(urgent.status == 0, "\(urgent.stderr)")
    defer {
      _ = SlurmSupport.tool(["/usr/bin/scancel", urgent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
    }
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .failed && status.terminationCause == .preemption, "\(status)")
    #expect(status.message.contains("preempted"), "\(status)")
  }
}
