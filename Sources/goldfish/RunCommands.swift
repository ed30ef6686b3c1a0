import ArgumentParser
import Foundation
import Host
import PluginKit

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Version a workspace and run stages of its pipeline.")

  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A slot (w1) or a mounted workspace.") var target: String
  @Argument(help: "Stages to run (default: the whole pipeline).") var stages: [String] = []
  @Option(help: "A named pipeline (pipelines/NAME.yaml).") var pipeline: String?
  @Option(name: .customLong("config"), help: "KEY=VALUE set in each stage's config (repeatable).")
  var overrides: [String] = []
  @Option(help: "Why you run it (recorded with the run).") var reason: String
  @Flag(help: "Wait for the run to end, showing progress.") var wait = false
  @Flag(help: "Run every stage even when an unchanged earlier run could be reused.") var rerun = false
  @Flag(help: "Print JSON for machines.") var json = false
  @Flag(
    name: .customLong("skip-review"),
    help: "Skip the pre-run reviewer command (pre_run_review.command); the preflight still runs.")
  var skipReview = false
  @Option(
    name: .customLong("results-spec"),
    help:
      "What the run is judged by, as JSON or @FILE: {primary_metric, direction, min_value, goal_value, dataset_split, tolerance, context}."
  )
  var resultsSpec: String?
  @Option(name: .customLong("experiment-group"), help: "A label grouping related runs.") var experimentGroup: String?
  @Option(
    name: .customLong("input"),
    help:
      "STAGE.INPUT=REF: read that input from REF instead (a stage-… run id, stage-…:SIGNAL, a source name, a path or URI; repeatable)."
  )
  var inputs: [String] = []

  func run() throws {
    let project = try projectOptions.openProject()
    let services = try ExecutionServices.open(project)
    var parsed: [String: JSONValue] = [:]
    for text in overrides {
      let (key, value) = try RunRequest.parseOverride(text)
      parsed[key] = value
    }
    let spec = try resultsSpec.map { text throws(GoldfishError) in
      try ResultsSpec(
        try RunRequest.parseJSONArgument(text, option: "--results-spec"),
        minimumTextLength: project.settings.minReasonLength)
    }
    let enforce = project.config.audit.enforceOnCLI
    if !enforce { warnAboutUnfinalizedRuns(project) }
    let started = try Executor(services: services).start(
      RunRequest(
        target: target, stages: stages, pipeline: pipeline, configOverrides: parsed, reason: reason, rerun: rerun,
        resultsSpec: spec, experimentGroup: experimentGroup,
        inputsOverride: inputs.isEmpty ? JSONValue?.none : try RunRequest.parseInputOverrides(inputs),
        enforceDiscipline: enforce, skipReview: skipReview))
    guard wait else {
      try DriverLauncher.spawn(project: project, pipelineRunID: started.pipelineRunID)
      if json { return try Console.json(RunStartedView(started, experimentGroup: experimentGroup)) }
      Console.print("Started \(started.pipelineRunID) on \(started.workspace) \(started.version)")
      for (stage, id) in started.stageRuns.sorted(by: { $0.key < $1.key }) { Console.print("  \(stage): \(id)") }
      Console.print("Follow it: goldfish runs, goldfish logs RUN --follow")
      return
    }
    if !json { Console.print("Running \(started.pipelineRunID) on \(started.workspace) \(started.version)") }
    var warned: Set<String> = []
    let final = try PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive { run in
      if !json { Console.print("  \(run.stage) \(run.id): \(run.state.rawValue)\(run.error.map { " — \($0)" } ?? "")") }
      if !json, let reason = run.unsandboxed, warned.insert(run.id).inserted {
        Console.print("  WARNING: \(run.stage) runs WITHOUT a sandbox: \(reason)")
      }
    }
    if json {
      try Console.json(
        RunStatusView(pipelineRun: final, stageRuns: try project.store.stageRuns(ofPipelineRun: final.id)))
    } else {
      Console.print("\(final.id) \(final.status)\(final.error.map { ": \($0)" } ?? "")")
    }
    if final.status != "completed" { throw ExitCode(1) }
  }

  /// A person running a quick check is not stopped by runs nobody finalized, only told (MCP `run`
  /// refuses; `audit.enforce_on_cli: true` makes this command refuse too).
  private func warnAboutUnfinalizedRuns(_ project: Project) {
    guard project.config.audit.finalizationGate else { return }
    let workspace = (try? project.store.mount(slot: target))?.workspace ?? target
    guard let pending = try? RunDiscipline(project: project).pending(workspace: workspace), pending.total > 0 else {
      return
    }
    Console.error(
      "warning: \(workspace) has \(pending.total) run\(pending.total == 1 ? "" : "s") not finalized: \(pending.summary). "
        + "Record each one's result with goldfish finalize (MCP: finalize_run); an agent's run is refused until then.")
  }
}

