import Foundation
import PluginKit
import PluginSupport

/// Builds stage images ahead of runs through the project's image builder plugin, one row in
/// `image_builds` per build and its log in `<dev dir>/image-builds/<id>/build.log`.
///
/// A plugin knows its builds only inside the process that started them, so a build that does
/// not wait runs in a detached `goldfish images run-build <id>` process: the build goes on and
/// its row and log stay current whatever happens to the caller (an MCP server, a CLI command).
public struct ImageBuilds {
  public static let logTailLines = 20

  let project: Project

  public init(project: Project) {
    self.project = project
  }

  var root: String { project.paths.devDir + "/image-builds" }
  func folder(_ id: String) -> String { root + "/" + id }

  /// The project's image builder: the one its run backend builds with, else `jobs.image_builder`.
  public func builder() throws(GoldfishError) -> ImageBuilderClient {
    let services = try ExecutionServices.open(project)
    if let client = services.builderClient { return client }
    if let name = project.config.jobs.imageBuilder {
      return ImageBuilderClient(try project.plugins.open(.imageBuilder, name))
    }
    throw GoldfishError(
      .serviceUnsupported,
      "the run backend \(services.backend.info.name) runs stages without images, and goldfish.yaml names no "
        + "image builder",
      hint: "images matter for containerized backends: set jobs.backend: docker (or jobs.image_builder)")
  }

  /// Records a build and starts it: in this process when `wait`, else in a detached one.
  public func start(_ plan: ImagePlan, wait: Bool) throws(GoldfishError) -> ImageBuildView {
    guard let tag = plan.tag else {
      throw GoldfishError(
        .invalidArgument,
        "nothing to build: no docker.extra_packages"
          + (plan.slot == nil ? "" : " and no requirements in \(plan.slot ?? "")")
          + ", so runs use the base image \(plan.base) as it is",
        hint: "check it exists with action check; add docker.extra_packages or give a slot with a requirements.txt")
    }
    let builder = try builder()
    let id = try record(
      kind: plan.kind, target: .project, tag: tag, recipeHash: plan.recipeHash,
      reason: "build \(tag) (\(plan.kind.rawValue)) on \(plan.base)",
      details: ["slot": plan.slot.map(JSONValue.string) ?? .null]
    ) { folder throws(GoldfishError) in try plan.writeContext(folder) }
    let folder = folder(id)
    if wait { return try perform(id, builder: builder) }
    do {
      try DriverLauncher.spawnDetached(
        ["images", "run-build", id, "--project", project.location.root], log: folder + "/worker.log",
        what: "the image build \(id)")
    } catch {
      try? project.store.setImageBuildStatus(id, .failed, error: error.message)
      throw error
    }
    return try status(id)
  }

  /// Records a pending build of `tag`: `write` puts its context into the folder it is given and
  /// returns the request the builder gets.
  func record(
    kind: ImageKind, target: ImageTarget, tag: String, recipeHash: String?, reason: String,
    details: [String: JSONValue] = [:], preface: String = "",
    write: (String) throws(GoldfishError) -> ImageBuildRequest
  ) throws(GoldfishError) -> String {
    let id = "build-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    let folder = folder(id)
    let request = try write(folder + "/context")
    do {
      try Data(JSONCoding.encode(request).utf8).write(to: URL(fileURLWithPath: folder + "/request.json"))
      try Data(preface.utf8).write(to: URL(fileURLWithPath: folder + "/build.log"))
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the build request in \(folder): \(error.localizedDescription)")
    }
    let record = ImageBuildRecord(
      id: id, imageType: kind.rawValue, target: target.rawValue, status: .pending, imageTag: tag,
      recipeHash: recipeHash, startedAt: Timestamp.now(), logPath: folder + "/build.log")
    try project.store.insertImageBuild(record)
    var audit = details
    audit["build_id"] = .string(id)
    audit["tag"] = .string(tag)
    try? project.store.audit("image_build", reason: reason, details: .object(audit))
    return id
  }

  /// A build a run needs before it can start: recorded like every build, run in this process.
  func buildNow(
    kind: ImageKind, target: ImageTarget, tag: String, recipeHash: String?, reason: String,
    builder: ImageBuilderClient, preface: String = "", write: (String) throws(GoldfishError) -> ImageBuildRequest
  ) throws(GoldfishError) -> ImageBuildView {
    let id = try record(
      kind: kind, target: target, tag: tag, recipeHash: recipeHash, reason: reason, preface: preface, write: write)
    return try perform(id, builder: builder)
  }

  /// Puts the stage image of `plan` where the backend's machines pull it (`<backend>.artifact_registry`):
  /// built first when the engine lacks it (a recorded build), pushed unless the registry has it.
  public func push(_ plan: ImagePlan) throws(GoldfishError) -> ImagePushView {
    let services = try ExecutionServices.open(project)
    let builder = try builder()
    guard let registry = services.imageRegistry else {
      throw ImageActionRefusal.push(backend: services.backend.info.name, builder: builder.name)
    }
    var recipe = StageImage.Recipe(project.config.docker)
    recipe.base = plan.base
    recipe.extraPackages = plan.extraPackages
    let remote = RemoteStageImage(project: project, builder: builder, registry: registry)
    let remotePlan = try remote.plan(recipe, requirements: plan.requirements)
    var build: ImageBuildView?
    let reference = try remote.prepare(remotePlan) { tag, hash, write throws(GoldfishError) in
      let view = try buildNow(
        kind: plan.kind, target: .project, tag: tag, recipeHash: hash, reason: "build \(tag) to push it to \(registry)",
        builder: builder, write: write)
      build = view
      guard view.status == ImageBuildRecord.Status.completed.rawValue else {
        throw GoldfishError(
          .pluginCallFailed, "the image build \(view.buildId) failed: \(view.error ?? view.status)",
          hint: "get_build_status \(view.buildId) (goldfish images status) shows its log")
      }
    }
    return ImagePushView(
      imageTag: remotePlan.localTag, registryTag: reference, registry: registry, buildId: build?.buildId,
      built: build != nil)
  }

