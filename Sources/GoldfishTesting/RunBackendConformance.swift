import Foundation
import Host
import PluginKit

/// Run backend cases: a trivial job end to end, exit codes, logs by offset and tail, cancel,
/// recover (also from a fresh instance), idempotent cleanup, timeouts, the job's environment and
/// folders, cleanup of a running job, parallel jobs, a cancel racing status calls, and honest
/// unsupported functions. A case that needs an earlier one is skipped when that one failed.
struct RunBackendConformance {
  let service: OpenedService
  var backend: RunBackendClient { RunBackendClient(service) }
  let scratch: String
  /// Where the jobs run when the backend declares needs_image.
  let image: String?
  /// Opens a second instance of the same service, as another goldfish process would.
  let reopen: (() throws -> OpenedService)?
  let prefix = "check-" + UUID().uuidString.prefix(6).lowercased()
  let deadline: TimeInterval = 60
  /// How long past timeout_seconds a backend may take to end a job that overran.
  static let timeoutGrace: TimeInterval = 30

  func run(_ runner: inout CaseRunner) {
    var handle: JSONValue = .null
    let needsImage = backend.capabilities.needsImage
    if needsImage && image == nil {
      runner.skip(
        "launch and every job case",
        "the backend needs an image: pass --image (or set GOLDFISH_CHECK_IMAGE) to one with /bin/sh")
      return
    }
    runner.run("launch") {
      handle = try launch("ok", ["/bin/sh", "-c", "echo hello-from-goldfish; echo to-stderr >&2"])
      try expect(
        handle["run_id"]?.stringValue == "\(prefix)-ok", "the handle has no matching run_id: \(handle.jsonText)")
      try expect(handle["backend"]?.stringValue != nil, "the handle has no \"backend\" field: \(handle.jsonText)")
      return nil
    }
    runner.run("status until completed", after: ["launch"]) {
      let status = try waitFinal(handle)
      try expect(status.state == .completed, "the job ended as \(status.state.rawValue): \(status.message)")
      try expect(status.exitCode == 0, "exit_code is \(status.exitCode.map(String.init) ?? "null"), expected 0")
      return "completed, exit 0"
    }
    let finished = ["status until completed"]
    runner.run("logs by offset", after: finished) {
      let first = try backend.logs(.init(handle: handle, offset: 0))
      try expect(
        first.text.contains("hello-from-goldfish"),
        "logs from offset 0 lack the job's stdout: \(first.text.debugDescription)")
      try expect(first.nextOffset > 0, "next_offset did not advance")
      let rest = try backend.logs(.init(handle: handle, offset: first.nextOffset))
      try expect(!rest.text.contains("hello-from-goldfish"), "reading from next_offset repeated earlier text")
      try expect(rest.complete, "a finished job's logs are not complete after everything was read")
      return nil
    }
    runner.run("logs by tail", after: finished) {
      let tail = try backend.logs(.init(handle: handle, tail: 1))
      try expect(!tail.text.isEmpty, "tail 1 returned nothing")
      try expect(
        tail.text.split(separator: "\n").count == 1, "tail 1 returned \(tail.text.split(separator: "\n").count) lines")
      return nil
    }
    runner.run("exit code", after: finished) {
      let failing = try launch("exit3", ["/bin/sh", "-c", "exit 3"])
      defer { _ = try? backend.cleanup(handle: failing) }
      let status = try waitFinal(failing)
      try expect(status.state == .failed, "a job exiting 3 ended as \(status.state.rawValue)")
      try expect(status.exitCode == 3, "exit_code is \(status.exitCode.map(String.init) ?? "null"), expected 3")
      return nil
    }
    runner.run("env, working directory and outputs_dir", after: finished) { try environmentCase() }
    runner.run("cancel", after: finished) {
      let long = try launch("cancel", ["/bin/sh", "-c", "exec sleep 60"])
      defer { _ = try? backend.cleanup(handle: long) }
      _ = try backend.cancel(handle: long, reason: "user")
      let status = try waitFinal(long)
      try expect(status.state == .canceled, "a canceled job ended as \(status.state.rawValue)")
      _ = try backend.cancel(handle: long, reason: "user")
      return "canceled"
    }
    runner.run("timeout_seconds is enforced", after: finished) { try timeoutCase() }
    runner.run("recover", after: finished) {
      let recovered = try backend.recover(handle: handle)
      try expect(recovered.handle["run_id"] == handle["run_id"], "recover returned a handle for another run")
      try expect(
        recovered.status.state == .completed, "recover reports \(recovered.status.state.rawValue) for a completed job")
      return nil
    }
    if let reopen {
      runner.run("recover from a fresh instance", after: finished) { try freshInstanceCase(handle, reopen) }
    } else {
      runner.skip("recover from a fresh instance", "no way to open a second instance was given")
    }
    runner.run("parallel launches", after: finished) { try parallelCase() }
    runner.run("cancel races status", after: ["cancel"]) { try cancelRaceCase() }
    runner.run("cleanup ends a running job", after: finished) { try runningCleanupCase() }
    runner.run("cleanup is idempotent", after: ["launch"]) {
      _ = try backend.cleanup(handle: handle)
      _ = try backend.cleanup(handle: handle)
      return nil
    }
    runner.run("warm-pool functions match capabilities") {
      let warm = backend.capabilities.warmReuse
      let functions = ["deliver_job", "probe_worker", "delete_worker", "list_workers"]
      let present = functions.filter(service.supports)
      if warm {
        try expect(
          present.count == functions.count,
          "warm_reuse is declared but \(Set(functions).subtracting(present).sorted()) are NULL")
        return "warm reuse supported"
      }
      try expect(present.isEmpty, "warm_reuse is not declared but \(present) are set")
      return "unsupported (NULL): \(functions.joined(separator: ", "))"
    }
    try? FileManager.default.removeItem(atPath: scratch)
  }

