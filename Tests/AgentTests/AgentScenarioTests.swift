import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// More upstream §5.7 scenarios (reference/upstream-cloud.md) on the real goldfish-agent over a
/// real file mailbox; the test names carry the scenario numbers.
@Suite("goldfish-agent: §5.7 scenarios", .serialized)
struct AgentScenarioTests {
  @Test("§5.7 #14: a second job whose spec is bad never runs the previous job's command")
  func badSecondSpecNeverRunsThePreviousCommand() throws {
    let agent = try AgentHarness("stale-command")
    try agent.start()
    let tally = agent.folder + "/ran-a"
    try agent.submit(AgentHarness.shell("job-a", "echo a >> \(tally)"))
    #expect(try agent.waitForExit("job-a").exitCode == 0)
    // Three ways the next spec can be unusable: not JSON, a spec naming another run, an empty argv.
    try agent.store.put(
      try MailboxLayout.job(worker: agent.config.workerId, run: "garbled"), Array("{\"run_id\":".utf8))
    try agent.store.putJSON(
      try MailboxLayout.job(worker: agent.config.workerId, run: "mislabeled"),
      AgentHarness.shell("job-a", "echo a >> \(tally)"))
    try agent.submit(AgentJob(runId: "empty-argv", command: []))
    for run in ["garbled", "mislabeled", "empty-argv"] {
      let record = try agent.waitForExit(run)
      #expect(record.exitCode == 1 && record.terminationCause == .error && record.runId == run, "\(run)")
      #expect(agent.log(run).contains("did not start"), "\(run)")
    }
    // Job A's command ran exactly once: none of the bad specs fell back to it.
    #expect(try String(contentsOfFile: tally, encoding: .utf8) == "a\n")
    try agent.submit(AgentHarness.shell("job-c", "echo c"))
    #expect(try agent.waitForExit("job-c").exitCode == 0)
    #expect(agent.log("job-c") == "c\n")
  }

