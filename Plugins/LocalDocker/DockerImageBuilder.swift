import Foundation
import PluginKit
import PluginSupport

/// `docker` image builder: the Engine's classic builder (POST /build, version=1) fed a
/// ustar context streamed from the context folder. Build output is kept in a file per build.
/// Caching by content is the host's job: it names the tag after a hash and asks `exists`.
final class DockerImageBuilder: RegistryImageBuilder, @unchecked Sendable {
  static let serviceName = "docker"
  static let capabilities = ImageBuilderCapabilities(registry: true, cache: "content").json

  let engine: DockerEngine
  let buildsRoot: String
  let buildNetwork: String

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    DockerSettings.report(config)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try DockerSettings(config: config)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    engine = DockerEngine(socket: settings.socket)
    buildsRoot = (context.stateDir ?? NSTemporaryDirectory() + "goldfish-docker") + "/docker-builds"
    buildNetwork = settings.buildNetwork
  }

  func build(_ request: ImageBuildRequest) throws(PluginError) -> String {
    guard POSIXFile.isDirectory(request.contextDir) else {
      throw PluginError(.invalidArgument, "the build context \(request.contextDir) is not a folder")
    }
    guard FileManager.default.fileExists(atPath: request.contextDir + "/" + request.dockerfile) else {
      throw PluginError(.invalidArgument, "the build context has no \(request.dockerfile)")
    }
    // Fail now, not on the build thread, when nothing answers on the socket.
    try engine.request("GET", "/_ping", timeoutSeconds: 10)
    let tar = try TarStream(directory: request.contextDir)
    let id = "build-" + UUID().uuidString.lowercased()
    let folder = try BuildFolder(root: buildsRoot, id: id)
    try folder.create()
    let query = try Self.query(request, network: buildNetwork)
    let engine = self.engine
    let url = engine.url("/build?" + query)
    Thread.detachNewThread {
      BuildRun(engine: engine, folder: folder, tag: request.tag).run(url: url, context: tar)
    }
    return id
  }

  func buildStatus(id: String) throws(PluginError) -> ImageBuildStatus {
    let folder = try BuildFolder(root: buildsRoot, id: id)
    if let result = folder.result { return result }
    guard folder.exists else { throw PluginError(.notFound, "no image build \(id)") }
    if folder.ownerAlive { return ImageBuildStatus(state: .running) }
    if let result = folder.result { return result }
    return ImageBuildStatus(state: .failed, message: "the build was interrupted: the process running it ended")
  }

  func buildLogs(id: String, offset: Int64) throws(PluginError) -> LogChunk {
    let folder = try BuildFolder(root: buildsRoot, id: id)
    guard folder.exists else { throw PluginError(.notFound, "no image build \(id)") }
    let finished = try buildStatus(id: id).state != .running
    return try LogFile.read(path: folder.logPath, request: LogRequest(offset: offset), finished: finished)
  }

  /// A tag naming a registry is looked up there (a manifest HEAD: a VM pulls from the registry,
  /// not from this engine); any other tag in this engine.
  func imageID(tag: String) throws(PluginError) -> String? {
    guard !tag.isEmpty, !tag.contains("?"), !tag.contains("#") else {
      throw PluginError(.invalidArgument, "\(tag.debugDescription) is not an image tag")
    }
    let reference = try ImageReference(tag)
    if reference.registry != nil { return try RegistryAccess.manifestDigest(reference) }
    let response = try engine.request("GET", "/images/\(tag)/json", accept: [200, 404])
    guard response.status == 200 else { return nil }
    return try response.json()["Id"]?.stringValue
  }

  /// Tags the local image as `destination` and pushes it with the registry's credentials;
  /// returns the pushed manifest digest.
  func push(tag: String, destination: String) throws(PluginError) -> String {
    let source = try ImageReference(tag)
    let target = try ImageReference(destination)
    guard target.registry != nil else {
      throw PluginError(
        .invalidArgument, "cannot push to \(destination): it names no registry (e.g. 127.0.0.1:5000/goldfish/stage:tag)"
      )
    }
    try engine.request(
      "POST",
      "/images/\((source.name + ":" + source.tag).queryEscaped)/tag?repo=\(target.name.queryEscaped)"
        + "&tag=\(target.tag.queryEscaped)", accept: [200, 201])
    let request = HTTPRequest(
      "POST", engine.url("/images/\(target.name.queryEscaped)/push?tag=\(target.tag.queryEscaped)"),
      headers: [("X-Registry-Auth", try RegistryAccess.engineAuth(target))], timeoutSeconds: nil)
    var pending: [UInt8] = []
    var failure: String?
    var digest: String?
    let response = try engine.stream(request) { chunk in
      pending.append(contentsOf: chunk)
      while let newline = pending.firstIndex(of: 0x0A) {
        let line = (try? JSONCoding.parse(String(decoding: pending[..<newline], as: UTF8.self))) ?? .null
        pending.removeSubrange(...newline)
        if let message = line["error"]?.stringValue { failure = message }
        if let found = line["aux"]?["Digest"]?.stringValue { digest = found }
      }
      return true
    }
    if response.status != 200 && failure == nil { failure = "the Docker engine answered \(response.status)" }
    if let failure {
      throw PluginError(
        .unavailable, "pushing \(tag) to \(destination) failed: \(failure)",
        detail: [
          "hint": .string(
            target.usesGoogleToken
              ? "check the credentials may write to \(target.registry ?? "") (roles/artifactregistry.writer)"
              : "check the registry \(target.registry ?? "") is running and reachable from the engine")
        ])
    }
    guard let digest else { throw PluginError(.internal, "the engine pushed \(destination) but gave no digest") }
    return digest
  }

  static func query(_ request: ImageBuildRequest, network: String) throws(PluginError) -> String {
    let fields: [(String, String)] = [
      ("t", request.tag), ("dockerfile", request.dockerfile),
      ("buildargs", try JSONCoding.encode(request.buildArgs)), ("labels", try JSONCoding.encode(request.labels)),
      ("version", "1"), ("rm", "1"), ("forcerm", "1"), ("networkmode", network),
    ]
    return fields.map { "\($0.0)=\($0.1.queryEscaped)" }.joined(separator: "&")
  }
}

