import Foundation
import PluginKit
import PluginSupport

/// Turns a run spec into the Engine's container-create body, following the container
/// contract: inputs read-only at /mnt/inputs/<name>, outputs at /mnt/outputs, the code at
/// /app (read-only, the working directory), the stage IO library at /goldfish/python, user
/// 1000:1000, no network unless the profile asks, and the profile's limits.
enum ContainerSpec {
  static let inputsDir = StageIO.defaultInputsDir
  static let outputsDir = StageIO.defaultOutputsDir
  static let codeDir = "/app"
  static let libraryDir = "/goldfish/python"
  static let user = "1000:1000"

  static func body(_ spec: RunSpec, image: String) throws(PluginError) -> JSONValue {
    var binds: [String] = []
    for input in spec.inputs {
      guard let local = input.localPath else { continue }
      // Bind the real file: a symlink would point at a path that does not exist inside.
      binds.append("\(try realPath(local, what: "input \(input.name)")):\(inputsDir)/\(input.name):ro")
    }
    if let outputs = spec.outputsDir { binds.append("\(try realPath(outputs, what: "outputs_dir")):\(outputsDir):rw") }
    if let code = spec.codeDir { binds.append("\(try realPath(code, what: "code_dir")):\(codeDir):ro") }
    if let library = library(spec) {
      binds.append("\(try realPath(library, what: "the stage IO library")):\(libraryDir):ro")
    }

    var host: [String: JSONValue] = [
      "Binds": .array(binds.map { .string($0) }),
      "NetworkMode": .string(spec.profile?.network == true ? "host" : "none"),
    ]
    if let memory = spec.profile?.memoryMb, memory > 0 {
      host["Memory"] = .int(Int64(memory) << 20)
      host["MemorySwap"] = .int(Int64(memory) << 20)  // no swap: over the limit means OOM, not a crawl
    }
    if let cpus = spec.profile?.cpus, cpus > 0 {
      // The engine refuses more CPUs than the machine has.
      let usable = min(cpus, Double(ProcessInfo.processInfo.activeProcessorCount))
      host["NanoCpus"] = .int(Int64(usable * 1e9))
    }
    if let pids = spec.profile?.pids, pids > 0 { host["PidsLimit"] = .int(Int64(pids)) }

    var labels = spec.labels
    labels["goldfish.run-id"] = spec.runId
    if let project = spec.labels["goldfish-project"] { labels["goldfish.project"] = project }
    return [
      "Image": .string(image),
      "Cmd": .array(spec.command.map { .string($0) }),
      "Entrypoint": .array([]),
      "Env": .array(environment(spec).sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
      "WorkingDir": .string(spec.codeDir == nil ? "/" : codeDir),
      "User": .string(user),
      "Labels": .object(labels.mapValues { .string($0) }),
      "Tty": false, "AttachStdout": false, "AttachStderr": false, "OpenStdin": false,
      "HostConfig": .object(host),
    ]
  }

  /// The spec's environment with host paths replaced by their places in the container.
  static func environment(_ spec: RunSpec) -> [String: String] {
    var env = spec.env
    env.removeValue(forKey: StageIO.pythonPathVariable)
    env[StageIO.inputsDirVariable] = inputsDir
    env[StageIO.outputsDirVariable] = outputsDir
    env["PYTHONPATH"] = libraryDir + ":" + codeDir
    env["HOME"] = "/tmp"  // user 1000 has no home in the image, and /app is read-only
    if env["PATH"] == nil { env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
    if let text = env[StageIO.stageConfigVariable], var config = try? JSONCoding.parse(text).objectValue {
      if var inputs = config["inputs"]?.objectValue {
        for (name, value) in inputs {
          guard var fields = value.objectValue else { continue }
          fields["location"] = .string("\(inputsDir)/\(name)")
          inputs[name] = .object(fields)
        }
        config["inputs"] = .object(inputs)
      }
      if let encoded = try? JSONCoding.encode(JSONValue.object(config)) { env[StageIO.stageConfigVariable] = encoded }
    }
    return env
  }

  /// The folder holding goldfish/io: GOLDFISH_PYTHON_PATH from the host, else the entry of
  /// the spec's PYTHONPATH that holds it.
  static func library(_ spec: RunSpec) -> String? {
    let candidates =
      [spec.env[StageIO.pythonPathVariable]].compactMap { $0 }
      + (spec.env["PYTHONPATH"]?.split(separator: ":").map(String.init) ?? [])
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/goldfish/io/__init__.py") }
  }

  static func realPath(_ path: String, what: String) throws(PluginError) -> String {
    guard let resolved = realpath(path, nil) else {
      throw POSIXFile.error(errno, "cannot mount \(what)", path)
    }
    defer { free(resolved) }
    let real = String(cString: resolved)
    guard !real.contains(":"), !real.contains(",") else {
      throw PluginError(.invalidArgument, "cannot mount \(real) for \(what): the path contains ':' or ','")
    }
    return real
  }
}
