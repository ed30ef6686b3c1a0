import Foundation
import PluginKit

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
        && scalars.allSatisfy { $0 == "_" || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") }
      guard valid else {
        throw PluginError(
          .invalidArgument, "environment variable name \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*",
          detail: ["key": .string(key)])
      }
    }
  }

  /// The job as `goldfish-agent` reads it (`AgentJob` in docs/warm-pool.md).
  func job(_ spec: RunSpec, preservePaths: [String]) throws(PluginError) -> JSONValue {
    try Self.validateEnv(spec.env)
    var job: [String: JSONValue] = [
      "run_id": .string(spec.runId), "command": .array(spec.command.map { .string($0) }),
      "env": .object(spec.env.mapValues { .string($0) }),
      "inputs": .array(try spec.inputs.map { (input) throws(PluginError) -> JSONValue in try stage(input, spec.runId) }),
      "preserve_paths": .array(preservePaths.map { .string($0) }),
    ]
    if let image = spec.image { job["image"] = .string(image) }
    if let timeout = spec.timeoutSeconds { job["timeout_seconds"] = .int(Int64(timeout)) }
    if let codeDir = spec.codeDir {
      let key = Mailbox.runKey(spec.runId, "code.tar")
      try uploadTar(of: codeDir, to: key)
      job["code"] = .string(mailbox.uri(key))
    }
    // No outputs_dir: a VM cannot write the host's folder, so the agent uploads to
    // runs/<id>/outputs/ and the backend brings them home when the run completes.
    return .object(job)
  }

  private func stage(_ input: RunInput, _ runId: String) throws(PluginError) -> JSONValue {
    if let uri = input.uri, uri.hasPrefix("gs://") {
      return ["name": .string(input.name), "source": .string(uri)]
    }
    guard let path = input.localPath ?? input.uri.flatMap({ $0.hasPrefix("file://") ? String($0.dropFirst(7)) : nil })
    else {
      throw PluginError(
        .invalidArgument, "input \(input.name) has neither a gs:// URI nor a local path the gce backend can upload",
        detail: ["input": .string(input.name)])
    }
    let folder = Mailbox.runKey(runId, "inputs/\(input.name)")
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw PluginError(.notFound, "input \(input.name): \(path) does not exist")
    }
    if isDirectory.boolValue {
      try uploadFolder(path, to: folder)
      return ["name": .string(input.name), "source": .string(mailbox.uri(folder) + "/")]
    }
    try mailbox.putFile(folder, path: path)
    return ["name": .string(input.name), "source": .string(mailbox.uri(folder))]
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

  /// The folder as a ustar archive, streamed into a temporary file and uploaded from there.
  private func uploadTar(of folder: String, to key: String) throws(PluginError) {
    let stream = try TarStream(directory: folder)
    let temporary = NSTemporaryDirectory() + "goldfish-gce-code-\(UUID().uuidString).tar"
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    _ = try POSIXFile.atomicWrite(to: temporary) { (fd: Int32) throws(PluginError) -> Int in
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
      defer { buffer.deallocate() }
      while true {
        let got = try stream.read(buffer)
        if got == 0 { return 0 }
        try POSIXFile.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<got]), temporary)
      }
    }
    try mailbox.putFile(key, path: temporary, contentType: "application/x-tar")
  }
}
