import Foundation
import PluginKit

/// Run backend cases: a trivial job end to end, exit codes, logs by offset and tail, cancel,
/// recover from a stored handle, idempotent cleanup, and honest unsupported functions.
struct RunBackendConformance {
  let service: OpenedService
  let scratch: String
  /// Where the jobs run when the backend declares needs_image.
  let image: String?
  let prefix = "check-" + UUID().uuidString.prefix(6).lowercased()
  let deadline: TimeInterval = 60

  func run(_ runner: inout CaseRunner) {
    var handle: JSONValue?
    let needsImage = service.info.capabilities["needs_image"]?.boolValue ?? false
    if needsImage && image == nil {
      runner.skip(
        "launch and every job case",
        "the backend needs an image: pass --image (or set GOLDFISH_CHECK_IMAGE) to one with /bin/sh")
      return
    }
    runner.run("launch") {
      handle = try launch("ok", ["/bin/sh", "-c", "echo hello-from-goldfish; echo to-stderr >&2"])
      try expect(
        handle?["run_id"]?.stringValue == "\(prefix)-ok", "the handle has no matching run_id: \(handle ?? .null)")
      try expect(handle?["backend"]?.stringValue != nil, "the handle has no \"backend\" field")
      return nil
    }
    guard let handle else {
      runner.skip("the remaining cases", "launch failed")
      return
    }
    runner.run("status until completed") {
      let status = try waitFinal(handle)
      try expect(status.state == .completed, "the job ended as \(status.state.rawValue): \(status.message)")
      try expect(status.exitCode == 0, "exit_code is \(status.exitCode.map(String.init) ?? "null"), expected 0")
      return "completed, exit 0"
    }
    runner.run("logs by offset") {
      let first = try logs(handle, ["offset": 0])
      try expect(
        first.text.contains("hello-from-goldfish"),
        "logs from offset 0 lack the job's stdout: \(first.text.debugDescription)")
      try expect(first.nextOffset > 0, "next_offset did not advance")
      let rest = try logs(handle, ["offset": .int(first.nextOffset)])
      try expect(!rest.text.contains("hello-from-goldfish"), "reading from next_offset repeated earlier text")
      try expect(rest.complete, "a finished job's logs are not complete after everything was read")
      return nil
    }
    runner.run("logs by tail") {
      let tail = try logs(handle, ["tail": 1])
      try expect(!tail.text.isEmpty, "tail 1 returned nothing")
      try expect(
        tail.text.split(separator: "\n").count == 1, "tail 1 returned \(tail.text.split(separator: "\n").count) lines")
      return nil
    }
    runner.run("exit code") {
      let failing = try launch("exit3", ["/bin/sh", "-c", "exit 3"])
      let status = try waitFinal(failing)
      try expect(status.state == .failed, "a job exiting 3 ended as \(status.state.rawValue)")
      try expect(status.exitCode == 3, "exit_code is \(status.exitCode.map(String.init) ?? "null"), expected 3")
      _ = try? service.call("cleanup", ["handle": failing])
      return nil
    }
    runner.run("cancel") {
      let long = try launch("cancel", ["/bin/sh", "-c", "sleep 60"])
      _ = try service.call("cancel", ["handle": long, "reason": "user"])
      let status = try waitFinal(long)
      try expect(status.state == .canceled, "a canceled job ended as \(status.state.rawValue)")
      _ = try service.call("cancel", ["handle": long, "reason": "user"])
      _ = try? service.call("cleanup", ["handle": long])
      return "canceled"
    }
    runner.run("recover") {
      let recovered = try service.call("recover", ["handle": handle], as: RecoveredRun.self)
      try expect(recovered.handle["run_id"] == handle["run_id"], "recover returned a handle for another run")
      try expect(
        recovered.status.state == .completed, "recover reports \(recovered.status.state.rawValue) for a completed job")
      return nil
    }
    runner.run("cleanup is idempotent") {
      _ = try service.call("cleanup", ["handle": handle])
      _ = try service.call("cleanup", ["handle": handle])
      return nil
    }
    runner.run("warm-pool functions match capabilities") {
      let warm = service.info.capabilities["warm_reuse"]?.boolValue ?? false
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

  private func launch(_ name: String, _ command: [String]) throws -> JSONValue {
    let workDir = scratch + "/" + name
    let spec = RunSpec(
      runId: "\(prefix)-\(name)", command: command, workDir: workDir,
      env: ["GOLDFISH_CHECK": "1"], outputsDir: workDir + "/outputs",
      image: (service.info.capabilities["needs_image"]?.boolValue ?? false) ? image : nil, timeoutSeconds: 120,
      labels: ["goldfish-check": prefix])
    return try service.call("launch", try JSONCoding.value(of: spec))
  }

  private func waitFinal(_ handle: JSONValue) throws -> RunStatus {
    let start = Date()
    while Date().timeIntervalSince(start) < deadline {
      let status = try service.call("status", ["handle": handle], as: RunStatus.self)
      if status.state.isFinal { return status }
      usleep(50_000)
    }
    throw CheckFailure("the job did not finish within \(Int(deadline)) s")
  }

  private func logs(_ handle: JSONValue, _ request: [String: JSONValue]) throws -> LogChunk {
    var body = request
    body["handle"] = handle
    return try service.call("logs", .object(body), as: LogChunk.self)
  }
}