  /// The job sees spec.env, starts in code_dir, and what it writes to outputs_dir is there.
  private func environmentCase() throws -> String? {
    let token = UUID().uuidString
    let script = """
      printf '%s' "$GOLDFISH_CHECK_TOKEN" > "$GOLDFISH_OUTPUTS_DIR/env.txt"
      cat goldfish-check-marker > "$GOLDFISH_OUTPUTS_DIR/cwd.txt"
      """
    let name = "env"
    let job = try launch(name, ["/bin/sh", "-c", script], env: ["GOLDFISH_CHECK_TOKEN": token])
    defer { _ = try? backend.cleanup(handle: job) }
    let status = try waitFinal(job)
    let outputs = folders(name).outputs
    try expect(
      status.state == .completed,
      "the job ended as \(status.state.rawValue) (\(status.message)); its log: \(logText(job))")
    try expect(
      contents(outputs + "/env.txt") == token,
      "the job did not see GOLDFISH_CHECK_TOKEN from spec.env, or its outputs_dir file is missing "
        + "(\(outputs)/env.txt holds \(contents(outputs + "/env.txt")?.debugDescription ?? "nothing"))")
    try expect(
      contents(outputs + "/cwd.txt") == name,
      "the job did not start in code_dir (it could not read code_dir/goldfish-check-marker); its log: \(logText(job))")
    return nil
  }

  /// A job running past timeout_seconds ends terminated with termination_cause timeout.
  private func timeoutCase() throws -> String? {
    let limit = 2
    let job = try launch("timeout", ["/bin/sh", "-c", "exec sleep 600"], timeout: limit)
    defer {
      _ = try? backend.cancel(handle: job, reason: "user")
      _ = try? backend.cleanup(handle: job)
    }
    let status = try waitFinal(job, within: TimeInterval(limit) + Self.timeoutGrace)
    try expect(
      status.state == .terminated && status.terminationCause == .timeout,
      "a job over its timeout_seconds ended as \(status.state.rawValue) with termination_cause "
        + "\(status.terminationCause?.rawValue ?? "null"); expected terminated with timeout")
    return "terminated by the timeout"
  }

  /// A second instance (another goldfish process) recovers the handle and agrees on its status.
  private func freshInstanceCase(_ handle: JSONValue, _ reopen: () throws -> OpenedService) throws -> String? {
    let fresh = RunBackendClient(try reopen())
    let recovered = try fresh.recover(handle: handle)
    try expect(
      recovered.handle["run_id"] == handle["run_id"],
      "a fresh instance's recover returned a handle for another run: \(recovered.handle.jsonText)")
    try expect(
      recovered.status.state == .completed,
      "a fresh instance's recover reports \(recovered.status.state.rawValue) for a completed job")
    let status = try fresh.status(handle: handle)
    try expect(
      status.state == .completed && status.exitCode == 0,
      "a fresh instance's status reports \(status.state.rawValue), exit \(status.exitCode.map(String.init) ?? "null")")
    return nil
  }

  /// Several jobs at once: each ends on its own, with its own outputs and its own log.
  private func parallelCase() throws -> String? {
    let count = 4
    var jobs: [JSONValue] = []
    defer { for job in jobs { _ = try? backend.cleanup(handle: job) } }
    for index in 0..<count {
      let script = "sleep 1; echo parallel-\(index); printf '%s' \(index) > \"$GOLDFISH_OUTPUTS_DIR/index.txt\""
      jobs.append(try launch("parallel-\(index)", ["/bin/sh", "-c", script]))
    }
    for (index, job) in jobs.enumerated() {
      let status = try waitFinal(job)
      try expect(
        status.state == .completed,
        "parallel job \(index) of \(count) ended as \(status.state.rawValue): \(status.message)")
      let written = contents(folders("parallel-\(index)").outputs + "/index.txt")
      try expect(
        written == String(index), "parallel job \(index)'s outputs_dir holds \(written?.debugDescription ?? "nothing")")
      let log = logText(job)
      try expect(
        log.contains("parallel-\(index)"), "parallel job \(index)'s log lacks its own line: \(log.debugDescription)")
      let others = (0..<count).filter { $0 != index && log.contains("parallel-\($0)") }
      try expect(others.isEmpty, "parallel job \(index)'s log holds the lines of jobs \(others)")
    }
    return "\(count) jobs"
  }

