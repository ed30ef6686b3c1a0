import Foundation
import PluginKit
import PluginSupport

/// The image a stage runs in, for backends that declare `needs_image`: goldfish.yaml's
/// `docker.base_images.cpu`, then `docker.extra_packages` (base + cpu) and the workspace's
/// requirements.txt installed with pip, tagged by a hash of all three so an unchanged recipe is
/// built once and then reused.
struct StageImage {
  static let defaultBase = "goldfish/python:3"
  static let buildDeadline: TimeInterval = 60 * 60

  /// What goldfish.yaml adds to the image; part of every containerized stage's fingerprint, since
  /// another image may give other results.
  struct Recipe: Equatable {
    var base: String
    var extraPackages: [String]

    init(_ docker: DockerConfig) {
      base = docker.baseImages.cpu ?? StageImage.defaultBase
      extraPackages = docker.extraPackages.base + docker.extraPackages.cpu
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

  /// Returns the tag to run; builds it first when no image with that tag exists. Build
  /// output is kept in `<workDir>/build.log` and in storage next to the run's logs.
  func prepare(codeDir: String, workDir: String, runID: String) throws(GoldfishError) -> String {
    let recipe = Recipe(project.config.docker)
    let base = recipe.base
    let requirements = FileManager.default.contents(atPath: codeDir + "/requirements.txt")
      .flatMap { Self.isEffectivelyEmpty($0) ? nil : $0 }
    guard requirements != nil || !recipe.extraPackages.isEmpty else {
      // Nothing to install: the base image is the stage image.
      guard try exists(base) else {
        throw GoldfishError(
          .runRefused, "the base image \(base) does not exist in the engine",
          hint: "build or import it (CI: scripts/docker-engine.sh), or set docker.base_images.cpu in goldfish.yaml")
      }
      return base
    }
    let tag =
      "goldfish-stage:" + SHA256Hasher.hex(of: Array(recipe.identity.utf8) + [0] + Array(requirements ?? Data()))
    if try exists(tag) { return tag }

    let context = workDir + "/image-context"
    do {
      try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
      let dockerfile = Self.dockerfile(extraPackages: recipe.extraPackages, requirements: requirements != nil)
      try Data(dockerfile.utf8).write(to: URL(fileURLWithPath: context + "/Dockerfile"))
      try requirements?.write(to: URL(fileURLWithPath: context + "/requirements.txt"))
    } catch {
      throw GoldfishError(
        .ioFailed, "cannot write the image build context in \(context): \(error.localizedDescription)")
    }
    let request = ImageBuildRequest(
      contextDir: context, tag: tag, buildArgs: ["GOLDFISH_BASE_IMAGE": base],
      labels: ["goldfish.project": project.settings.projectName, "goldfish.base": base])
    let buildID: String
    do {
      buildID = try builder.build(request).buildId
    } catch {
      throw ExecutionServices.failure(error, while: "the \(builder.name) image builder could not start building \(tag)")
    }
    let status = try wait(buildID)
    let log = keepLog(buildID, workDir: workDir, runID: runID)
    try? FileManager.default.removeItem(atPath: context)
    guard status.state == .succeeded else {
      let tail = log.split(separator: "\n", omittingEmptySubsequences: true).suffix(15).joined(separator: "\n")
      let parts = [
        recipe.extraPackages.isEmpty ? nil : "docker.extra_packages", requirements == nil ? nil : "requirements.txt",
      ]
      .compactMap { $0 }.joined(separator: " + ")
      throw GoldfishError(
        .runRefused,
        "the image build failed (base \(base) + \(parts)): \(status.message)"
          + (tail.isEmpty ? "" : "; last build log lines:\n\(tail)"),
        hint:
          "the whole build log is \(workDir)/build.log; check \(parts.replacingOccurrences(of: " + ", with: " and "))")
    }
    return tag
  }

  private func exists(_ tag: String) throws(GoldfishError) -> Bool {
    do {
      return try builder.exists(ImageTagRequest(tag: tag)).exists
    } catch {
      throw ExecutionServices.failure(error, while: "the \(builder.name) image builder could not look up \(tag)")
    }
  }

  private func wait(_ buildID: String) throws(GoldfishError) -> ImageBuildStatus {
    let start = Date()
    while true {
      let status: ImageBuildStatus
      do {
        status = try builder.buildStatus(BuildStatusRequest(buildId: buildID))
      } catch {
        throw ExecutionServices.failure(error, while: "the image build \(buildID) cannot be followed")
      }
      if status.state != .running { return status }
      if Date().timeIntervalSince(start) > Self.buildDeadline {
        return ImageBuildStatus(state: .failed, message: "the build took longer than \(Int(Self.buildDeadline)) s")
      }
      usleep(300_000)
    }
  }

  /// Copies the build log next to the run and into storage; returns its text.
  private func keepLog(_ buildID: String, workDir: String, runID: String) -> String {
    var text = ""
    var offset: Int64 = 0
    for _ in 0..<10_000 {
      guard let chunk = try? builder.buildLogs(BuildLogsRequest(buildId: buildID, offset: offset)) else { break }
      text += chunk.text
      if chunk.complete || chunk.nextOffset <= offset { break }
      offset = chunk.nextOffset
    }
    let local = workDir + "/build.log"
    try? Data(text.utf8).write(to: URL(fileURLWithPath: local))
    if let uri = try? services.storageClient.uriFor(key: RunLayout.buildLogKey(runID)) {
      _ = try? services.storageClient.putFile(uri: uri, path: local)
    }
    return text
  }

  /// Only blank lines and comments: nothing for pip to do.
  static func isEffectivelyEmpty(_ data: Data) -> Bool {
    String(decoding: data, as: UTF8.self).split(separator: "\n").allSatisfy {
      let line = $0.trimmingCharacters(in: .whitespaces)
      return line.isEmpty || line.hasPrefix("#")
    }
  }
}
