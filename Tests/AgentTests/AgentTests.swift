import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// goldfish-agent, the real binary, over a real file mailbox. Each test names the upstream
/// §5.7 scenarios (reference/upstream-cloud.md) it proves.
@Suite("goldfish-agent", .serialized)
struct AgentTests {
  @Test("§5.7 #2 #3 #6 #13: the second job on one agent logs and exits only under runs/<second>/")
  func twoJobsInARow() throws {
    let agent = try AgentHarness("two-jobs")
    try agent.start()
    try agent.submit(AgentHarness.shell("run-a", "echo from-a; echo a > \"$GOLDFISH_OUTPUTS_DIR/a.txt\""))
    let first = try agent.waitForExit("run-a")
    try agent.submit(AgentHarness.shell("run-b", "echo from-b; echo b > \"$GOLDFISH_OUTPUTS_DIR/b.txt\"; exit 3"))
    let second = try agent.waitForExit("run-b")

    #expect(first.exitCode == 0 && first.terminationCause == .exit && first.runId == "run-a")
    #expect(second.exitCode == 3 && second.runId == "run-b" && second.runStatus.state == .failed)
    #expect(agent.log("run-a") == "from-a\n")
    #expect(agent.log("run-b") == "from-b\n")
    let keys = try agent.store.list("runs")
    #expect(
      keys.filter { $0.hasPrefix("runs/run-b/") }.sorted() == [
        "runs/run-b/claimed.json", "runs/run-b/exit.json", "runs/run-b/logs/output.log", "runs/run-b/outputs/b.txt",
      ])
    // Run A's outputs were cleaned before B: B uploaded only its own.
    #expect(keys.filter { $0.hasPrefix("runs/run-a/") }.contains("runs/run-a/outputs/a.txt"))
    for key in keys { #expect(key.split(separator: "/").filter { $0 == "runs" }.count == 1, "\(key)") }
    // One agent did both: same pid, two jobs done, and it is still there and idle.
    try agent.waitFor { agent.status?.state == .idle && agent.status?.jobsDone == 2 }
    #expect(agent.status?.agentPid == agent.pid)
    #expect(agent.isRunning)
    #expect(try agent.store.list("workers/\(agent.config.workerId)/jobs").isEmpty)
  }

  @Test("§5.7 #7: an env key with $(…) fails that run before it starts; the agent keeps working")
  func injectedEnvKey() throws {
    let agent = try AgentHarness("env-key")
    try agent.start()
    let marker = agent.folder + "/injected"
    try agent.submit(AgentHarness.shell("bad-env", "echo ran", env: ["X$(touch \(marker))": "1", "GOOD": "1"]))
    let failed = try agent.waitForExit("bad-env")
    #expect(failed.exitCode == 1 && failed.terminationCause == .error)
    #expect(failed.message.contains("environment key"))
    #expect(agent.log("bad-env").contains("did not start"))
    #expect(!agent.log("bad-env").contains("ran"))
    #expect(!FileManager.default.fileExists(atPath: marker))
    try agent.submit(
      AgentHarness.shell("good-env", "echo \"$GOOD_KEY\"", env: ["GOOD_KEY": "value with $(spaces) and ;"]))
    let good = try agent.waitForExit("good-env")
    #expect(good.exitCode == 0)
    #expect(agent.log("good-env") == "value with $(spaces) and ;\n")
  }

  @Test("§5.7 #8: timeout 0 is refused for that run; an absent timeout sets no timer")
  func timeoutZeroAndAbsent() throws {
    let agent = try AgentHarness("timeout-zero")
    try agent.start()
    try agent.submit(AgentHarness.shell("zero", "echo ran", timeout: 0))
    let zero = try agent.waitForExit("zero")
    #expect(zero.exitCode == 1 && zero.terminationCause == .error && zero.message.contains("timeout_seconds"))
    #expect(!agent.log("zero").contains("ran\n"))
    try agent.submit(AgentHarness.shell("absent", "sleep 1; echo finished"))
    let absent = try agent.waitForExit("absent")
    #expect(absent.exitCode == 0 && absent.terminationCause == .exit)
    #expect(agent.log("absent") == "finished\n")
  }

