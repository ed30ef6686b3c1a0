import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The docker backend's own promises, through the plugin ABI: cancel, timeout, OOM, limits,
/// the container contract and logs across host processes.
@Suite(
  "docker backend", .serialized, .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct DockerBackendTests {
  let backend: OpenedService
  let scratch = TestEnvironment.temporaryFolder("docker")

  init() throws { backend = try DockerSupport.backend() }

  private func launch(
    _ name: String, _ command: [String], timeout: Int? = nil, profile: ResourceProfile? = nil
  )
    throws -> JSONValue
  {
    let workDir = scratch + "/" + name
    let spec = RunSpec(
      runId: "dt-\(name)-" + UUID().uuidString.prefix(6).lowercased(), command: command, workDir: workDir,
      outputsDir: workDir + "/outputs", image: DockerSupport.image, profile: profile, timeoutSeconds: timeout)
    return try backend.call("launch", try JSONCoding.value(of: spec))
  }

  private func waitFinal(_ handle: JSONValue, seconds: Double = 60) throws -> RunStatus {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let status = try JSONCoding.convert(try backend.call("status", ["handle": handle]), to: RunStatus.self)
      if status.state.isFinal { return status }
      usleep(100_000)
    }
    throw GoldfishError(.ioFailed, "the container did not finish")
  }

  @Test("cancel stops the container and status says canceled, not failed")
  func cancel() throws {
    let handle = try launch("cancel", ["/bin/sh", "-c", "sleep 60"])
    _ = try backend.call("cancel", ["handle": handle, "reason": "user"])
    let status = try waitFinal(handle)
    #expect(status.state == .canceled && status.terminationCause == .user, "\(status)")
    _ = try backend.call("cleanup", ["handle": handle])
    // The outcome is kept with the run after the container is gone.
    let later = try JSONCoding.convert(try backend.call("status", ["handle": handle]), to: RunStatus.self)
    #expect(later.state == .canceled)
  }

  @Test("a job over its time limit is stopped and ends as terminated by timeout")
  func timeout() throws {
    let handle = try launch("timeout", ["/bin/sh", "-c", "echo started; sleep 60"], timeout: 1)
    let status = try waitFinal(handle, seconds: 40)
    #expect(status.state == .terminated && status.terminationCause == .timeout, "\(status)")
    let logs = try JSONCoding.convert(try backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
    #expect(logs.text.contains("started") && logs.complete)
    _ = try backend.call("cleanup", ["handle": handle])
  }

  @Test("a job over its memory limit ends as terminated by oom")
  func outOfMemory() throws {
    let handle = try launch(
      "oom", ["python3", "-c", "x = bytearray(256 << 20); print(len(x))"], profile: ResourceProfile(memoryMb: 32))
    let status = try waitFinal(handle)
    #expect(status.state == .terminated && status.terminationCause == .oom, "\(status)")
    _ = try backend.call("cleanup", ["handle": handle])
  }

  @Test("the container contract: user 1000, no network, inputs read-only, outputs writable, limits applied")
  func contract() throws {
    let input = scratch + "/data.txt"
    try "payload\n".write(toFile: input, atomically: true, encoding: .utf8)
    let link = scratch + "/link.txt"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
    let workDir = scratch + "/contract"
    let script = """
      id -u; cat /mnt/inputs/data; ls /sys/class/net; echo out > /mnt/outputs/result.txt
      (echo x > /mnt/inputs/data) 2>/dev/null || echo input-read-only
      cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max
      echo "$GOLDFISH_OUTPUTS_DIR $PYTHONPATH"
      """
    let spec = RunSpec(
      runId: "dt-contract-" + UUID().uuidString.prefix(6).lowercased(), command: ["/bin/sh", "-c", script],
      workDir: workDir, inputs: [RunInput(name: "data", type: "file", localPath: link)],
      outputsDir: workDir + "/outputs",
      image: DockerSupport.image, profile: ResourceProfile(cpus: 64, memoryMb: 256, pids: 77))
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    let status = try waitFinal(handle)
    let logs = try JSONCoding.convert(try backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
    #expect(status.state == .completed, "\(status) \(logs.text)")
    let lines = logs.text.split(separator: "\n").map(String.init)
    #expect(lines.first == "1000", "\(lines)")
    #expect(lines.contains("payload") && lines.contains("input-read-only") && lines.contains("77"), "\(lines)")
    #expect(!lines.contains { $0.contains("eth") }, "the container has a network interface: \(lines)")
    #expect(lines.contains("/mnt/outputs /goldfish/python:/app"), "\(lines)")
    #expect(try String(contentsOfFile: workDir + "/outputs/result.txt", encoding: .utf8) == "out\n")
    _ = try backend.call("cleanup", ["handle": handle])
    _ = try backend.call("cleanup", ["handle": handle])
  }

  @Test("status and logs called at once on a job that just ended all answer, from every caller")
  func concurrentCallsAtTheEnd() throws {
    // Each call that finds the container ended copies its log into the run folder; callers that
    // copied through one shared temporary name lost the race with "cannot move into place".
    for round in 0..<6 {
      let handle = try launch("ended-\(round)", ["/bin/sh", "-c", "echo line-\(round)"])
      let id = try #require(handle["container_id"]?.stringValue)
      let waited = Command.run(
        [
          "/usr/bin/curl", "-sS", "--unix-socket", DockerSupport.socket, "-X", "POST",
          "http://engine/containers/\(id)/wait",
        ])
      #expect(waited.status == 0, "\(waited.stderr)")
      let failures = ConcurrentFailures()
      let group = DispatchGroup()
      let backend = self.backend
      for caller in 0..<12 {
        DispatchQueue.global().async(group: group) {
          do {
            if caller.isMultiple(of: 2) {
              let status = try JSONCoding.convert(try backend.call("status", ["handle": handle]), to: RunStatus.self)
              if status.state != .completed { failures.add("caller \(caller) saw \(status.state.rawValue)") }
            } else {
              let logs = try JSONCoding.convert(
                try backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
              if !logs.text.contains("line-\(round)") { failures.add("caller \(caller) read \(logs.text)") }
            }
          } catch {
            failures.add("caller \(caller): \(error)")
          }
        }
      }
      group.wait()
      #expect(failures.all.isEmpty, "round \(round): \(failures.all)")
      _ = try backend.call("cleanup", ["handle": handle])
    }
  }

  @Test("recover finds the container by its run id label when the handle has no container id")
  func recoverByLabel() throws {
    let handle = try launch("recover", ["/bin/sh", "-c", "echo hi"])
    var bare = try #require(handle.objectValue)
    bare["container_id"] = nil
    try FileManager.default.removeItem(atPath: try #require(handle["work_dir"]?.stringValue) + "/container.json")
    let recovered = try JSONCoding.convert(
      try backend.call("recover", ["handle": .object(bare)]), to: RecoveredRun.self)
    #expect(recovered.handle["container_id"] == handle["container_id"])
    _ = try waitFinal(recovered.handle)
    _ = try backend.call("cleanup", ["handle": recovered.handle])
  }
}

/// What the concurrent callers of a test saw go wrong.
private final class ConcurrentFailures: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ item: String) { lock.withLock { items.append(item) } }
  var all: [String] { lock.withLock { items } }
}
