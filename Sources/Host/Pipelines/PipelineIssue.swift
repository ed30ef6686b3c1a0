import PluginKit

extension GoldfishError.Code {
  public static let pipelineInvalid = Self("pipeline_invalid")
  public static let stageConfigInvalid = Self("stage_config_invalid")
}

/// One problem found in a pipeline, its stage configs or its modules.
public struct PipelineIssue: Sendable, Equatable, CustomStringConvertible {
  public enum Severity: String, Sendable, Equatable {
    case error, warning
  }

  public var severity: Severity
  public var stage: String?
  public var signal: String?
  public var line: Int?
  /// Relative to the workspace: "pipeline.yaml", "configs/train.yaml", "modules/train.py".
  public var file: String
  public var message: String

  public init(
    _ severity: Severity, file: String, line: Int? = nil, stage: String? = nil, signal: String? = nil,
    _ message: String
  ) {
    self.severity = severity
    self.stage = stage
    self.signal = signal
    self.line = line
    self.file = file
    self.message = message
  }

  /// "pipeline.yaml:12: stage train, signal features: …"
  public var description: String {
    var text = file
    if let line { text += ":\(line)" }
    text += ": "
    var subject: [String] = []
    if let stage { subject.append("stage \(stage)") }
    if let signal { subject.append("signal \(signal)") }
    if !subject.isEmpty { text += subject.joined(separator: ", ") + ": " }
    if severity == .warning { text += "warning: " }
    return text + message
  }

  public var json: JSONValue {
    [
      "severity": .string(severity.rawValue), "file": .string(file),
      "line": line.map { .int(Int64($0)) } ?? .null, "stage": stage.map { .string($0) } ?? .null,
      "signal": signal.map { .string($0) } ?? .null, "message": .string(message),
    ]
  }
}

extension Array where Element == PipelineIssue {
  public var errors: [PipelineIssue] { filter { $0.severity == .error } }
  public var warnings: [PipelineIssue] { filter { $0.severity == .warning } }

  /// nil when there is no error; otherwise one `pipeline_invalid` error whose message is the first
  /// error and whose `detail["issues"]` lists every issue, warnings included.
  public func asError(_ code: GoldfishError.Code = .pipelineInvalid) -> GoldfishError? {
    guard let first = errors.first else { return nil }
    let more = errors.count > 1 ? " (and \(errors.count - 1) more error\(errors.count == 2 ? "" : "s"))" : ""
    return GoldfishError(
      code, first.description + more,
      hint: "run `goldfish pipeline validate` to see every issue",
      detail: ["issues": .array(map(\.json)), "error_count": .int(Int64(errors.count))])
  }
}
