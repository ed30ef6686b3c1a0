import Foundation
import PluginKit
import PluginSupport

/// The stage image of a backend whose machines pull it from a registry (gce): the local stage
/// recipe (base, docker.extra_packages, requirements.txt) plus the goldfish.io library at
/// /goldfish/python, since a VM has no host folder to mount it from (goldfish-agent's
/// ContainerRunner puts that folder on PYTHONPATH). Named by a hash of the whole recipe, the
/// library included: `goldfish-stage:<hash>` in the engine, `<registry>/goldfish-stage:<hash>`
/// where VMs pull it. A registry that has the tag is trusted; otherwise the image is built when
/// the engine lacks it, then pushed.
struct RemoteStageImage {
  static let libraryDir = "/goldfish/python"
  static let repository = "goldfish-stage"

  let project: Project
  let builder: ImageBuilderClient
  let registry: String

  struct Plan {
    var recipe: StageImage.Recipe
    var requirements: Data?
    var library: String
    var hash: String
    var localTag: String { RemoteStageImage.repository + ":" + hash }
  }

  func plan(_ recipe: StageImage.Recipe, requirements: Data?) throws(GoldfishError) -> Plan {
    guard let library = PythonLibrary.folder() else {
      throw GoldfishError(
        .runRefused, "cannot find the stage IO library (goldfish.io) to put in the stage image",
        hint: "set \(StageIO.pythonPathVariable) to the folder that holds goldfish/io, or reinstall goldfish")
    }
    var identity = Array(recipe.identity.utf8) + [0] + Array(requirements ?? Data()) + [0]
    identity += Array("library:\(try Self.libraryHash(library))\n".utf8)
    return Plan(recipe: recipe, requirements: requirements, library: library, hash: SHA256Hasher.hex(of: identity))
  }

  func remoteTag(_ plan: Plan) -> String { registry + "/" + plan.localTag }

  /// The registry reference of the run's image, built and pushed first when the registry lacks it.
  /// `build` runs a recorded build (StageImage keeps its log beside the run).
  func prepare(
    _ plan: Plan,
    build: (String, String, (String) throws(GoldfishError) -> ImageBuildRequest) throws(GoldfishError) -> Void
  ) throws(GoldfishError) -> String {
    let remote = remoteTag(plan)
    if try StageImage.exists(remote, builder: builder) { return remote }
    if try !StageImage.exists(plan.localTag, builder: builder) {
      try BaseImage(project: project, builder: builder).ensure(plan.recipe.base)
      try build(plan.localTag, plan.hash) { folder throws(GoldfishError) in try writeContext(plan, into: folder) }
    }
    let pushed: ImagePushResponse
    do {
      pushed = try builder.push(ImagePushRequest(tag: plan.localTag, destination: remote))
    } catch {
      throw GoldfishError(
        .runRefused, "the stage image \(plan.localTag) could not be pushed to \(registry): \(error.error.message)",
        hint: error.error.detail["hint"]?.stringValue
          ?? "check the registry in goldfish.yaml (gce.artifact_registry) and that these credentials may write to it")
    }
    try? project.store.audit(
      "image_push", reason: "push the stage image for the VMs to pull",
      details: ["tag": .string(plan.localTag), "destination": .string(remote), "digest": .string(pushed.digest)])
    return remote
  }

  /// Dockerfile, requirements.txt and the library (without bytecode caches) in `folder`.
  func writeContext(_ plan: Plan, into folder: String) throws(GoldfishError) -> ImageBuildRequest {
    let dockerfile =
      StageImage.dockerfile(extraPackages: plan.recipe.extraPackages, requirements: plan.requirements != nil)
      + "COPY goldfish \(Self.libraryDir)/goldfish\n"
      + "RUN [\"python3\", \"-m\", \"compileall\", \"-q\", \"\(Self.libraryDir)\"]\n"
      + "ENV PYTHONPATH=\(Self.libraryDir)\n"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try Data(dockerfile.utf8).write(to: URL(fileURLWithPath: folder + "/Dockerfile"))
      try plan.requirements?.write(to: URL(fileURLWithPath: folder + "/requirements.txt"))
      for file in try Self.libraryFiles(plan.library) {
        let target = folder + "/" + file
        try FileManager.default.createDirectory(
          atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: plan.library + "/" + file, toPath: target)
      }
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw GoldfishError(
        .ioFailed, "cannot write the image build context in \(folder): \(error.localizedDescription)")
    }
    return ImageBuildRequest(
      contextDir: folder, tag: plan.localTag, buildArgs: ["GOLDFISH_BASE_IMAGE": plan.recipe.base],
      labels: [
        "goldfish.project": project.settings.projectName, "goldfish.base": plan.recipe.base,
        "goldfish.library": Self.libraryDir,
      ])
  }

  /// The library's files under `goldfish/`, relative to `library`, sorted; bytecode left out.
  static func libraryFiles(_ library: String) throws(GoldfishError) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: library + "/goldfish") else {
      throw GoldfishError(.ioFailed, "cannot read the stage IO library in \(library)/goldfish")
    }
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
      if relative.split(separator: "/").contains("__pycache__") || relative.hasSuffix(".pyc") { continue }
      var isDirectory: ObjCBool = false
      let path = library + "/goldfish/" + relative
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        files.append("goldfish/" + relative)
      }
    }
    return files.sorted()
  }

  /// A hash of the library's file names and contents: another library is another image.
  static func libraryHash(_ library: String) throws(GoldfishError) -> String {
    var hasher = SHA256Hasher()
    for file in try libraryFiles(library) {
      guard let data = FileManager.default.contents(atPath: library + "/" + file) else {
        throw GoldfishError(.ioFailed, "cannot read \(library)/\(file)")
      }
      hasher.update(Array(file.utf8) + [0] + Array("\(data.count)".utf8) + [0])
      hasher.update(data)
    }
    return hasher.finalizeHex()
  }
}
