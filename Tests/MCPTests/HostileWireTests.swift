import Foundation
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// Hostile input at the MCP wire and in the YAML files goldfish reads (issue #12, item 7): every
/// case gets a clear error or a correct result, in bounded time and memory, and the server lives.
/// Each table row is one case; docs/reliability.md lists them.
@Suite("hostile input: the MCP wire and YAML files")
struct HostileWireTests {
  static let megabyte = String(repeating: "a", count: 1 << 20)

  // MARK: - Errors quote a short prefix of a bad value

  struct LongValue: Sendable, CustomTestStringConvertible {
    var tool: String
    var arguments: [String: Value]
    var testDescription: String {
      "\(tool.prefix(20)) "
        + arguments.map { "\($0.key.prefix(12))=\(($0.value.stringValue ?? "…").prefix(12))" }.joined()
    }
  }

  static let big = Value.string(megabyte)
  static let longValues: [LongValue] = [
    LongValue(tool: megabyte, arguments: [:]),
    LongValue(tool: "goldfish_version", arguments: [megabyte: 1]),
    LongValue(tool: "list_runs", arguments: ["state": big]),
    LongValue(tool: "get_lineage", arguments: ["run_id": "stage-1", "direction": big]),
    LongValue(tool: "create_workspace", arguments: ["name": big, "goal": "a goal", "reason": .string(goodReason)]),
    LongValue(
      tool: "register_source",
      arguments: [
        "name": big, "location": .string(SamplePipeline.samples + "/points.csv"), "description": "d",
        "reason": .string(goodReason),
      ]),
    // One grapheme of a million scalars: cut by scalars, not by characters.
    LongValue(
      tool: "create_workspace",
      arguments: [
        "name": .string("e" + String(repeating: "\u{301}", count: 1 << 20)), "goal": "a goal",
        "reason": .string(goodReason),
      ]),
    LongValue(tool: "inspect_run", arguments: ["run_id": big]),
    LongValue(tool: "logs", arguments: ["run_id": big]),
    LongValue(tool: "cancel", arguments: ["run_id": big, "reason": .string(goodReason)]),
    LongValue(tool: "inspect_workspace", arguments: ["name": big]),
    LongValue(tool: "get_source", arguments: ["name": big]),
    LongValue(tool: "list_history", arguments: ["workspace": big]),
    LongValue(tool: "validate_pipeline", arguments: ["workspace": big]),
    LongValue(tool: "validate_pipeline", arguments: ["workspace": "w1", "pipeline": big]),
    LongValue(tool: "log_thought", arguments: ["thought": "a thought", "workspace": big]),
    LongValue(tool: "get_debug_info", arguments: ["ref": big]),
  ]

  @Test("a 1 MB value gets an error of a few hundred bytes that quotes its start", arguments: longValues)
  func longValueIsQuotedShort(_ row: LongValue) async throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let tools = Dictionary(ToolRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let context = ServerContext(explicitProject: fixture.root, startDirectory: fixture.root)
    let result = await MCPServer.call(
      CallTool.Parameters(name: row.tool, arguments: row.arguments), tools: tools, context: context,
      server: Server(name: "t", version: "0"))
    // validate_pipeline answers a bad pipeline name with valid: false and the issue, not an error.
    #expect(result.isError == true || row.tool == "validate_pipeline")
    let size = try JSONEncoder().encode(result).count
    #expect(size < 4096, "the whole answer is \(size) bytes")
    if result.isError == true {
      let message = result.structuredContent?.objectValue?["message"]?.stringValue ?? ""
      #expect(!message.isEmpty, "no message")
    }
  }

  @Test("over stdio: a 1 MB method name, tool name or parameter name gets a short answer")
  func longValuesOverStdio() throws {
    let fixture = try ProjectFixture()
    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.send(["jsonrpc": "2.0", "id": 1, "method": Self.megabyte, "params": [String: Any]()])
    session.callTool(id: 2, Self.megabyte, [:])
    session.callTool(id: 3, "goldfish_version", [Self.megabyte: 1])
    session.callTool(id: 4, "goldfish_version", [:])
    session.waitForResponses([1, 2, 3, 4], seconds: 120)
    let sizes = session.lineSizes
    for id in [1, 2, 3] {
      let size = sizes[id] ?? -1
      #expect(size > 0 && size < 4096, "answer \(id) is \(size) bytes")
    }
    #expect(session.responses[4]?["result"] != nil, "the server stopped answering")
  }

