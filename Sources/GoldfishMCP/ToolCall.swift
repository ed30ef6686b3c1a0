import Foundation
import Host
import MCP

/// One `tools/call`: its checked arguments, the project it acts on, and a way to report progress.
struct ToolCall: Sendable {
  let tool: String
  let arguments: [String: Value]
  let context: ServerContext
  /// Sends `notifications/progress` when the client asked for it; a no-op otherwise.
  let progress: @Sendable (_ done: Double, _ total: Double?, _ message: String) async -> Void

  /// Checks the arguments against the tool's parameters: unknown names, missing required ones,
  /// wrong types and integers out of their range are `invalid_argument` errors that list what the
  /// tool accepts. Integers come back as `.int` within their declared range, so no handler ever
  /// converts a double or does arithmetic on a number nobody bounded.
  static func checked(_ arguments: [String: Value], for tool: MCPTool) throws(GoldfishError) -> [String: Value] {
    let accepted = tool.parameters.map(\.name)
    let usage = accepted.isEmpty ? "it takes no arguments" : "it takes: " + accepted.joined(separator: ", ")
    for name in arguments.keys.sorted() where !accepted.contains(name) {
      throw GoldfishError(
        .invalidArgument, "\(tool.name) has no parameter \"\(ValueQuote.short(name))\"", hint: usage)
    }
    var checked = arguments.filter { !$0.value.isNull }
    for parameter in tool.parameters {
      guard let value = arguments[parameter.name], !value.isNull else {
        if parameter.required {
          throw GoldfishError(
            .invalidArgument, "\(tool.name) needs \"\(parameter.name)\": \(parameter.description)", hint: usage)
        }
        continue
      }
      if parameter.kind == .integer {
        checked[parameter.name] = .int(try integer(value, parameter, of: tool))
        continue
      }
      guard matches(value, parameter) else {
        throw GoldfishError(
          .invalidArgument, "\"\(parameter.name)\" of \(tool.name) must be \(describe(parameter.kind))",
          hint: parameter.description)
      }
      if let choices = parameter.choices, let text = value.stringValue, !choices.contains(text) {
        throw GoldfishError(
          .invalidArgument, "\"\(parameter.name)\" of \(tool.name) cannot be \"\(ValueQuote.short(text))\"",
          hint: "one of: " + choices.joined(separator: ", "))
      }
    }
    return checked
  }

  /// An integer argument as an Int inside the parameter's range. JSON has one number type: a
  /// client may send 5.0 for 5, and a number past Int64 arrives as a double, so both are read
  /// exactly or refused, never converted with a trap.
  private static func integer(
    _ value: Value, _ parameter: ToolParameter, of tool: MCPTool
  ) throws(GoldfishError) -> Int {
    // Declared through `.integer(…, minimum:, maximum:)`; a parameter built without a range still
    // cannot trap.
    let bounds = parameter.range ?? Int.min...Int.max
    let range = "an integer from \(bounds.lowerBound) to \(bounds.upperBound)"
    let number: Int?
    let given: String
    switch value {
    case .int(let integer):
      number = integer
      given = String(integer)
    case .double(let double):
      number = Int(exactly: double)
      given = "\(double)"
    case .string(let text):
      number = nil
      given = "the string \"\(ValueQuote.short(text))\""
    default:
      number = nil
      given = "a value of another type"
    }
    guard let number, bounds.contains(number) else {
      throw GoldfishError(
        .invalidArgument, "\"\(parameter.name)\" of \(tool.name) must be \(range), not \(given)",
        hint: parameter.description,
        detail: ["minimum": .int(Int64(bounds.lowerBound)), "maximum": .int(Int64(bounds.upperBound))])
    }
    return number
  }

  private static func matches(_ value: Value, _ parameter: ToolParameter) -> Bool {
    switch (parameter.kind, value) {
    case (.string, .string), (.boolean, .bool), (.number, .int), (.number, .double),
      (.object, .object), (.stringOrObject, .string), (.stringOrObject, .object),
      (.stringOrBoolean, .string), (.stringOrBoolean, .bool):
      return true
    case (.stringArray, .array(let items)): return items.allSatisfy { $0.stringValue != nil }
    default: return false
    }
  }