  /// The whole log of a build.
  func log(_ id: String) -> String {
    FileManager.default.contents(atPath: folder(id) + "/build.log").map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// Runs a recorded build to its end: what `run-build` does in its own process.
  @discardableResult
  public func perform(_ id: String, builder given: ImageBuilderClient? = nil) throws(GoldfishError) -> ImageBuildView {
    guard let record = try project.store.imageBuild(id) else {
      throw GoldfishError(.notFound, "no image build \(NameRule.quoted(id))", hint: "goldfish images list shows builds")
    }
    guard record.status == .pending else { return try status(id) }
    let folder = folder(id)
    try? Data("\(getpid())".utf8).write(to: URL(fileURLWithPath: folder + "/worker.pid"))
    let log = folder + "/build.log"
    func fail(_ message: String) throws(GoldfishError) -> ImageBuildView {
      append("goldfish: \(message)\n", to: log)
      try project.store.setImageBuildStatus(id, .failed, error: message)
      try? FileManager.default.removeItem(atPath: folder + "/context")
      return try status(id)
    }
    let request: ImageBuildRequest
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/request.json"))
      request = try JSONDecoder().decode(ImageBuildRequest.self, from: data)
    } catch {
      return try fail("the build request in \(folder) cannot be read: \(error.localizedDescription)")
    }
    try project.store.setImageBuildStatus(id, .building)
    let builder: ImageBuilderClient
    if let given {
      builder = given
    } else {
      do { builder = try self.builder() } catch { return try fail(error.message) }
    }
    let pluginID: String
    do { pluginID = try builder.build(request).buildId } catch {
      return try fail("the \(builder.name) image builder could not start: \(error.error.message)")
    }
    var offset: Int64 = 0
    func drain() {
      for _ in 0..<10_000 {
        guard let chunk = try? builder.buildLogs(BuildLogsRequest(buildId: pluginID, offset: offset)) else { return }
        append(chunk.text, to: log)
        // The offset moves before returning: drain runs again after the build ends, and the
        // last chunk must not be written twice.
        let moved = chunk.nextOffset > offset
        if moved { offset = chunk.nextOffset }
        if chunk.complete || !moved { return }
      }
    }
    let deadline = Date().addingTimeInterval(StageImage.buildDeadline)
    var final: ImageBuildStatus
    while true {
      do { final = try builder.buildStatus(BuildStatusRequest(buildId: pluginID)) } catch {
        drain()
        return try fail("the build cannot be followed: \(error.error.message)")
      }
      drain()
      if final.state != .running { break }
      if Date() > deadline {
        return try fail("the build took longer than \(Int(StageImage.buildDeadline)) s")
      }
      usleep(300_000)
    }
    drain()
    try? FileManager.default.removeItem(atPath: folder + "/context")
    switch final.state {
    case .succeeded:
      try project.store.setImageBuildStatus(id, .completed)
    case .canceled:
      try project.store.setImageBuildStatus(id, .cancelled, error: final.message.isEmpty ? "canceled" : final.message)
    case .failed, .running:
      try project.store.setImageBuildStatus(
        id, .failed, error: final.message.isEmpty ? "the build failed" : final.message)
    }
    return try status(id)
  }

  /// A build's row and the end of its log. A build whose worker died unfinished is marked failed.
  public func status(_ id: String) throws(GoldfishError) -> ImageBuildView {
    guard var record = try project.store.imageBuild(id) else {
      throw GoldfishError(.notFound, "no image build \(NameRule.quoted(id))", hint: "goldfish images list shows builds")
    }
    if !record.status.isFinished, workerDied(id, startedAt: record.startedAt) {
      try project.store.setImageBuildStatus(
        id, .failed, error: "the build process stopped before the build ended (see \(folder(id))/worker.log)")
      record = try project.store.imageBuild(id) ?? record
    }
    return ImageBuildView(record, logsTail: tail(record.logPath))
  }

  public func recent(limit: Int) throws(GoldfishError) -> [ImageBuildView] {
    try project.store.imageBuilds(limit: limit).map { ImageBuildView($0, logsTail: "") }
  }

  /// The worker's process is gone, or it never started (no pid a minute after the build was recorded).
  private func workerDied(_ id: String, startedAt: String) -> Bool {
    guard let text = try? String(contentsOfFile: folder(id) + "/worker.pid", encoding: .utf8),
      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      guard let started = LogLine.parseTimestamp(startedAt) else { return false }
      return Date().timeIntervalSince(started) > 60
    }
    if pid == getpid() { return false }
    return kill(pid, 0) != 0 && errno == ESRCH
  }

  private func tail(_ path: String?) -> String {
    guard let path, let data = FileManager.default.contents(atPath: path) else { return "" }
    let lines = String(decoding: data.suffix(64 << 10), as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: true)
    return lines.suffix(Self.logTailLines).joined(separator: "\n")
  }

  private func append(_ text: String, to path: String) {
    guard !text.isEmpty, let handle = FileHandle(forWritingAtPath: path) else { return }
    defer { try? handle.close() }
    _ = try? handle.seekToEnd()
    try? handle.write(contentsOf: Data(text.utf8))
  }
}