  // MARK: - Integer arguments are range-checked

  /// Every integer parameter of every tool, read from the registry so a new one is covered too.
  static let integerParameters: [IntegerParameter] = ToolRegistry.all.flatMap { tool in
    tool.parameters.filter { $0.kind == .integer }.map { IntegerParameter(tool: tool, parameter: $0) }
  }

  struct IntegerParameter: Sendable, CustomTestStringConvertible {
    var tool: MCPTool
    var parameter: ToolParameter
    var testDescription: String { "\(tool.name).\(parameter.name)" }

    /// The other required arguments, filled with plausible values so only the integer is wrong.
    var baseArguments: [String: Any] {
      var arguments: [String: Any] = [:]
      for other in tool.parameters where other.required && other.name != parameter.name {
        arguments[other.name] = other.name == "reason" ? goodReason : other.choices?.first ?? "w1"
      }
      return arguments
    }
  }

  /// JSON number texts no integer parameter accepts: past Int64 both ways, a double too large for
  /// any integer, a fraction, a negative.
  static let hostileNumbers = [
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999", "1e300",
    "-1e300", "1.5", "-1",
  ]

  @Test("every integer parameter declares its range, and the schema shows it")
  func integerParametersAreBounded() throws {
    #expect(Self.integerParameters.count >= 10, "found \(Self.integerParameters.map(\.testDescription))")
    for row in Self.integerParameters {
      #expect(row.parameter.minimum != nil && row.parameter.maximum != nil, "\(row.testDescription) is unbounded")
      let schema = row.tool.inputSchema.objectValue?["properties"]?.objectValue?[row.parameter.name]?.objectValue
      #expect(schema?["minimum"]?.intValue == row.parameter.minimum, "\(row.testDescription)")
      #expect(schema?["maximum"]?.intValue == row.parameter.maximum, "\(row.testDescription)")
    }
  }

