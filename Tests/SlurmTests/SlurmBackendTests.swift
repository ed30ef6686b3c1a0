import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The slurm plugin against a real Slurm (slurmctld, slurmd and slurmrestd from Debian's packages,
/// started by scripts/test.sh through scripts/slurm-local.sh).
@Suite("slurm backend against a real cluster", .enabled(if: SlurmSupport.available, "\(SlurmSupport.reason)"))
struct SlurmBackendTests {
  @Test("goldfish plugins check passes for slurm over JWT on TCP")
  func conformanceOverJWT() throws {
    let config = try JSONCoding.encode(SlurmSupport.config())
    let result = Command.goldfish(["plugins", "check", TestEnvironment.plugin("GoldfishSlurm"), "--config", config])
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    #expect(!result.stdout.contains("FAIL"), "\(result.stdout)")
    #expect(result.stdout.contains("PASS  timeout_seconds is enforced"), "\(result.stdout)")
    #expect(result.stdout.contains("PASS  recover from a fresh instance"), "\(result.stdout)")
    #expect(!result.stdout.contains("SKIP  launch"), "\(result.stdout)")
    // The token never shows, not even in the settings logged at debug level.
    let token = try String(contentsOfFile: SlurmSupport.tokenFile, encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!result.stdout.contains(token) && !result.stderr.contains(token))
  }

  @Test("goldfish plugins check passes for slurm over local auth on a unix socket")
  func conformanceOverSocket() throws {
    let config = try JSONCoding.encode(
      JSONValue.object([
        "url": .string("unix://" + SlurmSupport.socket), "partition": "debug",
        "profiles": ["cpu-small": ["cpus": 1, "memory_mb": 100]],
      ]))
    let result = Command.goldfish(
      ["plugins", "check", TestEnvironment.plugin("GoldfishSlurm"), "--config", config],
      environment: ["GOLDFISH_LOG_LEVEL": "debug"])
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    #expect(!result.stdout.contains("FAIL"), "\(result.stdout)")
    // The version was negotiated from what slurmrestd lists, not assumed.
    #expect(result.stderr.contains("using v0.0.38"), "\(result.stderr)")
  }

  @Test("a bad token is refused with an error that names the credentials and never shows the token")
  func badToken() throws {
    let backend = try SlurmSupport.backend(SlurmSupport.config(["token_file": .null, "token": "not-a-token-xyz"]))
    let spec = SlurmSupport.spec("badtoken", command: ["/bin/true"])
    do {
      _ = try backend.call("launch", try JSONCoding.value(of: spec))
      Issue.record("a launch with a bad token succeeded")
    } catch {
      let text = "\(error)"
      #expect(text.contains("token") || text.contains("401"), "\(text)")
      #expect(!text.contains("not-a-token-xyz"), "\(text)")
    }
  }

  @Test("a pending job shows Slurm's reason as its status message")
  func pendingReason() throws {
    let backend = try SlurmSupport.backend(SlurmSupport.config(["partition": "held"]))
    let spec = SlurmSupport.spec("pending", command: ["/bin/true"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try SlurmSupport.wait(backend, handle, seconds: 20) { $0.message.contains("PartitionDown") }
    #expect(status.state == .pending, "\(status)")
    #expect(status.message.contains("PartitionDown"), "\(status)")
    _ = try backend.call("cancel", ["handle": handle, "reason": "user"])
    let canceled = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(canceled.state == .canceled, "\(canceled)")
  }

  @Test("a request no node can satisfy is a failed launch, and its job does not linger")
  func impossibleRequest() throws {
    let backend = try SlurmSupport.backend(
      SlurmSupport.config(["profiles": ["cpu-small": ["cpus": 64, "memory_mb": 100]]]))
    let spec = SlurmSupport.spec("impossible", command: ["/bin/true"])
    do {
      _ = try backend.call("launch", try JSONCoding.value(of: spec))
      Issue.record("a launch asking for 64 CPUs of a 2-CPU node succeeded")
    } catch let error as PluginCallError {
      #expect(error.error.message.contains("cannot run"), "\(error)")
      #expect(error.error.detail["hint"]?.stringValue?.contains("slurm.profiles.cpu-small") == true, "\(error)")
      let id = try #require(error.error.detail["job_id"]?.intValue)
      let queue = SlurmSupport.tool(["/usr/bin/squeue", "-h", "-t", "all", "-j", String(id), "-o", "%T"])
      #expect(queue.stdout.contains("CANCELLED"), "\(queue.stdout) \(queue.stderr)")
    }
  }

  @Test("scancel from outside Goldfish ends the job canceled")
  func scancelFromOutside() throws {
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("scancel", command: ["/bin/sleep", "120"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try SlurmSupport.wait(backend, handle) { $0.state == .running }.state == .running)
    let id = try #require(handle["job_id"]?.intValue)
    let result = SlurmSupport.tool(["/usr/bin/scancel", String(id)])
    #expect(result.status == 0, "\(result.stderr)")
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .canceled, "\(status)")
    #expect(status.terminationCause == .user)
  }

  @Test("Slurm's own time limit (TIMEOUT) ends the run terminated with cause timeout")
  func slurmTimeLimit() throws {
    // One minute is Slurm's smallest limit, checked about once a minute: this test takes ~1.5 min.
    let backend = try SlurmSupport.backend(
      SlurmSupport.config(["profiles": ["cpu-small": ["cpus": 1, "memory_mb": 100, "time_limit_minutes": 1]]]))
    let spec = SlurmSupport.spec("slurm-timeout", command: ["/bin/sleep", "600"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try SlurmSupport.wait(backend, handle, seconds: 240) { $0.state.isFinal }
    #expect(status.state == .terminated, "\(status)")
    #expect(status.terminationCause == .timeout, "\(status)")
    #expect(status.message.contains("time limit"), "\(status)")
  }

  @Test("a finished job purged from slurmctld still answers from its run folder")
  func purgedJobKeepsItsAnswer() throws {
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("purged", command: ["/bin/sh", "-c", "echo done; exit 3"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let first = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(first.state == .failed && first.exitCode == 3, "\(first)")
    // A handle whose job id Slurm never had stands for a purged job: the record in the folder answers.
    guard case .object(var fields) = handle else { return }
    fields["job_id"] = 987_654
    let status = try SlurmSupport.status(backend, .object(fields))
    #expect(status.state == .failed && status.exitCode == 3, "\(status)")
  }

  @Test("a stage that dies of the cancel's signal before the script's trap runs still ends canceled")
  func cancelSignalReachesTheStageFirst() throws {
    // Slurm signals the script and the stage together; when the stage dies first, the script
    // writes an exit record with code 143 as if the stage had failed. The stage here sends
    // itself SIGTERM, which leaves exactly that record.
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("cancel-first", command: ["/bin/sh", "-c", "kill -TERM $$"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let own = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(own.state == .failed && own.exitCode == 143, "a stage killing itself is its own failure: \(own)")
    // What cancel leaves before it asks Slurm to end the job, had it come first.
    let workDir = try #require(handle["work_dir"]?.stringValue)
    #expect(FileManager.default.createFile(atPath: workDir + "/slurm-cancel-requested", contents: nil))
    let status = try SlurmSupport.status(backend, handle)
    #expect(status.state == .canceled && status.terminationCause == .user && status.exitCode == 143, "\(status)")
  }

  @Test("a job-wide signal that reaches the script just after the stage died of it leaves the ending to Slurm")
  func jobWideSignalAfterTheStageDied() throws {
    // A scancel from outside goldfish leaves no request marker. Slurm signals every process
    // of the job; when the stage dies first, the script must still see its own signal before
    // it writes an exit record that would call the cancel the stage's failure. The stage
    // here dies of SIGTERM and the script gets its SIGTERM a moment later, as from scancel.
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec(
      "signal-late", command: ["/bin/sh", "-c", "(sleep 0.2; kill -TERM $PPID) & kill -TERM $$"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    let workDir = try #require(handle["work_dir"]?.stringValue)
    let record = try? String(contentsOfFile: workDir + "/slurm-exit.json", encoding: .utf8)
    #expect(record == nil, "the script recorded the signal as the stage's own exit: \(record ?? "") \(status)")
  }

  @Test("cancel leaves its request in the run folder before Slurm ends the job")
  func cancelLeavesItsRequest() throws {
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("cancel-request", command: ["/bin/sleep", "120"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    _ = try backend.call("cancel", ["handle": handle, "reason": "user"])
    let workDir = try #require(handle["work_dir"]?.stringValue)
    #expect(FileManager.default.fileExists(atPath: workDir + "/slurm-cancel-requested"))
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .canceled, "\(status)")
  }

  @Test("list_runs finds a job by its launch labels")
  func listRunsByLabel() throws {
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("listed", command: ["/bin/sleep", "30"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let listing = try backend.call("list_runs", ["labels": ["goldfish-run": .string(spec.runId)]])
    let runs = listing["runs"]?.arrayValue ?? []
    #expect(runs.count == 1, "\(listing)")
    #expect(runs.first?["handle"]?["job_id"] == handle["job_id"], "\(listing)")
    // A provisional handle (the host died before storing the real one) is recovered to the job.
    let recovered = try backend.call(
      "recover", ["handle": ["run_id": .string(spec.runId), "backend": "slurm", "work_dir": .string(spec.workDir)]])
    #expect(recovered["handle"]?["job_id"] == handle["job_id"], "\(recovered)")
    _ = try backend.call("cancel", ["handle": handle, "reason": "user"])
    _ = try backend.call("cleanup", ["handle": handle])
    let after = try backend.call("list_runs", ["labels": ["goldfish-run": .string(spec.runId)]])
    #expect(after["runs"]?.arrayValue?.isEmpty == true, "\(after)")
  }

  @Test("a job Slurm suspends stays running with the reason, and a requeued one goes back to pending")
  func suspendedAndRequeued() throws {
    let backend = try SlurmSupport.backend()
    let spec = SlurmSupport.spec("suspend", command: ["/bin/sleep", "120"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try SlurmSupport.wait(backend, handle) { $0.state == .running }.state == .running)
    let id = String(try #require(handle["job_id"]?.intValue))
    #expect(SlurmSupport.tool(["/usr/bin/scontrol", "suspend", id]).status == 0)
    let suspended = try SlurmSupport.wait(backend, handle, seconds: 20) { $0.message.contains("suspended") }
    #expect(suspended.state == .running && suspended.message.contains("suspended"), "\(suspended)")
    #expect(SlurmSupport.tool(["/usr/bin/scontrol", "resume", id]).status == 0)
    // requeuehold keeps it pending (held) until released, so the test cannot miss the pending spell.
    let requeue = SlurmSupport.tool(["/usr/bin/scontrol", "requeuehold", id])
    #expect(requeue.status == 0, "\(requeue.stderr)")
    let requeued = try SlurmSupport.wait(backend, handle, seconds: 20) { $0.state == .pending }
    #expect(requeued.state == .pending, "\(requeued)")
    _ = try backend.call("cancel", ["handle": handle, "reason": "user"])
    #expect(try SlurmSupport.wait(backend, handle) { $0.state.isFinal }.state == .canceled)
  }

  @Test("a token printed by slurm.token_command authenticates the job")
  func tokenCommand() throws {
    let backend = try SlurmSupport.backend(
      SlurmSupport.config(["token_file": .null, "token_command": ["scontrol", "token", "lifespan=600"]]))
    let spec = SlurmSupport.spec("tokencmd", command: ["/bin/sh", "-c", "echo via token_command"])
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .completed, "\(status)")
    let logs = try backend.call("logs", ["handle": handle, "offset": 0])
    #expect(logs["text"]?.stringValue?.contains("via token_command") == true, "\(logs)")
  }

  @Test("a pinned API version the server does not list is refused naming what it offers")
  func pinnedVersionNotOffered() throws {
    // The local slurmrestd serves only openapi/v0.0.38, although v0.0.37 is installed.
    let backend = try SlurmSupport.backend(SlurmSupport.config(["api_version": "v0.0.37"]))
    let spec = SlurmSupport.spec("pinned", command: ["/bin/true"])
    do {
      _ = try backend.call("launch", try JSONCoding.value(of: spec))
      Issue.record("a launch on an API version the server does not serve succeeded")
    } catch let error as PluginCallError {
      #expect(error.error.code == .unsupported, "\(error)")
      #expect(error.error.message.contains("offers v0.0.38"), "\(error)")
    }
  }

  @Test("slurm.shared_paths refuses a run the cluster would not see, before anything is submitted")
  func sharedPathsRefuseOutsiders() throws {
    let backend = try SlurmSupport.backend(SlurmSupport.config(["shared_paths": ["/nonexistent-shared"]]))
    let spec = SlurmSupport.spec("outside", command: ["/bin/true"])
    do {
      _ = try backend.call("launch", try JSONCoding.value(of: spec))
      Issue.record("a run outside slurm.shared_paths was submitted")
    } catch let error as PluginCallError {
      #expect(error.error.code == .invalidArgument, "\(error)")
      #expect(error.error.message.contains("slurm.shared_paths"), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: spec.workDir + "/slurm-job.json"))
  }

  @Test("with a container runtime the stage runs through it, with the run's folders bound")
  func containerRuntimeCommandLine() throws {
    // /bin/echo stands in for apptainer (not packaged here): the job prints the command line it was given.
    let backend = try SlurmSupport.backend(
      SlurmSupport.config(["container": ["runtime": "apptainer", "program": "/bin/echo", "arguments": ["--nv"]]]))
    var spec = SlurmSupport.spec("container", command: ["python3", "-c", "print(1)"])
    spec.image = "python:3.12"
    spec.codeDir = spec.workDir + "/code"
    try FileManager.default.createDirectory(atPath: spec.codeDir ?? "", withIntermediateDirectories: true)
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try SlurmSupport.wait(backend, handle) { $0.state.isFinal }.state == .completed)
    let text = try backend.call("logs", ["handle": handle, "offset": 0])["text"]?.stringValue ?? ""
    let expected =
      "exec --nv --bind \(spec.workDir) --bind \(spec.workDir)/code --pwd \(spec.workDir)/code docker://python:3.12 "
      + "python3 -c print(1)"
    #expect(text.contains(expected), "\(text)")
  }

  @Test("a container runtime missing on the node fails the run with a cause that names it")
  func containerRuntimeMissing() throws {
    // Apptainer and enroot are not packaged on Debian 12: a program name no node has stands for them.
    let backend = try SlurmSupport.backend(
      SlurmSupport.config(["container": ["runtime": "apptainer", "program": "goldfish-no-apptainer"]]))
    var spec = SlurmSupport.spec("no-runtime", command: ["python3", "-c", "print(1)"])
    spec.image = "python:3.12"
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try SlurmSupport.wait(backend, handle) { $0.state.isFinal }
    #expect(status.state == .failed && status.terminationCause == .error, "\(status)")
    #expect(status.exitCode == 127, "\(status)")
    #expect(status.message.contains("container runtime goldfish-no-apptainer is not installed"), "\(status)")
    let text = try backend.call("logs", ["handle": handle, "offset": 0])["text"]?.stringValue ?? ""
    #expect(text.contains("goldfish-no-apptainer is not installed"), "\(text)")
  }
}
