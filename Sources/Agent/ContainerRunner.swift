import Foundation
import PluginKit
import PluginSupport

/// Runs each job in its own image through the VM's Docker Engine API: pulls the image
/// (every job, #38), creates a container with the job's argv and environment, the staged
/// inputs read-only at /mnt/inputs and the outputs folder at /mnt/outputs, GPUs through
/// DeviceRequests when the job asks for them, and follows its log into the run's log.
/// Where the engine shares the agent's files (a VM's own socket) the folders are bind-mounted;
/// otherwise they travel through the container archive API, in before the start and out
/// after the end (metrics too, every few seconds while it runs).
struct ContainerRunner: JobRunner {
  static let inputsDir = StageIO.defaultInputsDir
  static let outputsDir = StageIO.defaultOutputsDir
  /// Where a stage image keeps the goldfish library (Host/Images/RemoteStageImage).
  static let libraryDir = "/goldfish/python"
  /// The staged code input (RunStaging in the gce backend names it so).
  static let codeInput = "code"

  let engine: EngineAPI
  /// Labels the job containers, so whoever removes the machine can find them.
  let workerId: String

  func start(_ launch: JobLaunch) throws(PluginError) -> any RunningJob {
    guard let image = launch.image, !image.isEmpty else {
      throw PluginError(
        .invalidArgument,
        "run \(launch.runId) names no image and this agent runs jobs in containers; build the stage image "
          + "(jobs.image_builder) or set the profile's agent_runner: process")
    }
    let note = { (line: String) in
      _ = try? POSIXFile.writeAll(launch.logDescriptor, Array((line + "\n").utf8), "the run log")
    }
    try ImagePull(engine: engine).pull(image, log: note)
    let name = "goldfish-" + launch.runId
    // A container of an earlier attempt of this run (the agent restarted) must not block this one.
    try engine.call("DELETE", "/containers/\(ImagePull.escape(name))?force=1", accept: [204, 404])
    chmod(launch.outputsDir, 0o777)  // the image's user, whoever it is, writes the outputs
    let created = try engine.call(
      "POST", "/containers/create?name=\(ImagePull.escape(name))", json: try body(launch, image: image), accept: [201])
    guard let id = try created.json()["Id"]?.stringValue else {
      throw PluginError(.internal, "the Docker engine created a container without an id: \(created.text)")
    }
    let job = ContainerJob(engine: engine, id: id, launch: launch)
    do throws(PluginError) {
      if !engine.sharesFiles {
        let archive = try TarStream(folders: [
          (launch.inputsDir, String(Self.inputsDir.dropFirst())),
          (launch.outputsDir, String(Self.outputsDir.dropFirst())),
        ])
        let request = HTTPRequest(
          "PUT", engine.url("/containers/\(id)/archive?path=/"), headers: [("Content-Type", "application/x-tar")],
          body: .reader(archive.read), timeoutSeconds: nil)
        let response = try engine.send(request)
        guard response.isSuccess else { throw engine.refusal(response, "PUT", "/containers/\(id)/archive") }
      }
      try engine.call("POST", "/containers/\(id)/start", accept: [204, 304])
    } catch {
      job.remove()
      throw error
    }
    job.followLogs()
    return job
  }

  func body(_ launch: JobLaunch, image: String) throws(PluginError) -> JSONValue {
    let hasCode = POSIXFile.isDirectory(launch.inputsDir + "/" + Self.codeInput)
    let codeDir = Self.inputsDir + "/" + Self.codeInput
    var env = launch.jobEnvironment
    env.removeValue(forKey: StageIO.pythonPathVariable)
    env[StageIO.inputsDirVariable] = Self.inputsDir
    env[StageIO.outputsDirVariable] = Self.outputsDir
    // The host's PYTHONPATH names its own folders: in the image, the library and the code.
    if env["PYTHONPATH"] != nil { env["PYTHONPATH"] = Self.libraryDir + (hasCode ? ":" + codeDir : "") }
    var host: [String: JSONValue] = [
      "NetworkMode": "host", "ShmSize": .int(2 << 30), "Init": true,
    ]
    if engine.sharesFiles {
      host["Binds"] = [
        .string("\(launch.inputsDir):\(Self.inputsDir):ro"), .string("\(launch.outputsDir):\(Self.outputsDir):rw"),
      ]
    }
    if launch.gpus > 0 {
      // The profile decides, never a probe at boot: drivers may load late (upstream §5.7 #45).
      host["DeviceRequests"] = [
        ["Driver": "nvidia", "Count": .int(Int64(launch.gpus)), "Capabilities": [["gpu"]]]
      ]
    }
    return [
      "Image": .string(image), "Cmd": .array(launch.argv.map { .string($0) }), "Entrypoint": .array([]),
      "Env": .array(env.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
      "WorkingDir": .string(hasCode ? codeDir : "/"),
      "Labels": ["goldfish.run-id": .string(launch.runId), "goldfish.worker-id": .string(workerId)],
      "Tty": false, "AttachStdout": false, "AttachStderr": false, "OpenStdin": false, "HostConfig": .object(host),
    ]
  }
}

/// One job's container. Ends are read from the engine; the log is followed on its own thread
/// and complete before the end is reported.
final class ContainerJob: RunningJob {
  let engine: EngineAPI
  let id: String
  let launch: JobLaunch
  private var end: JobEnd?
  private let logsDone = DispatchSemaphore(value: 0)
  private var following = false
  private var lastMetrics = 0.0
  static let metricsSeconds = 2.0

