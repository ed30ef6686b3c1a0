import Foundation
import PluginKit
import PluginSupport

/// The image a stage runs in, for backends that declare `needs_image` or name an
/// `artifact_registry` (gce): goldfish.yaml's `docker.base_images.cpu`, then
/// `docker.extra_packages` (base + cpu) and the workspace's requirements.txt installed with pip,
/// tagged by a hash of all three so an unchanged recipe is built once and then reused. Images for
/// a registry also carry goldfish.io (RemoteStageImage).
struct StageImage {
  static let defaultBase = "goldfish/python:3"
  static let buildDeadline: TimeInterval = 60 * 60

  /// What goldfish.yaml adds to the image; part of every containerized stage's fingerprint, since
  /// another image may give other results.
  struct Recipe: Equatable {
    var base: String
    var extraPackages: [String]
    var kind: ImageKind = .cpu

    init(_ docker: DockerConfig) {
      base = docker.baseImages.cpu ?? StageImage.defaultBase
      extraPackages = docker.extraPackages.base + docker.extraPackages.cpu
    }

    /// The recipe of a stage run with this compute profile: a GPU profile gets the gpu kind
    /// (`docker.base_images.gpu`, else the cpu base; `docker.extra_packages.gpu`), and a profile's
    /// own `base_image` wins over both.
    init(_ docker: DockerConfig, profile: ResourceProfileDefinition?) {
      self.init(docker)
      if let profile, profile.gpu.count > 0, profile.gpu.type != "none" {
        kind = .gpu
        base = docker.baseImages.gpu ?? base
        extraPackages = docker.extraPackages.base + docker.extraPackages.gpu
      }
      if let own = profile?.baseImage, !own.isEmpty { base = own }
    }

    var identity: String {
      "base:\(base)\npackages:\((try? JSONCoding.encode(JSONValue.list(extraPackages))) ?? "")\n"
    }
  }

  /// pip runs from an exec-form RUN (a JSON array): every extra package argument reaches pip as one
  /// argument, whatever characters it holds, and no shell ever reads it.
  static func dockerfile(extraPackages: [String], requirements: Bool) -> String {
    let pip = [
      "env", "PIP_BREAK_SYSTEM_PACKAGES=1", "python3", "-m", "pip", "install", "--no-cache-dir",
      "--disable-pip-version-check",
    ]
    func run(_ argv: [String]) -> String {
      "RUN " + ((try? JSONCoding.encode(JSONValue.list(argv))) ?? "[]") + "\n"
    }
    var text = "ARG GOLDFISH_BASE_IMAGE\nFROM ${GOLDFISH_BASE_IMAGE}\n"
    if !extraPackages.isEmpty { text += run(pip + extraPackages) }
    if requirements {
      text += "COPY requirements.txt /tmp/goldfish-requirements.txt\n"
      text += run(pip + ["-r", "/tmp/goldfish-requirements.txt"])
    }
    return text
  }

  let services: ExecutionServices
  let builder: ImageBuilderClient

  var project: Project { services.project }

