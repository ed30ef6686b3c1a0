import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// goldfish-agent's container runner against the private Docker engine: each job in its
/// image through the Engine API. Over the engine's unix socket the job's folders are
/// bind-mounted; over a loopback TCP address (an engine that does not share the agent's
/// disk, as on the gce stand-in's VMs) they travel through the archive API.
@Suite("goldfish-agent runs jobs in containers", .enabled(if: DockerSupport.available), .serialized)
struct AgentContainerRunnerTests {
  static func harness(_ label: String, engine: String = DockerSupport.hostAddress ?? "") throws -> AgentHarness {
    let harness = try AgentHarness(label)
    harness.config.runner = .container
    harness.config.dockerHost = engine
    return harness
  }

  static func job(
    _ runId: String, _ script: String, image: String = DockerSupport.image, inputs: [AgentInput] = []
  )
    -> AgentJob
  {
    AgentJob(
      runId: runId, command: ["/bin/sh", "-c", script], env: ["GREETING": "hello"], image: image, inputs: inputs)
  }

  @Test("a job runs in its image with its inputs at /mnt/inputs; its log and outputs come back (bind mounts)")
  func runsInImageWithBindMounts() throws {
    let agent = try Self.harness("ctr-bind")
    try agent.start()
    let input = agent.folder + "/numbers.txt"
    try "1 2 3\n".write(toFile: input, atomically: true, encoding: .utf8)
    try agent.submit(
      Self.job(
        "run-ctr-1",
        "echo \"$GREETING from the container\"; test -f /.dockerenv && echo in-docker; "
          + "cat $GOLDFISH_INPUTS_DIR/numbers > $GOLDFISH_OUTPUTS_DIR/copy.txt; echo done >&2",
        inputs: [AgentInput(name: "numbers", source: input)]))
    let exit = try agent.waitForExit("run-ctr-1")
    #expect(exit.exitCode == 0, "\(agent.log("run-ctr-1"))")
    let log = agent.log("run-ctr-1")
    #expect(log.contains("hello from the container"))
    #expect(log.contains("in-docker"))
    #expect(log.contains("done"))
    let outputs = try agent.store.get(MailboxLayout.outputsFolder(run: "run-ctr-1") + "/copy.txt")
    #expect(outputs.map { String(decoding: $0, as: UTF8.self) } == "1 2 3\n")
  }

  @Test("over a TCP engine the folders travel through the archive API; a failure keeps its exit code")
  func archiveTransferAndFailure() throws {
    let proxy = try EngineTCPProxy(socket: DockerSupport.socket)
    let agent = try Self.harness("ctr-tcp", engine: "tcp://127.0.0.1:\(proxy.port)")
    try agent.start()
    let folder = agent.folder + "/data"
    try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
    try "deep\n".write(toFile: folder + "/sub/file.txt", atomically: true, encoding: .utf8)
    try agent.submit(
      Self.job(
        "run-ctr-2",
        "mkdir -p $GOLDFISH_OUTPUTS_DIR/nested; "
          + "cat $GOLDFISH_INPUTS_DIR/data/sub/file.txt > $GOLDFISH_OUTPUTS_DIR/nested/out.txt; exit 3",
        inputs: [AgentInput(name: "data", source: folder)]))
    let exit = try agent.waitForExit("run-ctr-2")
    #expect(exit.exitCode == 3, "\(agent.log("run-ctr-2"))")
    #expect(exit.terminationCause == .exit)
    let out = try agent.store.get(MailboxLayout.outputsFolder(run: "run-ctr-2") + "/nested/out.txt")
    #expect(out.map { String(decoding: $0, as: UTF8.self) } == "deep\n")
  }

  @Test("cancel stops only the job's container; the agent takes the next job")
  func cancelStopsTheContainer() throws {
    let agent = try Self.harness("ctr-cancel")
    try agent.start()
    try agent.submit(Self.job("run-ctr-3", "echo started; sleep 120"))
    try agent.waitFor { agent.log("run-ctr-3").contains("started") }
    try agent.store.putJSON(try MailboxLayout.cancel(run: "run-ctr-3"), ["reason": "test"])
    let exit = try agent.waitForExit("run-ctr-3")
    #expect(exit.terminationCause == .user)
    try agent.submit(Self.job("run-ctr-4", "echo next"))
    #expect(try agent.waitForExit("run-ctr-4").exitCode == 0)
    let left = try HTTPClient(unixSocket: DockerSupport.socket).send(
      HTTPRequest(
        "GET",
        "http://docker/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22goldfish.worker-id%3Dw-ctr-cancel%22%5D%7D"
      )
    ).json()
    #expect(left.arrayValue?.isEmpty == true, "\(left)")
  }

  @Test("an image that cannot be pulled fails that run with a message naming it; the agent stays up")
  func unpullableImage() throws {
    let agent = try Self.harness("ctr-pull")
    try agent.start()
    try agent.submit(Self.job("run-ctr-5", "true", image: "127.0.0.1:9/goldfish/none:1"))
    let exit = try agent.waitForExit("run-ctr-5")
    #expect(exit.exitCode == 1)
    #expect(exit.message.contains("cannot pull the image 127.0.0.1:9/goldfish/none:1") == true, "\(exit)")
    #expect(agent.isRunning)
  }

  @Test("a VM without Docker: the run fails with a message that says so and how to fix it")
  func noEngine() throws {
    let agent = try Self.harness(
      "ctr-none", engine: "unix://" + TestEnvironment.temporaryFolder("no-engine") + "/x.sock")
    try agent.start()
    try agent.submit(Self.job("run-ctr-6", "true"))
    let exit = try agent.waitForExit("run-ctr-6")
    #expect(exit.exitCode == 1)
    #expect(exit.message.contains("cannot run containers") == true, "\(exit)")
  }
}

/// 127.0.0.1:PORT in front of the engine's unix socket: an engine reached over TCP.
final class EngineTCPProxy {
  let helper: PortPrintingProcess
  var port: Int { helper.port }

  init(socket: String) throws {
    let script = """
      import socket, threading, sys
      server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(64)
      print(server.getsockname()[1], flush=True)
      def pump(a, b):
          try:
              while True:
                  data = a.recv(65536)
                  if not data: break
                  b.sendall(data)
          except OSError: pass
          finally:
              for end in (a, b):
                  try: end.shutdown(socket.SHUT_RDWR)
                  except OSError: pass
      while True:
          client, _ = server.accept()
          upstream = socket.socket(socket.AF_UNIX); upstream.connect(sys.argv[1])
          for a, b in ((client, upstream), (upstream, client)):
              threading.Thread(target=pump, args=(a, b), daemon=True).start()
      """
    helper = try PortPrintingProcess(["python3", "-c", script, socket])
  }
}
