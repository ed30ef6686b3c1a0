import ArgumentParser
import Foundation
import Host
import PluginKit

/// `goldfish images …`: manage_base_images and get_build_status for a person.
struct ImagesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "images", abstract: "The images stages run in: list, inspect, check, build ahead of a run, status.",
    subcommands: [
      ImagesList.self, ImagesInspect.self, ImagesCheck.self, ImagesBuild.self, ImagesPush.self, ImagesStatus.self,
      ImagesRunBuild.self,
    ])
}

/// The options every images command shares.
struct ImageOptions: ParsableArguments {
  @OptionGroup var projectOptions: ProjectOptions
  @Option(name: .customLong("type"), help: "cpu or gpu.") var imageType: String?
  @Option(help: "A slot (or mounted workspace) whose requirements.txt is part of the project image.")
  var workspace: String?

  func kind() throws -> ImageKind? {
    try imageType.map { text in
      guard let kind = ImageKind(rawValue: text) else {
        throw GoldfishError(.invalidArgument, "--type \"\(text)\" is not an image type", hint: "cpu or gpu")
      }
      return kind
    }
  }

  func open() throws -> (Project, String?) {
    let project = try projectOptions.openProject()
    return (project, try workspace.map { try ImagePlan.slot(of: $0, in: project) })
  }
}

struct ImagesList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The base and project images goldfish.yaml describes, and recent builds.")
  @OptionGroup var options: ImageOptions

  func run() throws {
    let (project, slot) = try options.open()
    try Console.json(try ImageCatalog(project: project).list(slot: slot, kind: try options.kind()))
  }
}

struct ImagesInspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "One image: its tag, recipe, Dockerfile, whether it exists, its last build.")
  @OptionGroup var options: ImageOptions
  @Option(help: "project (default) or base.") var target = "project"

  func run() throws {
    let (project, slot) = try options.open()
    guard let target = ImageTarget(rawValue: target) else {
      throw GoldfishError(.invalidArgument, "--target \"\(target)\" is not a target", hint: "project or base")
    }
    let plan = try ImagePlan(project: project, kind: try options.kind() ?? .cpu, slot: slot)
    try Console.json(try ImageCatalog(project: project).inspect(plan, target: target))
  }
}

struct ImagesCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Whether a run could start: bases present, project images built. Exit 1 if not.")
  @OptionGroup var options: ImageOptions

  func run() throws {
    let (project, slot) = try options.open()
    let result = try ImageCatalog(project: project).check(slot: slot, kind: try options.kind())
    for problem in result["problems"]?.arrayValue ?? [] {
      Console.print("\(problem["message"]?.stringValue ?? "")\n  hint: \(problem["hint"]?.stringValue ?? "")")
    }
    guard result["ready"]?.boolValue == true else { throw ExitCode(1) }
    Console.print("ready")
  }
}

struct ImagesBuild: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "build", abstract: "Build the project image now (it is the one the next run uses).")
  @OptionGroup var options: ImageOptions
  @Flag(help: "Return at once with the build id (goldfish images status ID follows it).") var detach = false
  @Flag(help: "Print the result as JSON.") var json = false

  func run() throws {
    let (project, slot) = try options.open()
    let plan = try ImagePlan(project: project, kind: try options.kind() ?? .cpu, slot: slot)
    let view = try ImageBuilds(project: project).start(plan, wait: !detach)
    if json { try Console.json(view) } else { ImagesStatus.show(view) }
    if view.status == "failed" { throw ExitCode(1) }
  }
}

struct ImagesPush: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "push",
    abstract: "Build (when missing) and push the stage image cloud VMs pull to the backend's artifact_registry.")
  @OptionGroup var options: ImageOptions
  @Flag(help: "Print the result as JSON.") var json = false

  func run() throws {
    let (project, slot) = try options.open()
    let plan = try ImagePlan(project: project, kind: try options.kind() ?? .cpu, slot: slot)
    let view = try ImageBuilds(project: project).push(plan)
    if json { return try Console.json(view) }
    Console.print("\(view.registryTag)" + (view.buildId.map { " (built by \($0))" } ?? ""))
  }
}

struct ImagesStatus: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Where an image build is, with the end of its log.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The build id (build-…).") var buildID: String
  @Flag(help: "Print the result as JSON.") var json = false

  func run() throws {
    let view = try ImageBuilds(project: try projectOptions.openProject()).status(buildID)
    if json { return try Console.json(view) }
    Self.show(view)
  }

  static func show(_ view: ImageBuildView) {
    Console.print("\(view.buildId): \(view.status) \(view.imageTag ?? "")")
    if let error = view.error { Console.print("error: \(error)") }
    if !view.logsTail.isEmpty { Console.print(view.logsTail) }
    if let log = view.logsUri { Console.print("log: \(log)") }
  }
}

/// The detached process a build that does not wait runs in.
struct ImagesRunBuild: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run-build", abstract: "Run a recorded image build to its end (started by images build).",
    shouldDisplay: false)
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The build id.") var buildID: String

  func run() throws {
    try ImageBuilds(project: try projectOptions.openProject()).perform(buildID)
  }
}