  init(engine: EngineAPI, id: String, launch: JobLaunch) {
    self.engine = engine
    self.id = id
    self.launch = launch
  }

  func followLogs() {
    following = true
    let engine = engine
    let url = engine.url("/containers/\(id)/logs?follow=1&stdout=1&stderr=1")
    let descriptor = launch.logDescriptor
    let done = logsDone
    Thread.detachNewThread {
      var demuxer = LogDemuxer()
      _ = try? engine.stream(HTTPRequest("GET", url, timeoutSeconds: nil)) { chunk in
        let bytes = demuxer.feed(chunk)
        if !bytes.isEmpty { _ = try? POSIXFile.writeAll(descriptor, bytes, "the run log") }
        return true
      }
      done.signal()
    }
  }

  func poll() -> JobEnd? {
    if let end { return end }
    guard let state = try? inspect() else { return nil }
    guard let state else {
      end = JobEnd(exitCode: 1, note: "the container \(id) disappeared while the job ran")
      return end
    }
    if state["Running"]?.boolValue == true || state["Status"]?.stringValue == "created" {
      if !engine.sharesFiles, Clock.monotonic() - lastMetrics >= Self.metricsSeconds {
        lastMetrics = Clock.monotonic()
        copyOut(StageIO.metricsFile(outputsDir: Self.containerOutputs), into: launch.outputsDir + "/.goldfish")
      }
      return nil
    }
    finish(state)
    return end
  }

  func stop(graceSeconds: Int) -> JobEnd {
    if let end { return end }
    _ = try? engine.call(
      "POST", "/containers/\(id)/stop?t=\(graceSeconds)", accept: [204, 304, 404], timeoutSeconds: graceSeconds + 30)
    for _ in 0..<600 {
      if let end = poll() { return end }
      Clock.sleep(milliseconds: 100)
    }
    _ = try? engine.call("POST", "/containers/\(id)/kill", accept: [204, 404, 409])
    return poll() ?? JobEnd(exitCode: 137, signal: SIGKILL)
  }

  func stopLeftovers(graceSeconds: Int) {
    remove()
  }

  func remove() {
    _ = try? engine.call("DELETE", "/containers/\(id)?force=1", accept: [204, 404])
  }

  static let containerOutputs = ContainerRunner.outputsDir

  private func inspect() throws(PluginError) -> JSONValue?? {
    let response = try engine.call("GET", "/containers/\(id)/json", accept: [200, 404])
    guard response.status == 200 else { return .some(nil) }
    return .some(try response.json()["State"])
  }

  private func finish(_ state: JSONValue) {
    if following { _ = logsDone.wait(timeout: .now() + 30) }
    if !engine.sharesFiles { copyOut(Self.containerOutputs, into: launch.outputsDir, strip: 1) }
    let code = Int(state["ExitCode"]?.intValue ?? 1)
    if state["OOMKilled"]?.boolValue == true {
      end = JobEnd(exitCode: code, note: "out of memory: the kernel killed the job's container (OOMKilled)")
    } else if code > 128 && code < 160 {
      end = JobEnd(exitCode: code, signal: Int32(code - 128))
    } else {
      end = JobEnd(exitCode: code)
    }
  }

  /// Copies a path out of the container into a local folder (best effort for metrics).
  private func copyOut(_ path: String, into folder: String, strip: Int = 0) {
    try? POSIXFile.makeDirectories(folder)
    let extractor = TarExtractor(into: folder, stripComponents: strip)
    let url = engine.url("/containers/\(id)/archive?path=\(ImagePull.escape(path))")
    var status = 0
    _ = try? engine.http.stream(HTTPRequest("GET", url, timeoutSeconds: nil)) { (code: Int, chunk) in
      status = code
      return code == 200 ? extractor.feed(chunk) : true
    }
    if status == 200 { try? extractor.finish() }
  }
}