  private static func describe(_ kind: ToolParameter.Kind) -> String {
    switch kind {
    case .string: "a string"
    case .integer: "an integer"
    case .number: "a number"
    case .boolean: "true or false"
    case .stringArray: "a list of strings"
    case .object: "an object"
    case .stringOrObject: "a string or an object"
    case .stringOrBoolean: "true, false or a string"
    }
  }

  // Typed reads; `checked` already enforced the types.
  func string(_ name: String) -> String? { arguments[name]?.stringValue }
  /// An integer parameter: `checked` made it an `.int` within the parameter's declared range.
  func int(_ name: String) -> Int? { arguments[name]?.intValue }
  func double(_ name: String) -> Double? {
    switch arguments[name] {
    case .int(let number)?: Double(number)
    case .double(let number)?: number
    default: nil
    }
  }
  func bool(_ name: String) -> Bool? { arguments[name]?.boolValue }
  func strings(_ name: String) -> [String]? { arguments[name]?.arrayValue?.compactMap(\.stringValue) }
  func object(_ name: String) -> [String: Value]? { arguments[name]?.objectValue }

  /// A required string (the schema already made the client send it).
  func required(_ name: String) throws(GoldfishError) -> String {
    guard let text = string(name) else {
      throw GoldfishError(.invalidArgument, "\(tool) needs \"\(name)\"")
    }
    return text
  }

  /// Runs blocking Host work (SQLite, git, plugin calls) off the server's loop, against a
  /// project this call has to itself. Only the opened project is kept between calls (while its
  /// goldfish.yaml, plugins and database file are unchanged): runs, workspaces and versions are
  /// read afresh, so two servers and the CLI on one project always see the same truth.
  func withProject<T: Sendable>(_ body: @escaping @Sendable (Project) throws -> T) async throws -> T {
    let context = self.context
    return try await Blocking.run { try context.withProject(body) }
  }

  /// `withProject` with the run backend and storage its project opened on an earlier call
  /// (ProjectPool keeps them with the project).
  func withServices<T: Sendable>(_ body: @escaping @Sendable (ExecutionServices) throws -> T) async throws -> T {
    let context = self.context
    return try await Blocking.run {
      try context.withProject { project in try body(try context.projects.services(of: project)) }
    }
  }
}

/// Runs synchronous work on a Dispatch thread, never on Swift's cooperative pool (two cores
/// here: a blocked pool thread would stall every other request).
enum Blocking {
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(with: Result { try body() })
      }
    }
  }
}

/// What every tool call shares: how to find the project. Resolved on each call, so a project
/// created after the server started is found.
struct ServerContext: Sendable {
  var explicitProject: String?
  var startDirectory: String
  var projects = ProjectPool()
  var adopted = AdoptedProject()

  func location() throws(GoldfishError) -> ProjectLocation {
    var found = try ProjectLocation.find(explicit: explicitProject, start: startDirectory)
    if found == nil { found = try adoptedLocation() }
    guard let location = found else {
      throw GoldfishError(
        .configNotFound, "\(startDirectory) is not inside a Goldfish project",
        hint: "start the server with `goldfish serve --project PATH`, or create one with `goldfish init NAME`")
    }
    return location
  }

  /// The project initialize_project created, when the server has none of its own.
  func adoptedLocation() throws(GoldfishError) -> ProjectLocation? {
    guard explicitProject == nil, let path = adopted.path else { return nil }
    return try ProjectLocation.find(explicit: path)
  }

  /// A project opened for the caller alone (never shared with a concurrent call).
  func openProject() throws(GoldfishError) -> Project {
    try Project.open(try location())
  }

  /// `body` with a project from the pool, blocking; the project goes back afterwards.
  func withProject<T>(_ body: (Project) throws -> T) throws -> T {
    try projects.with(try location(), body)
  }
}
