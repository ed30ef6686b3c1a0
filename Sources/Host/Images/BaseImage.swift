import Foundation
import PluginKit
import PluginSupport

/// Goldfish's default base image (`goldfish/python:3`), built on demand when the engine lacks it:
/// a Debian Python image (`docker.base_from`, by default `python:3.12-slim-bookworm`) with numpy,
/// which goldfish.io reads and writes npy signals with. A base named in goldfish.yaml
/// (`docker.base_images`) is used as given, unless `docker.base_from` says what to build it from.
public struct BaseImage {
  public static let defaultFrom = "python:3.12-slim-bookworm"

  /// Fixed text, no user input reaches a shell: numpy is installed only when the source lacks it,
  /// so a source that has it builds without any network.
  static let dockerfile = """
    ARG GOLDFISH_BASE_FROM
    FROM ${GOLDFISH_BASE_FROM}
    ENV PYTHONUNBUFFERED=1
    RUN python3 -c 'import numpy' 2>/dev/null || env PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install \
    --no-cache-dir --disable-pip-version-check numpy
    LABEL goldfish.recipe=base

    """

  let project: Project
  let builder: ImageBuilderClient

  public init(project: Project, builder: ImageBuilderClient) {
    self.project = project
    self.builder = builder
  }

  /// What `base` is built from when it is missing; nil when Goldfish must not build it.
  public static func source(of base: String, docker: DockerConfig) -> String? {
    docker.baseFrom ?? (base == StageImage.defaultBase ? defaultFrom : nil)
  }

  /// Makes sure `base` is in the engine, building it from its recipe when it is not (a recorded
  /// build); returns the build when one ran. A missing base Goldfish may not build refuses.
  @discardableResult
  func ensure(_ base: String, kind: ImageKind = .cpu) throws(GoldfishError) -> ImageBuildView? {
    if try StageImage.exists(base, builder: builder) { return nil }
    guard let from = Self.source(of: base, docker: project.config.docker) else {
      throw GoldfishError(
        .runRefused, "the base image \(base) does not exist in the engine",
        hint: "build or import it, or set docker.base_from to an image Goldfish builds it from "
          + "(leave docker.base_images.\(kind.rawValue) out to use Goldfish's own \(StageImage.defaultBase))")
    }
    let view = try build(base, from: from, kind: kind)
    guard view.status == ImageBuildRecord.Status.completed.rawValue else {
      throw GoldfishError(
        .runRefused,
        "the base image \(base) is not in the engine and building it from \(from) failed: "
          + "\(view.error ?? view.status)" + (view.logsTail.isEmpty ? "" : "; last build log lines:\n\(view.logsTail)"),
        hint: "make \(from) available to the engine (docker pull \(from)), set docker.base_from to an image it has, "
          + "or docker.base_images.\(kind.rawValue) to an existing image; the whole log is \(view.logsUri ?? "")")
    }
    return view
  }

  /// Builds `base` from `from` (a recorded build, target base), whatever is in the engine.
  public func build(_ base: String, from: String, kind: ImageKind = .cpu) throws(GoldfishError) -> ImageBuildView {
    let note = "goldfish: \(base) is not in the engine: building it from \(from) (docker.base_from; docs/gce.md)\n"
    return try ImageBuilds(project: project).buildNow(
      kind: kind, target: .base, tag: base, recipeHash: SHA256Hasher.hex(of: Array((Self.dockerfile + from).utf8)),
      reason: "build the base image \(base) from \(from)", builder: builder, preface: note
    ) { folder throws(GoldfishError) in
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(Self.dockerfile.utf8).write(to: URL(fileURLWithPath: folder + "/Dockerfile"))
      } catch {
        throw GoldfishError(.ioFailed, "cannot write the base image recipe in \(folder): \(error.localizedDescription)")
      }
      return ImageBuildRequest(
        contextDir: folder, tag: base, buildArgs: ["GOLDFISH_BASE_FROM": from],
        labels: ["goldfish.base_from": from, "goldfish.image_type": kind.rawValue])
    }
  }
}