  /// Status calls on one handle while it is canceled: every call answers, and once a caller
  /// saw the job canceled it never sees it running again.
  private func cancelRaceCase() throws -> String? {
    let job = try launch("race", ["/bin/sh", "-c", "exec sleep 60"])
    defer { _ = try? backend.cleanup(handle: job) }
    let problems = RaceLog()
    let group = DispatchGroup()
    let backend = self.backend
    for caller in 0..<3 {
      DispatchQueue.global().async(group: group) {
        var sawFinal: RunState?
        // Poll for as long as the cancel is under way, and a few times after it answered.
        var after = 0
        for _ in 0..<1000 where after < 5 {
          if problems.cancelAnswered { after += 1 }
          do {
            let status = try backend.status(handle: job)
            if let final = sawFinal, status.state != final {
              problems.add("caller \(caller) saw \(final.rawValue), then \(status.state.rawValue)")
            }
            if status.state.isFinal { sawFinal = status.state }
          } catch {
            problems.add("status during cancel failed: \(error)")
          }
          usleep(20_000)
        }
      }
    }
    DispatchQueue.global().async(group: group) {
      // Let the status callers get going first, so the cancel lands among them.
      usleep(60_000)
      do {
        _ = try backend.cancel(handle: job, reason: "user")
      } catch {
        problems.add("cancel failed: \(error)")
      }
      problems.cancelAnswered = true
    }
    group.wait()
    if let first = problems.first { throw CheckFailure(first) }
    let status = try waitFinal(job)
    try expect(status.state == .canceled, "after the race the job ended as \(status.state.rawValue)")
    return nil
  }

  /// cleanup of a job that is still running stops it: its heartbeat file stops changing.
  private func runningCleanupCase() throws -> String? {
    let name = "cleanup-running"
    let beat = folders(name).outputs + "/beat"
    let script = "i=0; while :; do i=$((i+1)); echo $i > \"$GOLDFISH_OUTPUTS_DIR/beat\"; sleep 0.2; done"
    let job = try launch(name, ["/bin/sh", "-c", script])
    let start = Date()
    while contents(beat) == nil && Date().timeIntervalSince(start) < deadline { usleep(100_000) }
    try expect(contents(beat) != nil, "the job never started beating within \(Int(deadline)) s: \(logText(job))")
    _ = try backend.cleanup(handle: job)
    // Stopped means: the count stands still for a whole second (five beats).
    let stopDeadline = Date().addingTimeInterval(Self.timeoutGrace)
    var last = contents(beat)
    while Date() < stopDeadline {
      sleep(1)
      let now = contents(beat)
      if now == last { return "stopped" }
      last = now
    }
    _ = try? backend.cancel(handle: job, reason: "user")
    throw CheckFailure(
      "the job still runs \(Int(Self.timeoutGrace)) s after cleanup (its heartbeat file keeps changing)")
  }

  private func folders(_ name: String) -> (work: String, outputs: String, code: String) {
    let work = scratch + "/" + name
    return (work, work + "/outputs", work + "/code")
  }

  /// Launches like the host does: work_dir, outputs_dir and code_dir exist, and the env names outputs_dir.
  private func launch(
    _ name: String, _ command: [String], env: [String: String] = [:], timeout: Int = 120
  ) throws -> JSONValue {
    let (workDir, outputsDir, codeDir) = folders(name)
    for folder in [workDir, outputsDir, codeDir] {
      try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    _ = FileManager.default.createFile(atPath: codeDir + "/goldfish-check-marker", contents: Data(name.utf8))
    var environment = ["GOLDFISH_CHECK": "1", "GOLDFISH_OUTPUTS_DIR": outputsDir]
    environment.merge(env) { _, new in new }
    let spec = RunSpec(
      runId: "\(prefix)-\(name)", command: command, workDir: workDir, env: environment, codeDir: codeDir,
      outputsDir: outputsDir,
      image: backend.capabilities.needsImage ? image : nil, timeoutSeconds: timeout,
      labels: ["goldfish-check": prefix])
    return try backend.launch(spec)
  }

  private func waitFinal(_ handle: JSONValue, within limit: TimeInterval? = nil) throws -> RunStatus {
    let limit = limit ?? deadline
    let start = Date()
    while Date().timeIntervalSince(start) < limit {
      let status = try backend.status(handle: handle)
      if status.state.isFinal { return status }
      usleep(50_000)
    }
    throw CheckFailure("the job did not finish within \(Int(limit)) s")
  }

  /// The job's whole log as far as the backend gives it, for failure messages.
  private func logText(_ handle: JSONValue) -> String {
    (try? backend.logs(.init(handle: handle, offset: 0)))?.text ?? "(no log)"
  }

  private func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }
}

/// Problems seen by the racing callers, in order.
private final class RaceLog: @unchecked Sendable {
  private let lock = NSLock()
  private var problems: [String] = []

  private var answered = false

  func add(_ problem: String) { lock.withLock { problems.append(problem) } }
  var cancelAnswered: Bool {
    get { lock.withLock { answered } }
    set { lock.withLock { answered = newValue } }
  }
  var first: String? { lock.withLock { problems.first } }
}
