import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// What a stage can never do, sandboxed or not (issue #12): change a stored object, leave a
/// process behind its run, pass for out of memory without the kernel's word, run unsandboxed
/// without saying so, or fail to start because its config is large.
@Suite("stage isolation", .serialized)
struct StageIsolationTests {
  /// A project whose `process:` section sets the sandbox mode (and a bwrap path, to stand for
  /// a machine without bubblewrap).
  static func project(sandbox: String? = nil, bwrap: String? = nil) throws -> ProjectFixture {
    let fixture = try ProjectFixture { root in
      var text = "project_name: demo\n"
      if sandbox != nil || bwrap != nil {
        text += "process:\n"
        if let sandbox { text += "  sandbox: \(sandbox)\n" }
        if let bwrap { text += "  bwrap: \(bwrap)\n" }
      }
      try text.write(toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    }
    try fixture.mountedWorkspace()
    return fixture
  }

  static let noBubblewrap = "/nonexistent/bwrap"

  /// produce → consume, where consume damages its input every way it can.
  static func producerAndVandal(_ fixture: ProjectFixture) throws {
    try fixture.write(
      "pipeline.yaml",
      """
      name: pipeline
      stages:
        - name: produce
          outputs: {data: {type: file, schema: null}}
        - name: consume
          inputs: {data: {type: file, from_stage: produce, schema: null}}
          outputs: {seen: {type: file, schema: null}}
      """)
    try fixture.write(
      "modules/produce.py",
      "from goldfish.io import get_output_path\nopen(get_output_path('data'), 'w').write('precious bytes\\n')\n")
    try fixture.write(
      "modules/consume.py",
      """
      import os
      from goldfish.io import get_input_path, get_output_path
      path = str(get_input_path('data'))
      seen = open(path).read()
      for target in [path, os.path.realpath(path)]:
          for mode in ['a', 'r+']:
              try:
                  os.chmod(target, 0o644)
              except OSError:
                  pass
              try:
                  with open(target, mode) as f:
                      if mode == 'a':
                          f.write('appended by the consumer')
                      else:
                          f.truncate(0)
              except OSError:
                  pass
      open(get_output_path('seen'), 'w').write(seen)
      """)
  }

  static func storedData(_ fixture: ProjectFixture, _ runs: [StageRunRecord]) throws -> (path: String, hash: String) {
    let produce = try #require(runs.first { $0.stage == "produce" })
    let output = try #require(try fixture.project.store.signals(of: produce.id).first { $0.direction == "output" })
    let uri = try #require(output.uri)
    return (String(uri.dropFirst("file://".count)), try #require(output.hash))
  }

  @Test(
    "a consumer that truncates or appends to its input leaves the stored object as it was",
    arguments: ["auto", "off"])
  func inputsAreCopies(sandbox: String) throws {
    let fixture = try Self.project(sandbox: sandbox)
    try Self.producerAndVandal(fixture)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let (path, hash) = try Self.storedData(fixture, runs)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious bytes\n")
    #expect(try "sha256:" + POSIXFile.sha256(of: path).sha256 == hash)
    // A later consumer reads the object as it was stored.
    let (again, rerun) = try SamplePipeline.run(ProjectFixture.reopened(fixture), ["consume"], rerun: true)
    #expect(again.status == "completed", "\(rerun.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let consume = try #require(rerun.first { $0.stage == "consume" })
    #expect(try String(contentsOfFile: consume.workDir! + "/outputs/seen", encoding: .utf8) == "precious bytes\n")
  }

  @Test("a stored object damaged behind Goldfish's back is caught on the next read, naming it and both hashes")
  func damageIsCaught() throws {
    let fixture = try Self.project()
    try Self.producerAndVandal(fixture)
    let (first, runs) = try SamplePipeline.run(fixture)
    #expect(first.status == "completed")
    let (path, hash) = try Self.storedData(fixture, runs)
    chmod(path, 0o644)
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("bit rot".utf8))
    try handle.close()
    let damaged = try "sha256:" + POSIXFile.sha256(of: path).sha256

    let (second, rerun) = try SamplePipeline.run(ProjectFixture.reopened(fixture), ["consume"], rerun: true)
    #expect(second.status == "failed")
    let consume = try #require(rerun.first { $0.stage == "consume" })
    #expect(consume.state == .failed)
    let error = consume.error ?? ""
    #expect(error.contains("changed after it was stored"), "\(error)")
    #expect(error.contains(path), "the error names the object: \(error)")
    #expect(error.contains(String(hash.dropFirst(7))) && error.contains(String(damaged.dropFirst(7))), "\(error)")
    #expect(error.contains("--rerun"), "the error says how to store it again: \(error)")
  }

  @Test("a folder input is a checked copy too: read whole while intact, refused once a file in it is damaged")
  func folderInputs() throws {
    let fixture = try Self.project()
    try fixture.write(
      "pipeline.yaml",
      """
      name: pipeline
      stages:
        - name: produce
          outputs: {model: {type: directory, schema: null}}
        - name: consume
          inputs: {model: {type: directory, from_stage: produce, schema: null}}
          outputs: {seen: {type: file, schema: null}}
      """)
    try fixture.write(
      "modules/produce.py",
      """
      import os
      from goldfish.io import get_output_path
      root = str(get_output_path('model'))
      os.makedirs(os.path.join(root, 'layers'), exist_ok=True)
      open(os.path.join(root, 'weights.bin'), 'w').write('w1')
      open(os.path.join(root, 'layers', 'a.txt'), 'w').write('a')
      """)
    try fixture.write(
      "modules/consume.py",
      """
      import os
      from goldfish.io import get_input_path, get_output_path
      root = str(get_input_path('model'))
      seen = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
      open(os.path.join(root, 'weights.bin'), 'a').write('damage through the input')
      open(get_output_path('seen'), 'w').write(' '.join(seen))
      """)
    let (first, runs) = try SamplePipeline.run(fixture)
    #expect(first.status == "completed", "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let consume = try #require(runs.first { $0.stage == "consume" })
    #expect(
      try String(contentsOfFile: consume.workDir! + "/outputs/seen", encoding: .utf8) == "layers/a.txt weights.bin")
    let produce = try #require(runs.first { $0.stage == "produce" })
    let output = try #require(try fixture.project.store.signals(of: produce.id).first { $0.direction == "output" })
    let folder = String(try #require(output.uri).dropFirst("file://".count))
    #expect(try String(contentsOfFile: folder + "weights.bin", encoding: .utf8) == "w1", "the consumer changed storage")

    chmod(folder + "layers/a.txt", 0o644)
    try "tampered".write(toFile: folder + "layers/a.txt", atomically: false, encoding: .utf8)
    let (second, rerun) = try SamplePipeline.run(ProjectFixture.reopened(fixture), ["consume"], rerun: true)
    #expect(second.status == "failed")
    let error = rerun.first { $0.stage == "consume" }?.error ?? ""
    #expect(error.contains("changed after it was stored") && error.contains(folder), "\(error)")
  }

  /// The markers in /proc/*/cmdline of every live (non-zombie) process.
  static func liveProcesses(containing marker: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { pid -> String? in
      guard Int32(pid) != nil,
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")"),
        stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z",
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
      else { return nil }
      let command = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      return command.contains(marker) ? "\(pid): \(command)" : nil
    }
  }