  @Test("§5.7 #39: a per-job timeout kills only that job; the agent runs the next one")
  func perJobTimeout() throws {
    let agent = try AgentHarness("timeout")
    try agent.start()
    try agent.submit(AgentHarness.shell("slow", "echo started; sleep 60; echo never", timeout: 1))
    let slow = try agent.waitForExit("slow")
    #expect(slow.terminationCause == .timeout && slow.runStatus.state == .terminated)
    #expect(!agent.log("slow").contains("never"))
    #expect(agent.isRunning)
    try agent.submit(AgentHarness.shell("after", "echo ok"))
    #expect(try agent.waitForExit("after").exitCode == 0)
  }

  @Test("§5.7 #39: cancel.json stops only that job's process group; the agent survives")
  func cancelOnlyTheJob() throws {
    let agent = try AgentHarness("cancel")
    try agent.start()
    let childPid = agent.folder + "/child.pid"
    try agent.submit(AgentHarness.shell("victim", "sleep 300 & echo $! > \(childPid); echo started; wait"))
    try agent.waitFor { agent.log("victim").contains("started") }
    let child = try #require(
      Int32(try String(contentsOfFile: childPid, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    try agent.store.putJSON(try MailboxLayout.cancel(run: "victim"), AgentCancel(runId: "victim", at: "now"))
    let record = try agent.waitForExit("victim")
    #expect(record.terminationCause == .user && record.runStatus.state == .canceled)
    // The job's background child went with it (same group), the agent did not.
    try agent.waitFor { kill(child, 0) != 0 }
    #expect(agent.isRunning)
    // A job canceled before the agent picked it up never starts.
    let marker = agent.folder + "/started"
    try agent.store.putJSON(try MailboxLayout.cancel(run: "early"), AgentCancel(runId: "early", at: "now"))
    try agent.submit(AgentHarness.shell("early", "touch \(marker)"))
    let early = try agent.waitForExit("early")
    #expect(early.terminationCause == .user && !FileManager.default.fileExists(atPath: marker))
    try agent.submit(AgentHarness.shell("next", "echo still-here"))
    #expect(try agent.waitForExit("next").exitCode == 0)
    #expect(agent.log("next") == "still-here\n")
  }

  @Test("§5.7 #27: dotfiles are cleaned between jobs; preserve_paths keep only their own root")
  func cleaningBetweenJobs() throws {
    let agent = try AgentHarness("clean", preservePaths: ["outputs/cache/keep.txt", "inputs/kept"])
    try agent.start()
    try agent.submit(
      AgentHarness.shell(
        "dirty",
        """
        cd "$GOLDFISH_OUTPUTS_DIR" && mkdir -p .goldfish cache && echo x > .goldfish/stale && echo x > .hidden \
        && echo keep > cache/keep.txt && echo drop > cache/drop.txt && echo x > kept \
        && echo x > "$GOLDFISH_INPUTS_DIR/.stale" && echo x > "$GOLDFISH_INPUTS_DIR/kept" \
        && echo x > "$GOLDFISH_INPUTS_DIR/keep.txt"
        """))
    #expect(try agent.waitForExit("dirty").exitCode == 0)
    try agent.submit(
      AgentHarness.shell(
        "clean", "cd \"$GOLDFISH_OUTPUTS_DIR\" && find . | sort; echo ---; cd \"$GOLDFISH_INPUTS_DIR\" && find . | sort"
      ))
    #expect(try agent.waitForExit("clean").exitCode == 0)
    let listing = agent.log("clean").components(separatedBy: "---\n")
    #expect(listing.first == ".\n./cache\n./cache/keep.txt\n")
    // inputs/kept is preserved under inputs; outputs/kept was not (a pattern protects only its own root).
    #expect(listing.last == ".\n./kept\n")
    // Nothing of the first job was uploaded under the second run.
    #expect(try agent.store.list("runs/clean/outputs") == ["runs/clean/outputs/cache/keep.txt"])
  }

  @Test("§5.7 #21 #48: failures before the job starts report exit 1 for that run; the agent stays usable")
  func preStartFailures() throws {
    let agent = try AgentHarness("prestart")
    try agent.start()
    var missingInput = AgentHarness.shell("no-input", "echo ran")
    missingInput.inputs = [AgentInput(name: "data", source: agent.folder + "/does-not-exist")]
    try agent.submit(missingInput)
    try agent.submit(AgentJob(runId: "no-program", command: ["/nonexistent/program"]))
    try agent.store.put(try MailboxLayout.job(worker: agent.config.workerId, run: "garbled"), Array("{not json".utf8))
    for run in ["no-input", "no-program", "garbled"] {
      let record = try agent.waitForExit(run)
      #expect(record.exitCode == 1 && record.terminationCause == .error, "\(run)")
      #expect(!record.message.isEmpty)
      #expect(try agent.store.exists(MailboxLayout.claimed(run: run)))
    }
    let source = agent.folder + "/input.txt"
    try "payload".write(toFile: source, atomically: true, encoding: .utf8)
    var staged = AgentHarness.shell("staged", "cat \"$GOLDFISH_INPUTS_DIR/data\"")
    staged.inputs = [AgentInput(name: "data", source: "file://" + source)]
    try agent.submit(staged)
    #expect(try agent.waitForExit("staged").exitCode == 0)
    #expect(agent.log("staged") == "payload")
  }

  @Test("§5.7 #40: exit.json appears only after the outputs and the log are complete and the agent is idle")
  func exitRecordIsLast() throws {
    let agent = try AgentHarness("exit-last")
    try agent.start()
    try agent.submit(
      AgentHarness.shell(
        "big",
        """
        head -c 8000000 /dev/zero > "$GOLDFISH_OUTPUTS_DIR/big.bin"; for i in 1 2 3 4 5; do echo line$i; done
        """))
    let exitKey = try MailboxLayout.exit(run: "big")
    var seen = false
    let deadline = Date().addingTimeInterval(60)
    while !seen && Date() < deadline {
      if try agent.store.exists(exitKey) {
        seen = true
        // Read at the moment the exit record shows up: everything else is already in place.
        let outputs = agent.store.root + "/runs/big/outputs/big.bin"
        #expect(POSIXFile.fileInfo(outputs)?.st_size == 8_000_000)
        #expect(agent.log("big").hasSuffix("line5\n"))
        #expect(agent.status?.state == .idle)
      }
    }
    #expect(seen)
  }

  @Test("§5.7 #37: a restarted agent never re-runs a finished job and reports a claimed, unfinished one lost")
  func restartNeverReruns() throws {
    let agent = try AgentHarness("restart")
    let rerunMarker = agent.folder + "/rerun"
    // A job that finished (exit.json exists) but whose job file is still there.
    try agent.submit(AgentHarness.shell("finished", "touch \(rerunMarker)"))
    try agent.store.putJSON(
      try MailboxLayout.exit(run: "finished"),
      AgentExit(
        runId: "finished", exitCode: 0, terminationCause: .exit, finishedAt: "t", workerId: agent.config.workerId))
    // A job an earlier start claimed and never finished.
    try agent.submit(AgentHarness.shell("interrupted", "touch \(rerunMarker)"))
    try agent.store.putJSON(
      try MailboxLayout.claimed(run: "interrupted"),
      AgentClaim(runId: "interrupted", workerId: agent.config.workerId, bootId: "old-boot", at: "t"))
    try agent.start()
    let lost = try agent.waitForExit("interrupted")
    #expect(lost.terminationCause == .lost && lost.runStatus.state == .failed)
    try agent.waitFor { try agent.store.list("workers/\(agent.config.workerId)/jobs").isEmpty }
    try agent.submit(AgentHarness.shell("fresh", "echo fresh"))
    #expect(try agent.waitForExit("fresh").exitCode == 0)
    #expect(!FileManager.default.fileExists(atPath: rerunMarker))
    let finished = try agent.store.getJSON(AgentExit.self, MailboxLayout.exit(run: "finished"))
    #expect(finished?.finishedAt == "t")
  }

  @Test("§5.7 #9: stopping jobs never signals pid 0: the agent's own process group survives")
  func neverSignalsGroupZero() throws {
    // The agent shares this test process's group; so does a canary. kill(0, …) or
    // kill(-0, …) from the agent would hit both.
    let canary = try Spawn.start(["/bin/sleep", "300"], environment: [:])
    defer {
      kill(canary, SIGKILL)
      _ = Spawn.wait(canary)
    }
    let agent = try AgentHarness("no-kill-0")
    try agent.start()
    // A job whose leader exits at once while its child lives on, one that times out, one canceled.
    try agent.submit(AgentHarness.shell("orphan", "sleep 30 & echo left"))
    #expect(try agent.waitForExit("orphan").exitCode == 0)
    try agent.submit(AgentHarness.shell("timed", "sleep 30", timeout: 1))
    #expect(try agent.waitForExit("timed").terminationCause == .timeout)
    try agent.submit(AgentHarness.shell("canceled", "echo up; sleep 30"))
    try agent.waitFor { agent.log("canceled").contains("up") }
    try agent.store.putJSON(try MailboxLayout.cancel(run: "canceled"), AgentCancel(runId: "canceled", at: "now"))
    #expect(try agent.waitForExit("canceled").terminationCause == .user)
    var status: Int32 = 0
    #expect(waitpid(canary, &status, WNOHANG) == 0, "the canary in the agent's group was signalled")
    #expect(agent.isRunning)
  }

  @Test("the agent exits by itself after its idle timeout, saying so in status.json")
  func idleTimeoutExit() throws {
    let agent = try AgentHarness("idle", idleTimeoutSeconds: 1)
    try agent.start()
    try agent.submit(AgentHarness.shell("only", "echo once"))
    #expect(try agent.waitForExit("only").exitCode == 0)
    #expect(try agent.waitForAgentExit() == 0)
    #expect(agent.status?.state == .exited)
    #expect(agent.status?.jobsDone == 1)
  }

  @Test("the lifetime ends the agent between jobs, never in the middle of one")
  func lifetimeNotMidJob() throws {
    let agent = try AgentHarness("lifetime")
    agent.config.lifetimeSeconds = 1
    try agent.submit(AgentHarness.shell("outlives", "sleep 2; echo done"))
    try agent.start()
    let record = try agent.waitForExit("outlives")
    #expect(record.exitCode == 0 && record.terminationCause == .exit)
    #expect(agent.log("outlives") == "done\n")
    #expect(try agent.waitForAgentExit() == 0)
    #expect(agent.status?.state == .exited)
  }

  @Test("a config with timeout 0 or an invalid worker id is refused at start, naming the field")
  func badConfigRefused() throws {
    let agent = try AgentHarness("bad-config")
    agent.config.idleTimeoutSeconds = 0
    try agent.start()
    #expect(try agent.waitForAgentExit() == 2)
    #expect(agent.status == nil)
  }

  @Test("SIGTERM mid-job stops the job, records it lost, and the agent leaves cleanly")
  func sigtermMidJob() throws {
    let agent = try AgentHarness("sigterm")
    try agent.start()
    try agent.submit(AgentHarness.shell("long", "echo up; sleep 300"))
    try agent.waitFor { agent.log("long").contains("up") }
    agent.terminate()
    #expect(try agent.waitForAgentExit() == 0)
    let record = try agent.waitForExit("long", limitSeconds: 5)
    #expect(record.terminationCause == .lost && record.runStatus.state == .failed)
    #expect(agent.status?.state == .exited)
  }
}