/// One build on its own thread: streams the context, records the builder's output lines,
/// and writes the result last.
struct BuildRun: Sendable {
  let engine: DockerEngine
  let folder: BuildFolder
  let tag: String

  func run(url: String, context: TarStream) {
    var pending: [UInt8] = []
    var error: String?
    var imageID: String?
    let request = HTTPRequest(
      "POST", url, headers: [("Content-Type", "application/x-tar")], body: .reader(context.read), timeoutSeconds: nil)
    do {
      let response = try engine.stream(request) { chunk in
        pending.append(contentsOf: chunk)
        while let newline = pending.firstIndex(of: 0x0A) {
          let line = String(decoding: pending[..<newline], as: UTF8.self)
          pending.removeSubrange(...newline)
          handle(line, error: &error, imageID: &imageID)
        }
        return true
      }
      if !pending.isEmpty { handle(String(decoding: pending, as: UTF8.self), error: &error, imageID: &imageID) }
      if response.status != 200 && error == nil { error = "the Docker engine answered \(response.status)" }
    } catch let failure {
      error = failure.message
    }
    if let error {
      folder.appendLog("ERROR: \(error)\n")
      folder.finish(ImageBuildStatus(state: .failed, image: tag, message: error))
    } else {
      folder.finish(ImageBuildStatus(state: .succeeded, image: tag, imageId: imageID))
    }
  }

  /// A line of the build stream: {"stream": text} | {"error": text} | {"aux": {"ID": id}}.
  private func handle(_ line: String, error: inout String?, imageID: inout String?) {
    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
    guard let value = try? JSONCoding.parse(line) else {
      folder.appendLog(line + "\n")
      return
    }
    if let text = value["stream"]?.stringValue { folder.appendLog(text) }
    if let message = value["error"]?.stringValue { error = message }
    if let id = value["aux"]?["ID"]?.stringValue { imageID = id }
    if let message = value["message"]?.stringValue, value["stream"] == nil, value["error"] == nil {
      folder.appendLog(message + "\n")
    }
  }
}