  @Test(
    "processes a stage starts with setsid or a double fork end with its run",
    arguments: ["auto", "off"])
  func processTreeEndsWithTheRun(sandbox: String) throws {
    let fixture = try Self.project(sandbox: sandbox)
    let marker = "4242.\(UInt32.random(in: 1000...999_999))"
    try fixture.write(
      "pipeline.yaml",
      "name: pipeline\nstages:\n  - name: spawn\n    outputs: {report: {type: file, schema: null}}\n")
    try fixture.write(
      "modules/spawn.py",
      """
      import os, subprocess
      from goldfish.io import get_output_path
      subprocess.Popen(['setsid', 'sleep', '\(marker)1'], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
      if os.fork() == 0:
          os.setsid()
          if os.fork() == 0:
              os.execvp('sleep', ['sleep', '\(marker)2'])
          os._exit(0)
      os.wait()
      open(get_output_path('report'), 'w').write('spawned')
      """)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let survivors = Self.liveProcesses(containing: "sleep \(marker)")
    #expect(survivors.isEmpty, "outlived the run: \(survivors)")
    for line in survivors { if let pid = Int32(line.prefix { $0 != ":" }) { kill(pid, SIGKILL) } }
  }

  @Test("a stage that SIGKILLs itself is recorded as killed by SIGKILL, not as out of memory")
  func sigkillIsNotOOM() throws {
    let fixture = try Self.project(sandbox: "off")
    try fixture.write("pipeline.yaml", "name: pipeline\nstages:\n  - name: suicide\n")
    try fixture.write("modules/suicide.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    let (_, runs) = try SamplePipeline.run(fixture)
    let run = try #require(runs.first)
    #expect(run.state == .failed)
    #expect(run.terminationCause != "oom", "recorded as \(run.terminationCause ?? "nil")")
    #expect(run.error?.contains("killed by signal 9 (SIGKILL)") == true, "\(run.error ?? "")")
    #expect(run.error?.contains("memory") != true, "\(run.error ?? "")")
  }

  /// The run's own memory cgroup (v1 here) can be made and limited: true on the CI machines
  /// (root, a hybrid cgroup hierarchy); the supervisor then learns of OOM kills from the kernel.
  static let memoryCgroupWritable: Bool = {
    guard getuid() == 0, FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.oom_control") else {
      return false
    }
    let own =
      ((try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "").split(separator: "\n")
      .first {
        $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains("memory") == true
      }
      .map { String($0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last ?? "") } ?? ""
    let probe = "/sys/fs/cgroup/memory" + (own == "/" ? "" : own) + "/goldfish-test-probe-\(getpid())"
    guard mkdir(probe, 0o755) == 0 else { return false }
    rmdir(probe)
    return true
  }()

  @Test(
    "a stage the kernel's OOM killer ends is recorded as out of memory",
    .enabled(if: memoryCgroupWritable, "needs root and a writable memory cgroup"))
  func kernelOOMIsOOM() throws {
    let fixture = try Self.project(sandbox: "off")
    let signals = TestEnvironment.temporaryFolder("oom-signals")
    try fixture.write("pipeline.yaml", "name: pipeline\nstages:\n  - name: hog\n")
    try fixture.write(
      "modules/hog.py",
      """
      import os, time
      line = [l for l in open('/proc/self/cgroup').read().splitlines() if ':memory:' in l][0]
      open(\(String(reflecting: signals + "/cgroup.tmp")), 'w').write(line.split(':', 2)[2])
      os.rename(\(String(reflecting: signals + "/cgroup.tmp")), \(String(reflecting: signals + "/cgroup")))
      while not os.path.exists(\(String(reflecting: signals + "/go"))):
          time.sleep(0.05)
      hog = bytearray(512 << 20)
      print('survived', len(hog))
      """)
    // The run blocks until it ends: drive it on another thread while this one limits its memory.
    nonisolated(unsafe) var outcome: Result<(PipelineRunRecord, [StageRunRecord]), any Error>?
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      outcome = Result { try SamplePipeline.run(fixture) }
      done.signal()
    }
    var cgroup: String?
    for _ in 0..<1200 where cgroup == nil {
      cgroup = try? String(contentsOfFile: signals + "/cgroup", encoding: .utf8)
      if cgroup == nil { usleep(50_000) }
    }
    let path = "/sys/fs/cgroup/memory" + (try #require(cgroup, "the stage never started"))
    #expect(path.contains("goldfish-run-"), "the stage is not in a cgroup of its own: \(path)")
    try String(64 << 20).write(toFile: path + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
    FileManager.default.createFile(atPath: signals + "/go", contents: Data())
    done.wait()
    let (_, runs) = try #require(outcome).get()
    let run = try #require(runs.first)
    #expect(run.state == .terminated, "\(run.state) \(run.error ?? "")")
    #expect(run.terminationCause == "oom", "\(run.terminationCause ?? "nil") \(run.error ?? "")")
    #expect(run.error?.contains("oom") == true || run.error?.contains("out of memory") == true, "\(run.error ?? "")")
  }

  static func probeStage(_ fixture: ProjectFixture, targets: [String]) throws {
    try fixture.write(
      "pipeline.yaml",
      "name: pipeline\nstages:\n  - name: probe\n    outputs: {report: {type: file, schema: null}}\n")
    let list = targets.map { String(reflecting: $0) }.joined(separator: ", ")
    try fixture.write(
      "modules/probe.py",
      """
      import os
      from goldfish.io import get_output_path
      lines = ['home ' + os.environ.get('HOME', '')]
      for target in [\(list)]:
          try:
              open(target, 'w').write('x')
              lines.append('wrote ' + target)
          except OSError:
              lines.append('refused ' + target)
      open(get_output_path('report'), 'w').write('\\n'.join(lines))
      """)
  }

  @Test("in required mode a machine without bubblewrap fails the run with the fix")
  func requiredWithoutBubblewrap() throws {
    let fixture = try Self.project(sandbox: "required", bwrap: Self.noBubblewrap)
    try Self.probeStage(fixture, targets: [])
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "failed")
    let run = try #require(runs.first)
    #expect(run.state == .failed)
    let error = run.error ?? ""
    #expect(error.contains("apt-get install bubblewrap"), "\(error)")
    #expect(error.contains("process.sandbox"), "\(error)")
    #expect(!FileManager.default.fileExists(atPath: (run.workDir ?? "/nonexistent") + "/outputs/report"))
  }

  @Test("in auto mode an unsandboxed run says so: its record, status, STATE.md and the CLI's run output")
  func autoWithoutBubblewrapSaysSo() throws {
    let fixture = try Self.project(bwrap: Self.noBubblewrap)
    try Self.probeStage(fixture, targets: [])
    let result = Command.goldfish(["run", "w1", "--wait", "--reason", goodReason], cwd: fixture.root)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("WITHOUT a sandbox: bubblewrap is not installed"), "\(result.stdout)")

    let project = try fixture.reopen()
    let run = try #require(try project.store.stageRuns(limit: 1).first)
    #expect(run.state == .awaitingUserFinalization, "\(run.error ?? "")")
    #expect(run.unsandboxed?.contains("apt-get install bubblewrap") == true, "\(run.unsandboxed ?? "nil")")
    let report = try String(contentsOfFile: run.workDir! + "/outputs/report", encoding: .utf8)
    #expect(report.contains("home \(run.workDir!)/home"), "HOME is the run's own folder: \(report)")

    let status = try ProjectStatus(project: project)
    #expect(status.recentRuns.first?.unsandboxed != nil)
    #expect(status.nextSteps.contains { $0.contains("NOT sandboxed") }, "\(status.nextSteps)")
    let cli = Command.goldfish(["status"], cwd: fixture.root)
    #expect(cli.stdout.contains("NOT SANDBOXED"), "\(cli.stdout)")
    let stateMD = try String(contentsOfFile: project.paths.stateMD, encoding: .utf8)
    #expect(stateMD.contains("not sandboxed"), "\(stateMD)")

    // MCP: `status` warns in next_steps and names the reason on the run.
    let session = try MCPSession(project: fixture.root)
    session.callTool(id: 1, "status", [:])
    session.waitForResponses([1], seconds: 60)
    let answer = session.responses[1]?["result"] as? [String: Any]
    session.close()
    let structured = try #require(answer?["structuredContent"] as? [String: Any], "\(answer ?? [:])")
    let steps = structured["next_steps"] as? [String] ?? []
    #expect(steps.contains { $0.contains("NOT sandboxed") }, "\(steps)")
    let recent = structured["recent_runs"] as? [[String: Any]] ?? []
    #expect((recent.first?["unsandboxed"] as? String)?.contains("bubblewrap") == true, "\(recent)")
  }

