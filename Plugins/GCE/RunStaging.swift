import Foundation
import PluginKit
import PluginSupport

/// Puts what a job needs where a VM can reach it, under the run's own folder of the mailbox,
/// and writes the job: code as `runs/<id>/code.tar`, local inputs under `runs/<id>/inputs/`.
struct RunStaging {
  let mailbox: Mailbox

  /// Env keys a shell or Docker could misread are refused before anything is uploaded (#7).
  static func validateEnv(_ env: [String: String]) throws(PluginError) {
    for key in env.keys.sorted() {
      let scalars = Array(key.unicodeScalars)
      let valid =
        !scalars.isEmpty && !(scalars[0] >= "0" && scalars[0] <= "9")
        && scalars.allSatisfy {
          $0 == "_" || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9")
        }
      guard valid else {
        throw PluginError(
          .invalidArgument, "environment variable name \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*",
          detail: ["key": .string(key)])
      }
    }
  }

  /// The host's own folders, meaningless on a VM: the agent sets these to its work root.
  static let hostOnlyEnv: Set<String> = [StageIO.inputsDirVariable, StageIO.outputsDirVariable]
  static let codeInput = "code"

  /// The job as `goldfish-agent` reads it, with everything it refers to uploaded first.
  func job(_ spec: RunSpec, preservePaths: [String]) throws(PluginError) -> AgentJob {
    try Self.validateEnv(spec.env)
    var inputs = try spec.inputs.map { (input) throws(PluginError) -> AgentInput in try stage(input, spec.runId) }
    if let codeDir = spec.codeDir {
      // AgentJob.code must be a path on the worker, so the code travels as an input named
      // `code`: the run's folder of files, staged by the agent like any folder input.
      try WorkerIdentifier.validate(spec.runId, "run id")
      let key = RunLayout.codeKey(spec.runId)
      try uploadFolder(codeDir, to: key)
      inputs.append(AgentInput(name: Self.codeInput, source: mailbox.uri(key) + "/"))
    }
    let job = AgentJob(
      runId: spec.runId, command: spec.command, env: spec.env.filter { !Self.hostOnlyEnv.contains($0.key) },
      image: spec.image, inputs: inputs,
      // No outputs_dir: a VM cannot write the host's folder, so the agent uploads to
      // runs/<id>/outputs/ and the backend brings them home when the run completes.
      outputsDir: nil, timeoutSeconds: spec.timeoutSeconds, preservePaths: preservePaths,
      gpus: Self.gpuCount(spec.profile))
    try job.validate()
    return job
  }

  /// The GPUs the run's profile asks for (nil for none), as MachineProfile reads them.
  static func gpuCount(_ profile: ResourceProfile?) -> Int? {
    let count = profile?.definition?["gpu"]?["count"]?.intValue.map { Int($0) } ?? profile?.gpu?.count ?? 0
    return count > 0 ? count : nil
  }

  private func stage(_ input: RunInput, _ runId: String) throws(PluginError) -> AgentInput {
    if let uri = input.uri, uri.hasPrefix("gs://") {
      return AgentInput(name: input.name, source: uri)
    }
    guard let path = input.localPath ?? input.uri.flatMap({ $0.hasPrefix("file://") ? String($0.dropFirst(7)) : nil })
    else {
      throw PluginError(
        .invalidArgument, "input \(input.name) has neither a gs:// URI nor a local path the gce backend can upload",
        detail: ["input": .string(input.name)])
    }
    try WorkerIdentifier.validate(input.name, "input name")
    try WorkerIdentifier.validate(runId, "run id")
    let folder = RunLayout.inputKey(runId, input.name)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw PluginError(.notFound, "input \(input.name): \(path) does not exist")
    }
    if isDirectory.boolValue {
      try uploadFolder(path, to: folder)
      return AgentInput(name: input.name, source: mailbox.uri(folder) + "/")
    }
    try mailbox.putFile(folder, path: path)
    return AgentInput(name: input.name, source: mailbox.uri(folder))
  }

  private func uploadFolder(_ root: String, to key: String) throws(PluginError) {
    guard let walker = FileManager.default.enumerator(atPath: root) else {
      throw PluginError(.io, "cannot read the folder \(root)")
    }
    while let relative = walker.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let path = root + "/" + relative
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        continue
      }
      try mailbox.putFile(key + "/" + relative, path: path)
    }
  }

}