  @Test("§5.7 #15: argv and env values with commas, quotes, newlines and $(…) reach the job byte-exact")
  func hostileValuesByteExact() throws {
    let agent = try AgentHarness("byte-exact")
    try agent.start()
    let marker = agent.folder + "/injected"
    let values = [
      "a,b,c", "{\"command\":\"new_job\",\"spec\":\"x\"}", "it's \"quoted\"", "line one\nline two\n",
      "$(touch \(marker))", "`touch \(marker)`", "; touch \(marker)", "  spaced  ", "tab\there", "ünïcødé ✓", "",
      "--not-an-option", "*",
    ]
    // Prints every argument and then both env values, each followed by a NUL byte.
    let script = "for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf '%s\\0' \"$HOSTILE_ONE\" \"$HOSTILE_TWO\""
    let job = AgentJob(
      runId: "hostile", command: ["/bin/sh", "-c", script, "sh"] + values,
      env: ["HOSTILE_ONE": values[1] + "," + values[3], "HOSTILE_TWO": values[4] + values[2]])
    try agent.submit(job)
    #expect(try agent.waitForExit("hostile").exitCode == 0)
    let expected = (values + [values[1] + "," + values[3], values[4] + values[2]]).map { $0 + "\0" }.joined()
    let log = try #require(try agent.store.get(MailboxLayout.log(run: "hostile")))
    #expect(log == Array(expected.utf8))
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("§5.7 #19: a job exiting non-zero still has its log and outputs uploaded before exit.json")
  func failingJobStillUploads() throws {
    let agent = try AgentHarness("nonzero-uploads")
    try agent.start()
    try agent.submit(
      AgentHarness.shell(
        "fails",
        """
        head -c 3000000 /dev/zero > "$GOLDFISH_OUTPUTS_DIR/partial.bin"
        echo checkpoint > "$GOLDFISH_OUTPUTS_DIR/checkpoint.txt"; echo before-failure; exit 42
        """))
    let exitKey = try MailboxLayout.exit(run: "fails")
    var checked = false
    try agent.waitFor(limitSeconds: 60) {
      guard try agent.store.exists(exitKey) else { return false }
      // Read the moment the exit record exists: the uploads are already complete.
      #expect(POSIXFile.fileInfo(agent.store.root + "/runs/fails/outputs/partial.bin")?.st_size == 3_000_000)
      #expect(try agent.store.get("runs/fails/outputs/checkpoint.txt") == Array("checkpoint\n".utf8))
      #expect(agent.log("fails") == "before-failure\n")
      checked = true
      return true
    }
    #expect(checked)
    let record = try agent.waitForExit("fails")
    #expect(record.exitCode == 42 && record.terminationCause == .exit && record.runStatus.state == .failed)
  }

  @Test("§5.7 #20: every job, first and reused, failed or not, leaves the worker idle in status.json")
  func everyJobEndsIdle() throws {
    let agent = try AgentHarness("ends-idle")
    try agent.start()
    var jobs: [AgentJob] = [
      AgentHarness.shell("first", "echo first"),
      AgentHarness.shell("nonzero", "exit 3"),
      AgentHarness.shell("timed-out", "sleep 30", timeout: 1),
      AgentJob(runId: "no-program", command: ["/nonexistent/program"]),
      AgentHarness.shell("last", "echo last"),
    ]
    var missingInput = AgentHarness.shell("no-input", "echo never")
    missingInput.inputs = [AgentInput(name: "data", source: agent.folder + "/missing")]
    jobs.insert(missingInput, at: 3)
    for (index, job) in jobs.enumerated() {
      try agent.submit(job)
      _ = try agent.waitForExit(job.runId)
      // exit.json is written after the worker said idle: the status is already there.
      let status = try #require(agent.status)
      #expect(status.state == .idle && status.runId == nil, "\(job.runId): \(status.state)")
      #expect(status.jobsDone == index + 1, "\(job.runId)")
    }
    #expect(agent.isRunning)
  }

  @Test("§5.7 #31: a job that fails again and again costs one attempt per second, not a spin")
  func repeatedlyBadJobDoesNotSpin() throws {
    let agent = try AgentHarness("no-spin")
    try agent.start()
    try agent.waitFor { agent.status?.state == .idle }
    // runs/<id> is a file: the claim can never be written, so every attempt at this job fails.
    try FileManager.default.createDirectory(atPath: agent.store.root + "/runs", withIntermediateDirectories: true)
    try "in the way".write(toFile: agent.store.root + "/runs/blocked", atomically: true, encoding: .utf8)
    // A file name that is no job at all is ignored too.
    try agent.store.put("workers/\(agent.config.workerId)/jobs/not-a-job", Array("x".utf8))
    let cpuBefore = try #require(Self.cpuTicks(agent.pid))
    try agent.submit(AgentHarness.shell("blocked", "echo ran"))
    // Every attempt rewrites status.json (busy with this run): count the distinct writes seen.
    var stamps: Set<String> = []
    let until = Date().addingTimeInterval(3)
    while Date() < until {
      if let status = agent.status, status.runId == "blocked" { stamps.insert(status.heartbeatAt) }
      usleep(5_000)
    }
    let cpu = try #require(Self.cpuTicks(agent.pid)) - cpuBefore
    // The error branch waits a second: about three attempts in three seconds. A loop that only
    // waited its 50 ms poll would make sixty; a tight one thousands.
    #expect(!stamps.isEmpty && stamps.count <= 6, "\(stamps.count) attempts")
    #expect(cpu < Self.ticksPerSecond, "\(cpu) ticks of CPU in 3 s")
    // Once the obstacle is gone the same job runs, once.
    try FileManager.default.removeItem(atPath: agent.store.root + "/runs/blocked")
    #expect(try agent.waitForExit("blocked").exitCode == 0)
    #expect(agent.log("blocked") == "ran\n")
    #expect(agent.isRunning)
  }

  @Test("§5.7 #36: while run B is going, nothing of run A's exit is read as B's")
  func previousExitIsNeverTheCurrentOne() throws {
    let agent = try AgentHarness("stale-exit")
    try agent.start()
    try agent.submit(AgentHarness.shell("run-a", "exit 5"))
    #expect(try agent.waitForExit("run-a").exitCode == 5)
    let release = agent.folder + "/release-b"
    try agent.submit(AgentHarness.shell("run-b", "echo b-started; while [ ! -e \(release) ]; do sleep 0.05; done"))
    try agent.waitFor { agent.log("run-b").contains("b-started") }
    // B runs: its exit record does not exist, the worker names B, and A's record is still A's.
    #expect(try agent.store.exists(MailboxLayout.exit(run: "run-b")) == false)
    #expect(try agent.store.exists(MailboxLayout.claimed(run: "run-b")))
    #expect(agent.status?.state == .busy && agent.status?.runId == "run-b")
    let a = try #require(try agent.store.getJSON(AgentExit.self, MailboxLayout.exit(run: "run-a")))
    #expect(a.runId == "run-a" && a.exitCode == 5)
    try "go".write(toFile: release, atomically: true, encoding: .utf8)
    let b = try agent.waitForExit("run-b")
    #expect(b.runId == "run-b" && b.exitCode == 0)
  }

  static let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))

  /// utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15).
  static func cpuTicks(_ pid: pid_t) -> Int? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the ")" the first field is field 3 (state): utime is field 14, stime field 15.
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
    return user + system
  }
}