  @Test("with bubblewrap a stage cannot write into the slot, .goldfish or the user's home; the record says sandboxed")
  func sandboxBlocksSlotStateAndHome() throws {
    let fixture = try Self.project()
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    let marker = "goldfish-escape-\(UUID().uuidString.prefix(8))"
    let targets = [
      fixture.slot("w1") + "/\(marker)", fixture.project.paths.devDir + "/\(marker)", home + "/\(marker)",
    ]
    defer { for target in targets { try? FileManager.default.removeItem(atPath: target) } }
    try Self.probeStage(fixture, targets: targets)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let run = try #require(runs.first)
    #expect(run.unsandboxed == nil, "\(run.unsandboxed ?? "")")
    let report = try String(contentsOfFile: run.workDir! + "/outputs/report", encoding: .utf8)
    // Under /tmp (as here) the sandbox's private /tmp holds empty parents of the run folder, so
    // a write to .goldfish/x may succeed there and vanish with the run: what counts is that
    // nothing reaches the real folders.
    for target in targets {
      #expect(!FileManager.default.fileExists(atPath: target), "\(target) was written: \(report)")
    }
    #expect(report.contains("refused \(targets[0])") && report.contains("refused \(targets[2])"), "\(report)")
  }

  @Test("a 200 KB config value reaches the stage (through a file, not the environment)")
  func largeConfigReachesTheStage() throws {
    let fixture = try Self.project()
    try fixture.write(
      "pipeline.yaml",
      "name: pipeline\nstages:\n  - name: big\n    outputs: {report: {type: file, schema: null}}\n")
    try fixture.write(
      "modules/big.py",
      """
      import os
      from goldfish.io import get_config, get_output_path
      blob = get_config()['blob']
      largest = max(len(v) for v in os.environ.values())
      open(get_output_path('report'), 'w').write(f'{len(blob)} {largest}')
      """)
    let blob = String(repeating: "x", count: 200_000)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture, overrides: ["blob": .string(blob)])
    #expect(pipelineRun.status == "completed", "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let run = try #require(runs.first)
    let report = try String(contentsOfFile: run.workDir! + "/outputs/report", encoding: .utf8).split(separator: " ")
    #expect(report.first == "200000")
    #expect((report.last.flatMap { Int($0) } ?? .max) < 10_000, "a big value is still in the environment: \(report)")
  }
}
