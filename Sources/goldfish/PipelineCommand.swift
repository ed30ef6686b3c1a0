import ArgumentParser
import Foundation
import Host

struct PipelineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipeline", abstract: "Check pipelines.", subcommands: [PipelineValidate.self])
}

struct PipelineValidate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Validate a slot's pipeline.yaml (or pipelines/NAME.yaml) and its stage configs.")

  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The slot holding the workspace, e.g. w1.") var slot: String
  @Option(help: "A named pipeline (pipelines/NAME.yaml).") var pipeline: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    try project.validateSlot(slot)
    let validator = project.pipelineValidator(directory: project.paths.slot(slot))
    let issues = validator.validate(pipeline: pipeline)
    if json {
      try Console.json(issues.map { IssueLine($0) })
    } else {
      for issue in issues { Console.print("\(issue.severity.rawValue): \(issue)") }
      if issues.errors.isEmpty {
        Console.print("\(PipelineLoader.file(for: pipeline)) in \(slot) is valid (\(issues.warnings.count) warnings)")
      }
    }
    if !issues.errors.isEmpty { throw ExitCode(1) }
  }
}

struct IssueLine: Encodable {
  var severity: String
  var file: String
  var line: Int?
  var stage: String?
  var signal: String?
  var message: String

  init(_ issue: PipelineIssue) {
    severity = issue.severity.rawValue
    file = issue.file
    line = issue.line
    stage = issue.stage
    signal = issue.signal
    message = issue.message
  }
}