  @Test("huge, fractional and negative numbers in every integer argument: a range error, and the server lives")
  func integerArgumentsOverStdio() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let session = try MCPSession(project: fixture.root)
    var sent: [(id: Int, row: IntegerParameter, number: String)] = []
    var id = 100
    for row in Self.integerParameters {
      for number in Self.hostileNumbers {
        id += 1
        let arguments = try JSONSerialization.data(withJSONObject: row.baseArguments, options: .sortedKeys)
        var text = String(decoding: arguments, as: UTF8.self)
        text.removeLast()
        text += (row.baseArguments.isEmpty ? "" : ",") + "\"\(row.parameter.name)\":\(number)}"
        session.sendRaw(
          #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(row.tool.name)","arguments":\#(text)}}"#
        )
        sent.append((id, row, number))
      }
    }
    session.callTool(id: 1, "goldfish_version", [:])
    session.waitForResponses(sent.map(\.id) + [1], seconds: 120)
    let responses = session.responses
    session.close()
    #expect(session.process.terminationReason == .exit, "the server was killed by a signal")
    for (id, row, number) in sent {
      let result = responses[id]?["result"] as? [String: Any]
      let fields = result?["structuredContent"] as? [String: Any]
      let message = fields?["message"] as? String ?? ""
      #expect(result?["isError"] as? Bool == true, "\(row.testDescription)=\(number): \(responses[id] ?? [:])")
      #expect(fields?["code"] as? String == "invalid_argument", "\(row.testDescription)=\(number): \(message)")
      let range = "from \(row.parameter.minimum ?? 0) to \(row.parameter.maximum ?? 0)"
      #expect(message.contains(range), "\(row.testDescription)=\(number): \(message)")
    }
    #expect(responses[1]?["result"] != nil, "no answer after the hostile numbers")
  }

  @Test("an integral double within range is read as that integer")
  func integralDoubleIsAccepted() async throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let tools = Dictionary(ToolRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let context = ServerContext(explicitProject: fixture.root, startDirectory: fixture.root)
    let result = await MCPServer.call(
      CallTool.Parameters(name: "list_runs", arguments: ["limit": .double(200)]), tools: tools, context: context,
      server: Server(name: "t", version: "0"))
    #expect(result.isError != true, "\(result)")
  }

  // MARK: - The request line reader

  @Test("a 64 MB request line gets a JSON-RPC error naming the limit; the server reads it in bounded memory")
  func oversizeLine() throws {
    let fixture = try ProjectFixture()
    let session = try MCPSession(project: fixture.root)
    // Written in 64 KB pieces: the test process itself stays small (a child it spawns later
    // inherits its peak memory in MeasuredCommand's wait4 numbers).
    session.sendLineInBackground(
      head: #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"log_thought","arguments":{"thought":""#,
      filler: 64 << 20, tail: #""}}}"#)
    session.callTool(id: 8, "goldfish_version", [:])
    session.waitForResponses([7, 8], seconds: 300)
    let peak = session.peakResidentKilobytes
    let responses = session.responses
    let sizes = session.lineSizes
    session.close()
    #expect(session.process.terminationReason == .exit)
    let error = responses[7]?["error"] as? [String: Any]
    #expect(error?["code"] as? Int == -32600, "\(responses[7] ?? [:])")
    #expect((error?["message"] as? String ?? "").contains("bytes"), "\(error ?? [:])")
    #expect((sizes[7] ?? Int.max) < 1024)
    #expect(responses[8]?["result"] != nil, "no answer after the long line")
    #expect(peak > 0 && peak < 200_000, "goldfish serve peaked at \(peak) KB")
  }

  @Test("a 4 MB request line (under the limit) is read whole, across many reads")
  func largeLineUnderTheLimit() throws {
    let fixture = try ProjectFixture()
    let session = try MCPSession(project: fixture.root)
    let key = String(repeating: "k", count: 4 << 20)
    session.callTool(id: 5, "goldfish_version", [key: 1])
    session.callTool(id: 6, "goldfish_version", [:])
    session.waitForResponses([5, 6], seconds: 120)
    let responses = session.responses
    session.close()
    let result = responses[5]?["result"] as? [String: Any]
    let message = (result?["structuredContent"] as? [String: Any])?["message"] as? String ?? ""
    // The message counts the name's characters: the whole line arrived.
    #expect(message.contains("(4194304 characters)"), "\(message)")
    #expect(responses[6]?["result"] != nil)
  }

  @Test("the line splitter: lines across reads, blank lines skipped, an over-long line counted, not kept")
  func requestLines() {
    var lines = RequestLines(limit: 10)
    var items: [RequestLines.Item] = []
    for chunk in ["ab", "c\n\nde", "f\n0123456789", "ABCDEF", "\nlast\n", "tail"] {
      Data(chunk.utf8).withUnsafeBytes { lines.feed($0) { items.append($0) } }
    }
    lines.finish { items.append($0) }
    #expect(
      items == [
        .line(Data("abc".utf8)), .line(Data("def".utf8)),
        .tooLong(head: Data("0123456789ABCDEF".utf8), bytes: 16), .line(Data("last".utf8)), .line(Data("tail".utf8)),
      ])
  }

  @Test(
    "the id of a request too long to read, from its first bytes",
    arguments: [
      (#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"a":"#, "7"),
      (#"{ "id" : "req-\"1\"" , "params": "#, #""req-\"1\"""#),
      (#"{"jsonrpc":"2.0","method":"x","params":{"id":3,"s":"#, nil),
      (#"{"method":{"id":[1,{"x":"}"}]},"id":-12,"params":"#, "-12"),
      (#"{"id":12"#, nil),
      (#"{"id":null,"params":"#, nil),
      ("[1,2]", nil),
    ])
  func requestHead(_ head: String, _ id: String?) {
    #expect(RequestHead.id(in: Data(head.utf8)).map { String(decoding: $0, as: UTF8.self) } == id)
  }

  // MARK: - YAML files

  struct YAMLCase: Sendable, CustomTestStringConvertible {
    enum Target: Sendable { case projectConfig, pipeline, stageConfig, stageCompute }
    var label: String
    var target: Target
    /// Appended to configs/preprocess.yaml; in place of the `project_name:` line of goldfish.yaml
    /// (line 3), the `description:` line of pipeline.yaml or the `compute:` line of
    /// configs/preprocess.yaml (so each key is there once).
    var bytes: [UInt8]
    var expected: [String]
    var testDescription: String { label }
  }

  static let yamlCases: [YAMLCase] = [
    YAMLCase(
      label: "goldfish.yaml: a !!python tag", target: .projectConfig,
      bytes: Array("project_name: !!python/object/apply:os.system demo\n".utf8),
      expected: ["!!python/object/apply:os.system", "line 3"]),
    YAMLCase(
      label: "goldfish.yaml: a local tag on a mapping", target: .projectConfig,
      bytes: Array("project_name: demo\nmetrics: !evil {}\n".utf8), expected: ["!evil", "line 4"]),
    YAMLCase(
      label: "goldfish.yaml: memory_gb past any machine (it overflowed to megabytes)", target: .projectConfig,
      bytes: Array("project_name: demo\ngce:\n  profile_overrides:\n    cpu-small: {memory_gb: 1e300}\n".utf8),
      expected: ["memory_gb", "1048576"]),
    YAMLCase(
      label: "goldfish.yaml: a time budget of 2^63-1 seconds (a deadline past it overflows)", target: .projectConfig,
      bytes: Array("project_name: demo\ndefaults: {timeout_seconds: 9223372036854775807}\n".utf8),
      expected: ["timeout_seconds", "31622400"]),
    YAMLCase(
      label: "configs/preprocess.yaml: max_runtime_seconds of 2^63-1", target: .stageCompute,
      bytes: Array("compute:\n  max_runtime_seconds: 9223372036854775807\n".utf8),
      expected: ["max_runtime_seconds", "31622400"]),
    YAMLCase(
      label: "goldfish.yaml: a 1 MB key", target: .projectConfig,
      bytes: Array("project_name: demo\n? \(megabyte)\n: 1\n".utf8), expected: ["unknown", "(1048576 characters)"]),
    YAMLCase(
      label: "pipeline.yaml: a 1 MB key", target: .pipeline,
      bytes: Array("? \(megabyte)\n: 1\n".utf8), expected: ["unknown key", "(1048576 characters)"]),
    YAMLCase(
      label: "goldfish.yaml: invalid UTF-8", target: .projectConfig,
      bytes: Array("project_name: caf".utf8) + [0xE9] + Array("\n".utf8), expected: ["UTF-8", "line 3"]),
    YAMLCase(
      label: "pipeline.yaml: a !!python tag", target: .pipeline,
      bytes: Array("description: !!python/name:os.system\n".utf8), expected: ["!!python/name:os.system", "line"]),
    YAMLCase(
      label: "pipeline.yaml: invalid UTF-8", target: .pipeline,
      bytes: Array("description: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8), expected: ["UTF-8", "line"]),
    YAMLCase(
      label: "configs/preprocess.yaml: a !!python tag", target: .stageConfig,
      bytes: Array("seed: !!python/object:random.Random {}\n".utf8), expected: ["!!python/object:random.Random"]),
    YAMLCase(
      label: "configs/preprocess.yaml: invalid UTF-8", target: .stageConfig,
      bytes: Array("note: \"".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8), expected: ["UTF-8"]),
  ]

  @Test("a tag or invalid UTF-8 in a YAML file is refused with its line and the fix", arguments: yamlCases)
  func yamlRefused(_ row: YAMLCase) throws {
    let fixture = try SamplePipeline.project()
    let command: [String]
    switch row.target {
    case .projectConfig:
      try Self.replaceLine(startingWith: "project_name:", by: row.bytes, in: fixture.root + "/goldfish.yaml")
      command = ["config", "validate"]
    case .pipeline:
      try Self.replaceLine(startingWith: "description:", by: row.bytes, in: fixture.slot("w1") + "/pipeline.yaml")
      command = ["pipeline", "validate", "w1"]
    case .stageConfig:
      try Self.append(row.bytes, to: fixture.slot("w1") + "/configs/preprocess.yaml")
      command = ["pipeline", "validate", "w1"]
    case .stageCompute:
      try Self.replaceLine(startingWith: "compute:", by: row.bytes, in: fixture.slot("w1") + "/configs/preprocess.yaml")
      command = ["pipeline", "validate", "w1"]
    }
    let result = Command.goldfish(command, cwd: fixture.root)
    let output = result.stdout + result.stderr
    #expect(result.status != 0, "accepted: \(output)")
    #expect(!output.contains("is valid"), "\(output)")
    for word in row.expected {
      #expect(output.contains(word), "\(output) lacks \(word)")
    }
    #expect(output.utf8.count < 2000, "\(output)")
  }

  static func replaceLine(startingWith prefix: String, by bytes: [UInt8], in path: String) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var data = Data()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix(prefix) {
        data.append(contentsOf: bytes)
      } else {
        data.append(contentsOf: Array((line + "\n").utf8))
      }
    }
    try data.write(to: URL(fileURLWithPath: path))
  }

  static func append(_ bytes: [UInt8], to path: String) throws {
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
    try handle.close()
  }

  @Test("an explicit !!str tag makes a string of what would be a number")
  func stringTagIsHonoured() throws {
    let document = try ConfigDocument(yaml: "project_name: !!str 123\ncount: !!int 7\n")
    #expect(document.value(at: "project_name") == .string("123"))
    #expect(document.value(at: "count") == .int(7))
  }

  // MARK: - Work, not size: a long literal chain is valid, alias bombs are not

  @Test("a 20,000-stage chain validates; alias bombs are still refused")
  func longChainValidates() throws {
    let fixture = try SamplePipeline.project()
    let count = 20_000
    var yaml = "name: chain\nstages:\n"
    yaml += "  - name: s0\n    inputs:\n      raw: {type: dataset, dataset: points, schema: null}\n"
    yaml += "    outputs:\n      out: {type: file, schema: null}\n"
    for index in 1..<count {
      yaml += "  - name: s\(index)\n    inputs:\n      out: {type: file, from_stage: s\(index - 1), schema: null}\n"
      yaml += "    outputs:\n      out: {type: file, schema: null}\n"
    }
    try fixture.write("pipeline.yaml", yaml)
    let modules = fixture.slot("w1") + "/modules"
    for index in 0..<count {
      FileManager.default.createFile(atPath: modules + "/s\(index).py", contents: Data("pass\n".utf8))
    }
    let result = MeasuredCommand.goldfish(["pipeline", "validate", "w1", "--project", fixture.root])
    #expect(result.signal == nil && result.status == 0, "\(result.stdout.suffix(500))\(result.stderr.prefix(2000))")
    #expect(result.stdout.contains("pipeline.yaml in w1 is valid"), "\(result.stdout.suffix(500))")

    // The same count of values made by aliases is work the file does not show: refused.
    var bomb = "x: &x [a, b, c, d, e, f, g, h, i, j]\n"
    bomb += "y: &y [" + Array(repeating: "*x", count: 100).joined(separator: ", ") + "]\n"
    bomb += "stages: [" + Array(repeating: "*y", count: 200).joined(separator: ", ") + "]\n"
    let refused = PipelineLoader.parse(yaml: bomb)
    #expect(refused.definition == nil)
    #expect(refused.issues.first?.message.contains("expands to more than") == true, "\(refused.issues)")
  }

  // MARK: - Wrong types in pipeline.yaml

  struct PipelineCase: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    /// Words the first error must contain; empty: the file may be valid, but must not crash anything.
    var expected: [String]
    var testDescription: String { label }
  }

  static let stage = "  - name: s\n    outputs:\n      o: {type: file, schema: null}\n"
  static let pipelineCases: [PipelineCase] = [
    PipelineCase(label: "an empty file", yaml: "", expected: ["stages"]),
    PipelineCase(label: "only a comment", yaml: "# nothing yet\n", expected: ["stages"]),
    PipelineCase(label: "stages: null", yaml: "stages:\n", expected: ["stages"]),
    PipelineCase(label: "an empty stages list", yaml: "stages: []\n", expected: ["empty"]),
    PipelineCase(label: "a top-level list", yaml: "- name: s\n", expected: ["mapping"]),
    PipelineCase(label: "a top-level string", yaml: "hello\n", expected: ["mapping"]),
    PipelineCase(label: "stages: a number", yaml: "stages: 5\n", expected: ["should be a list"]),
    PipelineCase(label: "stages: a string", yaml: "stages: train\n", expected: ["should be a list"]),
    PipelineCase(label: "stages: a mapping", yaml: "stages: {a: 1}\n", expected: ["should be a list"]),
    PipelineCase(label: "a stage that is a number", yaml: "stages: [1]\n", expected: ["should be a mapping"]),
    PipelineCase(label: "a stage that is a list", yaml: "stages: [[a]]\n", expected: ["should be a mapping"]),
    PipelineCase(label: "a stage that is null", yaml: "stages: [~]\n", expected: ["should be a mapping"]),
    PipelineCase(label: "a stage without a name", yaml: "stages: [{outputs: {}}]\n", expected: ["no name"]),
    PipelineCase(label: "a stage name that is a list", yaml: "stages: [{name: [a]}]\n", expected: ["string"]),
    PipelineCase(label: "a stage name that is a mapping", yaml: "stages: [{name: {a: 1}}]\n", expected: ["string"]),
    PipelineCase(label: "a stage name that is a number", yaml: "stages: [{name: 12}]\n", expected: ["string"]),
    PipelineCase(label: "a stage name that is a boolean", yaml: "stages: [{name: no}]\n", expected: ["string"]),
    PipelineCase(
      label: "inputs: a number", yaml: "stages:\n  - name: s\n    inputs: 5\n", expected: ["inputs should be"]),
    PipelineCase(
      label: "inputs: a string", yaml: "stages:\n  - name: s\n    inputs: raw\n", expected: ["inputs should be"]),
    PipelineCase(
      label: "an input that is a number", yaml: "stages:\n  - name: s\n    inputs: [1]\n",
      expected: ["should be a mapping"]),
    PipelineCase(
      label: "an input that is a list", yaml: "stages:\n  - name: s\n    inputs: {raw: [1]}\n",
      expected: ["should be a mapping"]),
    PipelineCase(
      label: "an input named by a list", yaml: "stages:\n  - name: s\n    inputs: [{name: [a], schema: null}]\n",
      expected: ["string"]),
    PipelineCase(
      label: "outputs: a string", yaml: "stages:\n  - name: s\n    outputs: model\n", expected: ["outputs should be"]),
    PipelineCase(
      label: "outputs: a number", yaml: "stages:\n  - name: s\n    outputs: 3\n", expected: ["outputs should be"]),
    PipelineCase(
      label: "an output that is a list of lists", yaml: "stages:\n  - name: s\n    outputs: [[a]]\n",
      expected: ["should be a mapping"]),
    PipelineCase(
      label: "schema: a number", yaml: "stages:\n  - name: s\n    outputs:\n      o: {type: file, schema: 5}\n",
      expected: ["schema"]),
    PipelineCase(
      label: "type: a list", yaml: "stages:\n  - name: s\n    outputs:\n      o: {type: [file], schema: null}\n",
      expected: ["type"]),
    PipelineCase(
      label: "from_stage: a mapping",
      yaml: "stages:\n  - name: s\n    inputs:\n      i: {type: file, from_stage: {a: 1}, schema: null}\n",
      expected: ["from_stage"]),
    PipelineCase(
      label: "artifact: a string",
      yaml: "stages:\n  - name: s\n    outputs:\n      o: {type: file, artifact: maybe, schema: null}\n",
      expected: ["artifact"]),
    PipelineCase(
      label: "runtime: a list", yaml: "stages:\n  - name: s\n    runtime: [python]\n", expected: ["runtime"]),
    PipelineCase(
      label: "defaults: a list", yaml: "stages:\n  - name: s\n    defaults: [1]\n", expected: ["defaults"]),
    PipelineCase(
      label: "config_schema: a string", yaml: "stages:\n  - name: s\n    config_schema: x\n",
      expected: ["config_schema"]),
    PipelineCase(label: "name: a list", yaml: "name: [a, b]\nstages:\n" + stage, expected: ["name"]),
    PipelineCase(label: "name: a mapping", yaml: "name: {a: 1}\nstages:\n" + stage, expected: ["name"]),
    PipelineCase(label: "description: a list", yaml: "description: [a]\nstages:\n" + stage, expected: ["description"]),
    PipelineCase(label: "a key that is a list", yaml: "? [a]\n: 1\nstages:\n" + stage, expected: ["key"]),
    PipelineCase(label: "a repeated key", yaml: "stages: []\nstages: []\n", expected: ["stages"]),
    PipelineCase(label: "two documents", yaml: "stages: []\n---\nstages: []\n", expected: ["document"]),
    PipelineCase(
      label: "type: 1 MB long",
      yaml: "stages:\n  - name: s\n    outputs:\n      o: {type: \(megabyte), schema: null}\n",
      expected: ["unknown type", "(1048576 characters)"]),
    PipelineCase(
      label: "runtime: 1 MB long", yaml: "stages:\n  - name: s\n    runtime: \(megabyte)\n",
      expected: ["unknown runtime", "(1048576 characters)"]),
    PipelineCase(label: "name: ..", yaml: "name: ..\nstages:\n" + stage, expected: []),
    PipelineCase(label: "name: with spaces", yaml: "name: a b c\nstages:\n" + stage, expected: []),
    PipelineCase(label: "name: unicode", yaml: "name: \"名前 💥\"\nstages:\n" + stage, expected: []),
    PipelineCase(
      label: "name: 300 characters", yaml: "name: " + String(repeating: "n", count: 300) + "\nstages:\n" + stage,
      expected: []),
    PipelineCase(label: "name: a NUL escape", yaml: "name: \"a\\0b\"\nstages:\n" + stage, expected: []),
  ]

  @Test(
    "wrong types, empty pipelines and odd names: a clear error from the parser, never a crash",
    arguments: pipelineCases)
  func pipelineWrongTypes(_ row: PipelineCase) throws {
    let result = PipelineLoader.parse(yaml: row.yaml)
    let errors = result.issues.errors
    if row.expected.isEmpty {
      #expect(errors.allSatisfy { !$0.message.isEmpty })
    } else {
      let first = try #require(errors.first, "no error for \(row.label): \(result.issues)")
      for word in row.expected {
        #expect(first.message.contains(word), "\(first.message) lacks \(word)")
      }
      #expect(first.message.utf8.count < 1000)
    }
  }

  @Test("wrong types through the CLI: `pipeline validate` and `run` refuse them with the parser's error")
  func pipelineWrongTypesThroughCLI() throws {
    let fixture = try SamplePipeline.project()
    for row in Self.pipelineCases where !row.expected.isEmpty {
      try fixture.write("pipeline.yaml", row.yaml)
      let validate = MeasuredCommand.goldfish(["pipeline", "validate", "w1", "--project", fixture.root])
      #expect(validate.signal == nil && validate.status == 1, "\(row.label): \(validate.stdout)\(validate.stderr)")
      #expect(validate.stdout.contains("error: pipeline.yaml"), "\(row.label): \(validate.stdout)\(validate.stderr)")
    }
    for row in Self.pipelineCases.prefix(12) {
      try fixture.write("pipeline.yaml", row.yaml)
      let run = MeasuredCommand.goldfish(["run", "w1", "--reason", goodReason, "--project", fixture.root])
      #expect(run.signal == nil && run.status != 0, "\(row.label): \(run.stdout)\(run.stderr)")
      #expect(run.stderr.hasPrefix("error: "), "\(row.label): \(run.stderr)")
    }
  }
}

extension MCPSession {
  /// The byte size of each answer, by request id (for "the error is small" checks).
  var lineSizes: [Int: Int] {
    var sizes: [Int: Int] = [:]
    for line in rawLines {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let id = object["id"] as? Int
      else { continue }
      sizes[id] = line.utf8.count
    }
    return sizes
  }

  /// Writes `head`, `filler` bytes of "x" and `tail` as one line, in 64 KB pieces, from another
  /// thread (the server reads it while it is written); returns once it is written, or after 300 s.
  func sendLineInBackground(head: String, filler: Int, tail: String) {
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      self.write(Data(head.utf8))
      let piece = Data(repeating: UInt8(ascii: "x"), count: 64 * 1024)
      var left = filler
      while left > 0 {
        let count = min(left, piece.count)
        self.write(count == piece.count ? piece : piece.prefix(count))
        left -= count
      }
      self.write(Data((tail + "\n").utf8))
      done.signal()
    }
    _ = done.wait(timeout: .now() + 300)
  }

  /// The server's peak resident memory so far (VmHWM), in KB; 0 when it cannot be read.
  var peakResidentKilobytes: Int {
    let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }
}