  /// Returns the image to run; builds it first when no image with that tag exists (and the
  /// default base image when the engine lacks it). A backend whose machines pull from a
  /// registry (`services.imageRegistry`) gets the registry's reference, pushed first. Every
  /// build is a row of `image_builds`; its output is kept in `<workDir>/build.log` and in
  /// storage next to the run's logs.
  func prepare(codeDir: String, workDir: String, runID: String, profile: String?) throws(GoldfishError) -> String {
    let recipe = Recipe(project.config.docker, profile: project.config.profiles.definitions[profile ?? "cpu-small"])
    let base = recipe.base
    let requirements = FileManager.default.contents(atPath: codeDir + "/requirements.txt")
      .flatMap { Self.isEffectivelyEmpty($0) ? nil : $0 }
    let build = {
      (tag: String, hash: String, write: (String) throws(GoldfishError) -> ImageBuildRequest) throws(GoldfishError) in
      try self.build(
        tag, hash: hash, recipe: recipe, requirements: requirements != nil, workDir: workDir, runID: runID,
        write: write)
    }
    if let registry = services.imageRegistry {
      let remote = RemoteStageImage(project: project, builder: builder, registry: registry)
      return try remote.prepare(try remote.plan(recipe, requirements: requirements), build: build)
    }
    // Goldfish's own base is built when the engine lacks it; its log goes with the run's.
    let ensureBase = { () throws(GoldfishError) in
      if let made = try BaseImage(project: project, builder: builder).ensure(base) {
        keepLog(ImageBuilds(project: project).log(made.buildId), workDir: workDir, runID: runID)
      }
    }
    // Nothing to install: the base image is the stage image.
    guard requirements != nil || !recipe.extraPackages.isEmpty else {
      try ensureBase()
      return base
    }
    let hash = SHA256Hasher.hex(of: Array(recipe.identity.utf8) + [0] + Array(requirements ?? Data()))
    let tag = "goldfish-stage:" + hash
    if try Self.exists(tag, builder: builder) { return tag }
    try ensureBase()
    try build(tag, hash) { folder throws(GoldfishError) in
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let dockerfile = Self.dockerfile(extraPackages: recipe.extraPackages, requirements: requirements != nil)
        try Data(dockerfile.utf8).write(to: URL(fileURLWithPath: folder + "/Dockerfile"))
        try requirements?.write(to: URL(fileURLWithPath: folder + "/requirements.txt"))
      } catch {
        throw GoldfishError(
          .ioFailed, "cannot write the image build context in \(folder): \(error.localizedDescription)")
      }
      return ImageBuildRequest(
        contextDir: folder, tag: tag, buildArgs: ["GOLDFISH_BASE_IMAGE": base],
        labels: ["goldfish.project": project.settings.projectName, "goldfish.base": base])
    }
    return tag
  }

  /// One recorded build of the stage image for a run; a failed build refuses the run with the
  /// end of its log.
  private func build(
    _ tag: String, hash: String, recipe: Recipe, requirements: Bool, workDir: String, runID: String,
    write: (String) throws(GoldfishError) -> ImageBuildRequest
  ) throws(GoldfishError) {
    let builds = ImageBuilds(project: project)
    let view = try builds.buildNow(
      kind: recipe.kind, target: .project, tag: tag, recipeHash: hash, reason: "build the stage image of run \(runID)",
      builder: builder, write: write)
    let log = builds.log(view.buildId)
    keepLog(log, workDir: workDir, runID: runID)
    guard view.status == ImageBuildRecord.Status.completed.rawValue else {
      let tail = log.split(separator: "\n", omittingEmptySubsequences: true).suffix(15).joined(separator: "\n")
      let parts = [
        recipe.extraPackages.isEmpty ? nil : "docker.extra_packages", requirements ? "requirements.txt" : nil,
      ]
      .compactMap { $0 }.joined(separator: " + ")
      throw GoldfishError(
        .runRefused,
        "the image build failed (base \(recipe.base)\(parts.isEmpty ? "" : " + " + parts)): \(view.error ?? view.status)"
          + (tail.isEmpty ? "" : "; last build log lines:\n\(tail)"),
        hint: "the whole build log is \(workDir)/build.log (build \(view.buildId))"
          + (parts.isEmpty ? "" : "; check \(parts.replacingOccurrences(of: " + ", with: " and "))"))
    }
  }

  static func exists(_ tag: String, builder: ImageBuilderClient) throws(GoldfishError) -> Bool {
    do {
      return try builder.exists(ImageTagRequest(tag: tag)).exists
    } catch {
      throw ExecutionServices.failure(error, while: "the \(builder.name) image builder could not look up \(tag)")
    }
  }

  /// Adds a build log to the run's `build.log` and copies it into storage.
  private func keepLog(_ text: String, workDir: String, runID: String) {
    let local = workDir + "/build.log"
    try? FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: local) { FileManager.default.createFile(atPath: local, contents: nil) }
    if let handle = FileHandle(forWritingAtPath: local) {
      _ = try? handle.seekToEnd()
      try? handle.write(contentsOf: Data(text.utf8))
      try? handle.close()
    }
    if let uri = try? services.storageClient.uriFor(key: RunLayout.buildLogKey(runID)) {
      _ = try? services.storageClient.putFile(uri: uri, path: local)
    }
  }

  /// Only blank lines and comments: nothing for pip to do.
  static func isEffectivelyEmpty(_ data: Data) -> Bool {
    String(decoding: data, as: UTF8.self).split(separator: "\n").allSatisfy {
      let line = $0.trimmingCharacters(in: .whitespaces)
      return line.isEmpty || line.hasPrefix("#")
    }
  }
}
