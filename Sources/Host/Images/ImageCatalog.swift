import Foundation
import PluginKit

/// What `manage_base_images list|inspect|check` and `goldfish images list|inspect|check` show:
/// the images goldfish.yaml describes and whether the engine has them.
public struct ImageCatalog {
  let project: Project
  let builder: ImageBuilderClient

  public init(project: Project) throws(GoldfishError) {
    self.project = project
    builder = try ImageBuilds(project: project).builder()
  }

  /// The kinds goldfish.yaml gives a base image for (cpu always: it has a default).
  var kinds: [ImageKind] { project.config.docker.baseImages.gpu == nil ? [.cpu] : [.cpu, .gpu] }

  /// One image: a base, or the project layer over it.
  public func entry(_ plan: ImagePlan, target: ImageTarget) throws(GoldfishError) -> JSONValue {
    let tag = target == .base ? plan.base : plan.runImage
    let found = try exists(tag)
    var fields: [String: JSONValue] = [
      "image_type": .string(plan.kind.rawValue), "target": .string(target.rawValue), "tag": .string(tag),
      "exists": .bool(found.exists), "image_id": found.imageId.map(JSONValue.string) ?? .null,
    ]
    if target == .project {
      fields["needs_build"] = .bool(plan.needsBuild)
      fields["base"] = .string(plan.base)
      fields["slot"] = plan.slot.map(JSONValue.string) ?? .null
      let last = try plan.tag.flatMap { tag throws(GoldfishError) in try project.store.lastImageBuild(tag: tag) }
      fields["last_build"] =
        last.map {
          [
            "build_id": .string($0.id), "status": .string($0.status.rawValue),
            "completed_at": $0.completedAt.map(JSONValue.string) ?? .null,
          ]
        } ?? .null
    }
    return .object(fields)
  }

  public func list(slot: String?, kind: ImageKind?) throws(GoldfishError) -> JSONValue {
    var images: [JSONValue] = []
    for kind in kind.map({ [$0] }) ?? kinds {
      let plan = try ImagePlan(project: project, kind: kind, slot: slot)
      images.append(try entry(plan, target: .base))
      images.append(try entry(plan, target: .project))
    }
    let builds = try ImageBuilds(project: project).recent(limit: 10)
    return [
      "builder": .string(builder.name), "images": .array(images),
      "recent_builds": .array(
        builds.map {
          [
            "build_id": .string($0.buildId), "image_type": .string($0.imageType), "status": .string($0.status),
            "image_tag": $0.imageTag.map(JSONValue.string) ?? .null, "started_at": .string($0.startedAt),
          ]
        }),
    ]
  }

  public func inspect(_ plan: ImagePlan, target: ImageTarget) throws(GoldfishError) -> JSONValue {
    guard case .object(var fields) = try entry(plan, target: target) else { return .null }
    fields["builder"] = .string(builder.name)
    fields["registry"] = .bool(builder.capabilities.registry)
    if target == .project {
      fields["extra_packages"] = .array(plan.extraPackages.map(JSONValue.string))
      fields["requirements"] = plan.requirements.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
      fields["recipe_hash"] = plan.recipeHash.map(JSONValue.string) ?? .null
      fields["dockerfile"] =
        plan.needsBuild
        ? .string(StageImage.dockerfile(extraPackages: plan.extraPackages, requirements: plan.requirements != nil))
        : .null
    }
    return .object(fields)
  }

  /// Whether a run could start now: every base present, and every project layer built or buildable.
  public func check(slot: String?, kind: ImageKind?) throws(GoldfishError) -> JSONValue {
    var problems: [JSONValue] = []
    var images: [JSONValue] = []
    for kind in kind.map({ [$0] }) ?? kinds {
      let plan = try ImagePlan(project: project, kind: kind, slot: slot)
      let base = try entry(plan, target: .base)
      let layer = try entry(plan, target: .project)
      images += [base, layer]
      if base.objectValue?["exists"] != .bool(true) {
        problems.append(
          [
            "image_type": .string(kind.rawValue), "tag": .string(plan.base),
            "message": .string("the base image \(plan.base) is not in the engine: runs cannot start"),
            "hint": .string("pull or import it (scripts/docker-engine.sh), or set docker.base_images.\(kind.rawValue)"),
          ])
      } else if layer.objectValue?["exists"] != .bool(true), let tag = plan.tag {
        problems.append(
          [
            "image_type": .string(kind.rawValue), "tag": .string(tag),
            "message": .string("the stage image \(tag) is not built yet: the next run builds it first"),
            "hint": .string("build it now: manage_base_images action build (goldfish images build)"),
          ])
      }
    }
    return [
      "ready": .bool(problems.isEmpty), "builder": .string(builder.name), "images": .array(images),
      "problems": .array(problems),
    ]
  }

  private func exists(_ tag: String) throws(GoldfishError) -> ImageExistsResponse {
    do { return try builder.exists(ImageTagRequest(tag: tag)) } catch {
      throw ExecutionServices.failure(error, while: "the \(builder.name) image builder could not look up \(tag)")
    }
  }
}

/// The actions of upstream's `manage_base_images` Goldfish answers with an error, and why.
public enum ImageActionRefusal {
  public static func push(backend: String, builder: String) -> GoldfishError {
    GoldfishError(
      .serviceUnsupported,
      "goldfish.yaml names no registry to push to: the \(backend) backend runs the \(builder) builder's images "
        + "where they are built",
      hint: "cloud runs pull from \(backend == "gce" ? "gce" : "<backend>").artifact_registry (e.g. "
        + "us-central1-docker.pkg.dev/PROJECT/REPO): set it, with jobs.backend gce; local runs need no push")
  }

  public static func versions(_ action: String) -> GoldfishError {
    GoldfishError(
      .serviceUnsupported,
      "\(action) does not apply: Goldfish names images by a hash of their recipe (goldfish-stage:<sha256> of "
        + "docker.base_images, docker.extra_packages and requirements.txt), not by version numbers, so a changed "
        + "recipe is a new image and a run always uses the image its recipe names",
      hint: "inspect shows the tag a recipe gives; list shows which exist; change the recipe in goldfish.yaml")
  }

  public static func cloudBackend() -> GoldfishError {
    GoldfishError(
      .serviceUnsupported,
      "backend cloud (Google Cloud Build) is not supported: images are built by the image builder plugin in the "
        + "local engine",
      hint: "leave backend out (local); remote builds land with issue #15")
  }

  public static func baseBuild(_ base: String) -> GoldfishError {
    GoldfishError(
      .serviceUnsupported,
      "Goldfish builds base images only from a recipe: \(base) (docker.base_images) is used as given, and "
        + "goldfish.yaml names no docker.base_from to build it from",
      hint: "set docker.base_from (a Debian Python image the engine has or can pull), or leave docker.base_images "
        + "out to use Goldfish's own \(StageImage.defaultBase), built from \(BaseImage.defaultFrom) when missing")
  }

  public static func noCache() -> GoldfishError {
    GoldfishError(
      .serviceUnsupported,
      "no_cache is not supported: the image builder protocol has no such option, and a changed recipe already "
        + "gets a new tag",
      hint: "leave no_cache out")
  }
}
