import Foundation
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// One explicit case for each kind of hostile input: refused with a clear error, no crash,
/// memory bounded, and nothing done outside the project.
@Suite("hostile input: explicit cases")
struct HostileInputTests {
  /// A refusal: a failing exit with goldfish's own "error: …" on stderr (a crash prints none).
  static func expectRefused(
    _ result: CommandResult, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(
      result.status != 0 && result.stderr.hasPrefix("error: "), "exit \(result.status): \(result.stderr)",
      sourceLocation: sourceLocation)
    for word in words {
      #expect(
        result.stderr.contains(word), "stderr lacks \(word.debugDescription): \(result.stderr)",
        sourceLocation: sourceLocation)
    }
  }

  @Test("../ in pipeline names, run ids and output manifests never leaves the project")
  func pathTraversal() throws {
    let fixture = try SamplePipeline.project()
    Self.expectRefused(
      Command.goldfish(
        ["run", "w1", "--pipeline", "../../../../etc/passwd", "--reason", goodReason], cwd: fixture.root),
      mentioning: ["passwd"])
    Self.expectRefused(Command.goldfish(["logs", "../../../../etc/passwd"], cwd: fixture.root), mentioning: ["no run"])
    Self.expectRefused(
      Command.goldfish(["inspect", "stage-../../goldfish.db"], cwd: fixture.root), mentioning: ["no run"])
    // A stage whose outputs.json points its output above the outputs folder.
    try fixture.write(
      "modules/preprocess.py",
      """
      import json, os
      from goldfish.io import get_output_path
      folder = os.path.dirname(get_output_path("features"))
      os.makedirs(folder + "/.goldfish", exist_ok=True)
      json.dump({"features": {"path": "../../../../../../etc/hostname"}}, open(folder + "/.goldfish/outputs.json", "w"))
      """)
    let run = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
    let stageRun = try #require(try fixture.project.store.stageRuns(stage: "preprocess").first)
    #expect(stageRun.state == .failed)
    #expect(stageRun.error?.contains("did not write its declared output features") == true, "\(stageRun.error ?? "")")
    #expect(RunForensics(fixture: fixture).storedOutputObjects(of: stageRun.id).isEmpty)
  }

  @Test("symlinks out of the root: a workspace link is not versioned, an output link is not followed")
  func symlinksOut() throws {
    let fixture = try SamplePipeline.project()
    let secret = TestEnvironment.temporaryFolder("secret") + "/secret.txt"
    try "host secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: fixture.slot("w1") + "/leak.txt", withDestinationPath: secret)
    try FileManager.default.createSymbolicLink(
      atPath: fixture.slot("w1") + "/leakdir", withDestinationPath: (secret as NSString).deletingLastPathComponent)
    // The stage leaves links where its outputs belong: one to a host file, one inside a folder output.
    try fixture.write(
      "modules/preprocess.py",
      """
      import os
      from goldfish.io import get_output_path
      os.symlink(\(String(reflecting: secret)), get_output_path("features"))
      """)
    let run = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
    let stageRun = try #require(try fixture.project.store.stageRuns(stage: "preprocess").first)
    #expect(stageRun.state == .failed)
    #expect(stageRun.error?.contains("links outside the run's outputs folder") == true, "\(stageRun.error ?? "")")
    #expect(RunForensics(fixture: fixture).storedOutputObjects(of: stageRun.id).isEmpty, "the host file was not copied")
    #expect(try fixture.project.store.signals(of: stageRun.id).filter { $0.direction == "output" }.isEmpty)
    // The version and the run's code hold neither link nor what it points at.
    let version = try #require(try fixture.project.store.latestVersion(of: "line"))
    let commit = try CommitID.stored(version.sha)
    #expect(try fixture.project.repository.readFile(at: "leak.txt", in: commit) == nil)
    #expect(try fixture.project.repository.readFile(at: "leakdir/secret.txt", in: commit) == nil)
    let codeDir = try #require(try fixture.project.store.pipelineRun(stageRun.pipelineRunID ?? "")?.codeDir)
    #expect(!FileManager.default.fileExists(atPath: codeDir + "/leak.txt"))
    #expect(!FileManager.default.fileExists(atPath: codeDir + "/leakdir/secret.txt"))
  }

  @Test("names with shell metacharacters or newlines are refused wherever a user gives one")
  func metacharacterNames() throws {
    let fixture = try SamplePipeline.project()
    let marker = TestEnvironment.temporaryFolder("marker") + "/pwned"
    let hostile = ["x;touch \(marker)", "x$(touch \(marker))", "x`touch \(marker)`", "x\ny", "x|y", "x && y"]
    for name in hostile {
      Self.expectRefused(
        Command.goldfish(["workspace", "create", name, "--goal", "a goal", "--reason", goodReason], cwd: fixture.root),
        mentioning: ["invalid"])
      Self.expectRefused(
        Command.goldfish(
          [
            "source", "register", name, SamplePipeline.samples + "/points.csv", "--description", "d", "--reason",
            goodReason,
          ], cwd: fixture.root),
        mentioning: ["invalid"])
      Self.expectRefused(Command.goldfish(["inspect", name], cwd: fixture.root), mentioning: ["no run"])
      Self.expectRefused(
        Command.goldfish(["cancel", name, "--reason", goodReason], cwd: fixture.root), mentioning: ["no run"])
    }
    // A stage name in pipeline.yaml: the run is refused before anything is versioned.
    let pipeline = try String(contentsOfFile: SamplePipeline.samples + "/pipeline.yaml", encoding: .utf8)
    try fixture.write(
      "pipeline.yaml", pipeline.replacingOccurrences(of: "name: preprocess", with: "name: \"pre$(touch \(marker))\""))
    let versionsBefore = try fixture.project.store.versions(of: "line").count
    Self.expectRefused(
      Command.goldfish(["run", "w1", "--reason", goodReason], cwd: fixture.root), mentioning: ["stage"])
    #expect(try fixture.project.store.versions(of: "line").count == versionsBefore)
    #expect(try fixture.project.store.workspaces().map(\.name) == ["line"])
    #expect(try fixture.project.sources.list().map(\.name) == ["points"])
    #expect(!FileManager.default.fileExists(atPath: marker), "no shell ever ran a name")
  }

  @Test("environment keys like $(…) in a stage config are refused by name")
  func environmentKeys() throws {
    let fixture = try SamplePipeline.project()
    let marker = TestEnvironment.temporaryFolder("marker") + "/pwned"
    try fixture.write("configs/preprocess.yaml", "environment:\n  \"$(touch \(marker))\": \"1\"\n  \"A B\": x\n")
    let run = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: fixture.root)
    Self.expectRefused(run, mentioning: ["environment variable", "is not a valid name"])
    #expect(try fixture.project.store.stageRuns().isEmpty, "nothing ran")
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("a 50 MB pipeline.yaml or goldfish.yaml is refused unread: clear error, bounded memory")
  func hugePipeline() throws {
    let fixture = try SamplePipeline.project()
    let path = fixture.slot("w1") + "/pipeline.yaml"
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try #require(FileHandle(forWritingAtPath: path))
    let line = Data("# \(String(repeating: "x", count: 1021))\n".utf8)
    let block = Data(repeating: 0, count: 0) + (0..<1024).reduce(into: Data()) { data, _ in data.append(line) }
    try handle.write(contentsOf: Data("name: pipeline\nstages:\n".utf8))
    for _ in 0..<50 { try handle.write(contentsOf: block) }
    try handle.close()
    let result = MeasuredCommand.goldfish(["run", "w1", "--reason", goodReason, "--project", fixture.root])
    #expect(result.signal == nil && result.status != 0, "\(result.stderr)")
    #expect(result.stderr.contains("goldfish reads YAML files of at most"), "\(result.stderr)")
    #expect(
      result.maxResidentKilobytes > 0 && result.maxResidentKilobytes < 200_000,
      "peak memory \(result.maxResidentKilobytes) KB")
    // The same file as goldfish.yaml: every command refuses the project, unread.
    try FileManager.default.removeItem(atPath: fixture.root + "/goldfish.yaml")
    try FileManager.default.moveItem(atPath: path, toPath: fixture.root + "/goldfish.yaml")
    let runs = MeasuredCommand.goldfish(["runs", "--project", fixture.root])
    #expect(runs.signal == nil && runs.status != 0, "\(runs.stderr)")
    #expect(runs.stderr.contains("goldfish reads YAML files of at most"), "\(runs.stderr)")
    #expect(runs.maxResidentKilobytes < 200_000, "peak memory \(runs.maxResidentKilobytes) KB")
  }

  @Test("10,000 levels of nesting, in any YAML goldfish reads, is refused without a crash")
  func deepNesting() throws {
    let depth = 10_000
    let flow = "stages: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
    let block = "stages:\n" + String(repeating: "- ", count: depth) + "x\n"
    let mapping =
      "stages: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth) + "\n"
    for text in [flow, block, mapping] {
      let result = PipelineLoader.parse(yaml: text)
      #expect(result.definition == nil)
      #expect(result.issues.first?.message.contains("nests") == true, "\(result.issues)")
    }
    // Through the CLI: a deep goldfish.yaml and a deep pipeline.yaml.
    let fixture = try SamplePipeline.project()
    try fixture.write("pipeline.yaml", flow)
    let run = MeasuredCommand.goldfish(["run", "w1", "--reason", goodReason, "--project", fixture.root])
    #expect(run.signal == nil && run.status != 0 && run.stderr.contains("levels deep"), "\(run.stderr)")
    let config = fixture.root + "/goldfish.yaml"
    try ("project_name: demo\nx: " + String(repeating: "[", count: depth) + "\n").write(
      toFile: config, atomically: true, encoding: .utf8)
    let runs = MeasuredCommand.goldfish(["runs", "--project", fixture.root])
    #expect(runs.signal == nil && runs.status != 0 && runs.stderr.contains("levels deep"), "\(runs.stderr)")
    // And in JSON from a plugin.
    let json = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    #expect(throws: PluginError.self) { try JSONCoding.decode(RunStatus.self, from: json) }
    #expect(throws: PluginError.self) { try JSONCoding.parse(json) }
  }

  @Test("anchors that expand to a billion values are refused, not expanded")
  func aliasBomb() {
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in 1...9 {
      text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    text += "stages: *a9\n"
    let result = PipelineLoader.parse(yaml: text)
    #expect(result.definition == nil)
    #expect(result.issues.first?.message.contains("expands to more than") == true, "\(result.issues)")
  }

  @Test("a 1 MB name is refused with a short message, through MCP as through the CLI")
  func megabyteName() async throws {
    let fixture = try ProjectFixture()
    let name = String(repeating: "a", count: 1 << 20)
    let tools = Dictionary(ToolRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let context = ServerContext(explicitProject: fixture.root, startDirectory: fixture.root)
    for (tool, arguments) in [
      ("create_workspace", ["name": Value.string(name), "goal": "a goal", "reason": .string(goodReason)]),
      (
        "register_source",
        [
          "name": .string(name), "location": .string(SamplePipeline.samples + "/points.csv"),
          "description": "d", "reason": .string(goodReason),
        ]
      ),
      ("inspect_run", ["run_id": .string(name)]),
    ] {
      let result = await MCPServer.call(
        CallTool.Parameters(name: tool, arguments: arguments), tools: tools, context: context,
        server: Server(name: "t", version: "0"))
      #expect(result.isError == true)
      let message = result.structuredContent?.objectValue?["message"]?.stringValue ?? ""
      #expect(!message.isEmpty && message.utf8.count < 1000, "\(tool): \(message.utf8.count) bytes of message")
    }
    // argv caps one argument at 128 KB; the CLI still refuses the largest name it can be given.
    let cli = Command.goldfish(
      ["workspace", "create", String(repeating: "a", count: 100_000), "--goal", "g", "--reason", goodReason],
      cwd: fixture.root)
    Self.expectRefused(cli, mentioning: ["invalid"])
    #expect(cli.stderr.utf8.count < 1000)
  }

  @Test("a 10,000-deep tool argument gets an error over MCP and the server keeps serving")
  func deepToolArguments() throws {
    let fixture = try ProjectFixture()
    let session = try MCPSession(project: fixture.root)
    // Written as text: building it with JSONSerialization would overflow this test's own stack.
    let nested = String(repeating: "[", count: 10_000) + "\"x\"" + String(repeating: "]", count: 10_000)
    session.sendRaw(
      #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"status","arguments":{"deep":"# + nested + "}}}")
    session.callTool(id: 2, "goldfish_version", [:])
    session.waitForResponses([2], seconds: 60)
    let responses = session.responses
    let transcript = session.transcript
    session.close()
    #expect(session.process.terminationReason == .exit, "the server was killed by a signal")
    // The deep message is answered with a JSON-RPC parse error (the SDK cannot tell its id).
    #expect(transcript.contains("\"code\":-32700"), "\(transcript.prefix(2000))")
    let version = try #require(responses[2]?["result"] as? [String: Any], "no answer after the deep request")
    #expect(version["isError"] as? Bool != true)
  }
}
