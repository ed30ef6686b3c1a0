import Foundation
import PluginKit
import PluginSupport

/// Which image: upstream's two kinds (`cpu`, `gpu`) and two layers (`base`, `project`).
public enum ImageKind: String, Sendable, CaseIterable, Codable { case cpu, gpu }
public enum ImageTarget: String, Sendable, CaseIterable, Codable { case base, project }

/// The stage image goldfish.yaml (and, given a slot, its requirements.txt) describes: the same
/// recipe and the same content-hash tag a run computes (`StageImage`), so an image built ahead
/// of a run is the one that run uses.
public struct ImagePlan: Sendable {
  public var kind: ImageKind
  /// The image everything is installed on: `docker.base_images.<kind>`.
  public var base: String
  public var extraPackages: [String]
  /// The slot whose requirements.txt is part of the image, if one was given.
  public var slot: String?
  public var requirements: Data?
  /// `goldfish-stage:<hash>`, or nil when there is nothing to install (the base is the image).
  public var tag: String?
  public var recipeHash: String?

  public var needsBuild: Bool { tag != nil }
  /// The image a run of this kind runs in.
  public var runImage: String { tag ?? base }

  public init(project: Project, kind: ImageKind, slot: String?) throws(GoldfishError) {
    let docker = project.config.docker
    var recipe = StageImage.Recipe(docker)
    if kind == .gpu {
      guard let gpu = docker.baseImages.gpu else {
        throw GoldfishError(
          .invalidArgument, "goldfish.yaml names no gpu base image",
          hint: "set docker.base_images.gpu, or ask for image_type cpu")
      }
      recipe.base = gpu
      recipe.extraPackages = docker.extraPackages.base + docker.extraPackages.gpu
    }
    self.kind = kind
    base = recipe.base
    extraPackages = recipe.extraPackages
    self.slot = slot
    if let slot {
      requirements = FileManager.default.contents(atPath: project.paths.slot(slot) + "/requirements.txt")
        .flatMap { StageImage.isEffectivelyEmpty($0) ? nil : $0 }
    }
    if requirements != nil || !extraPackages.isEmpty {
      let hash = SHA256Hasher.hex(of: Array(recipe.identity.utf8) + [0] + Array(requirements ?? Data()))
      tag = "goldfish-stage:" + hash
      recipeHash = hash
    }
  }

  /// The slot a `workspace` argument names: a slot, or the slot a workspace is mounted in.
  public static func slot(of nameOrSlot: String, in project: Project) throws(GoldfishError) -> String {
    if project.settings.slots.contains(nameOrSlot) {
      guard try project.store.mount(slot: nameOrSlot) != nil else {
        throw GoldfishError(.notFound, "slot \(nameOrSlot) is empty", hint: "mount a workspace into it first")
      }
      return nameOrSlot
    }
    guard let mount = try project.store.mount(ofWorkspace: nameOrSlot) else {
      throw GoldfishError(
        .notFound, "workspace \(NameRule.quoted(nameOrSlot)) is not mounted",
        hint: "give a slot (w1) or mount the workspace: its requirements.txt is read from the slot")
    }
    return mount.slot
  }

  /// Writes the build context (Dockerfile, requirements.txt) into `folder`.
  func writeContext(_ folder: String) throws(GoldfishError) -> ImageBuildRequest {
    guard let tag else {
      throw GoldfishError(.invalidArgument, "nothing to build: the base image \(base) is the stage image")
    }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      let dockerfile = StageImage.dockerfile(extraPackages: extraPackages, requirements: requirements != nil)
      try Data(dockerfile.utf8).write(to: URL(fileURLWithPath: folder + "/Dockerfile"))
      try requirements?.write(to: URL(fileURLWithPath: folder + "/requirements.txt"))
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the image build context in \(folder): \(error.localizedDescription)")
    }
    return ImageBuildRequest(
      contextDir: folder, tag: tag, buildArgs: ["GOLDFISH_BASE_IMAGE": base],
      labels: ["goldfish.base": base, "goldfish.image_type": kind.rawValue])
  }
}