struct DriveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drive", abstract: "Drive a pipeline run to its end (started by goldfish run).", shouldDisplay: false)
  @OptionGroup var projectOptions: ProjectOptions
  @Argument var pipelineRunID: String

  func run() throws {
    DriverCrashNote.install()
    let project = try projectOptions.openProject()
    do {
      _ = try PipelineDriver(services: try ExecutionServices.open(project), pipelineRunID: pipelineRunID).drive()
    } catch let error as GoldfishError {
      // A driver that cannot even start (plugins that do not open) says why for the one that
      // gives the run up after DriverLauncher.maxStarts.
      if error.code != .runRefused { try? project.store.recordDriverError(pipelineRunID, error.message) }
      throw error
    }
  }
}

struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recent stage runs.")
  @OptionGroup var projectOptions: ProjectOptions
  @Option(help: "Only this workspace.") var workspace: String?
  @Option(help: "Only this stage.") var stage: String?
  @Option(help: "How many.") var limit = 20
  @Flag(help: "Print only the run ids, newest first.") var ids = false
  @Flag(help: "Show each run's latest metrics.") var metrics = false
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    DriverLauncher.resumeInterrupted(project: project)
    WarmPoolReaperSchedule.reapInPassing(project)
    let runs = try project.store.stageRuns(workspace: workspace, stage: stage, limit: limit)
    if json { return try Console.json(runs.map(StageRunView.init)) }
    if ids { return runs.forEach { Console.print($0.id) } }
    if runs.isEmpty { Console.print("No runs yet.") }
    for run in runs {
      Console.print(
        "\(run.id)  \(run.stage)  \(run.workspace)@v\(run.version)  \(run.state.rawValue)  \(run.createdAt)")
      guard metrics else { continue }
      var latest: [String: Double] = [:]
      for metric in try project.store.metrics(of: run.id) { latest[metric.name] = metric.value }
      for (name, value) in latest.sorted(by: { $0.key < $1.key }) { Console.print("    \(name) = \(value)") }
    }
  }
}

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show one run: dashboard (live metrics), state history, inputs, outputs, and the parts --include names.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String
  @Option(
    help: ArgumentHelp(
      "Parts to show (repeat or comma-separate): dashboard, metadata, manifest, provenance, svs, thoughts, attempt.",
      discussion: "Default: dashboard, metadata, thoughts (as MCP inspect_run)."))
  var include: [String] = []

  func run() throws {
    let project = try projectOptions.openProject()
    let parts = include.flatMap { $0.split(separator: ",").map(String.init) }
    try Console.json(try RunQueries(services: try ExecutionServices.open(project)).inspect(runID, include: parts))
  }
}

struct LogsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a run's output.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String
  @Option(help: "Only the last N lines.") var tail: Int?
  @Flag(help: "Keep printing until the run ends.") var follow = false

  func run() throws {
    let project = try projectOptions.openProject()
    let queries = RunQueries(services: try ExecutionServices.open(project))
    if let tail {
      StdoutGuard.write(try queries.logs(runID, tail: tail).text)
      return
    }
    var offset: Int64 = 0
    while true {
      let chunk = try queries.logs(runID, offset: offset)
      StdoutGuard.write(chunk.text)
      offset = chunk.nextOffset
      if chunk.complete || !follow { break }
      if chunk.text.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
    }
  }
}

struct CancelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cancel", abstract: "Cancel a stage run or a whole pipeline run.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String
  @Option(help: "Why (recorded in the journal).") var reason: String

  func run() throws {
    let project = try projectOptions.openProject()
    let canceled = try Executor(services: try ExecutionServices.open(project)).cancel(runID, reason: reason)
    Console.print(
      canceled.isEmpty ? "Nothing to cancel: \(runID) already ended." : "Canceled \(canceled.joined(separator: ", "))")
  }
}

struct StopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stop",
    abstract: "Ask a running stage to stop cleanly (its should_stop() turns true); it ends terminated, cause ai_stop.",
    discussion:
      "Unlike cancel, the stage saves what it has and exits by itself. A stage that never calls should_stop() runs on.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A running stage run id (stage-…).") var runID: String
  @Option(help: "Why (recorded as the run's stop_reason).") var reason: String

  func run() throws {
    let project = try projectOptions.openProject()
    let (requested, _) = try StopRequest.ask(
      runID, reason: reason, services: try ExecutionServices.open(project), by: "user")
    Console.print(requested ? "Asked \(runID) to stop" : "\(runID) was already asked to stop")
  }
}

struct LineageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lineage", abstract: "Where a run's inputs came from and what it produced.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String

  func run() throws {
    let project = try projectOptions.openProject()
    try Console.json(try RunQueries(services: try ExecutionServices.open(project)).lineage(runID))
  }
}
