import Foundation
import PluginKit
import PluginSupport

extension GoldfishError.Code {
  public static let outputMissing = Self("output_missing")
}

/// Stores a finished stage's declared outputs through object storage under
/// `runs/<run id>/outputs/`, with sizes and SHA-256 hashes, and records their lineage.
struct OutputRecorder {
  let services: ExecutionServices
  let run: StageRunRecord
  let outputsDir: String

  func record(_ outputs: [SignalDefinition]) throws(GoldfishError) -> [SignalRecord] {
    var records: [SignalRecord] = []
    for output in outputs {
      guard let path = locate(output) else {
        throw GoldfishError(
          .outputMissing, "stage \(run.stage) did not write its declared output \(output.name)",
          hint:
            "save it with goldfish.io.save_output(\"\(output.name)\", …) or write it to get_output_path(\"\(output.name)\")"
        )
      }
      records.append(try store(output, at: path))
      FaultPoint.hit(.midwayOutputs)
    }
    try services.project.store.recordSignals(records)
    try services.project.store.recordSignals(try recordLoggedArtifacts())
    return records
  }

  /// Where the stage left an output (OutputLocator's places).
  private func locate(_ output: SignalDefinition) -> String? {
    OutputLocator.candidates(output, outputsDir: outputsDir).first { FileManager.default.fileExists(atPath: $0) }
  }

  func store(_ output: SignalDefinition, at path: String) throws(GoldfishError) -> SignalRecord {
    try confine(path, output)
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    let base = RunLayout.outputsKey(run.id) + "/"
    if !isDirectory.boolValue {
      let name = output.name + ((path as NSString).pathExtension.isEmpty ? "" : "." + (path as NSString).pathExtension)
      let (uri, size, hash) = try put(path, key: base + name)
      return SignalRecord(
        stageRunID: run.id, signal: output.name, direction: "output", signalType: output.type.rawValue, uri: uri,
        sizeBytes: size, hash: "sha256:" + hash)
    }
    let files = Self.files(in: path)
    var total: Int64 = 0
    var listing = ""
    for relative in files {
      try confine(path + "/" + relative, output)
      let (_, size, hash) = try put(path + "/" + relative, key: base + output.name + "/" + relative)
      total += size
      listing += "\(relative):\(hash)\n"
    }
    let folderURI = try uri(for: base + output.name) + "/"
    return SignalRecord(
      stageRunID: run.id, signal: output.name, direction: "output", signalType: output.type.rawValue, uri: folderURI,
      sizeBytes: total, hash: "sha256:" + SHA256Hasher.hex(of: Array(listing.utf8)))
  }

  /// A stage may leave a symlink where an output belongs; the host, outside any sandbox, would
  /// follow it and copy whatever file it names (a key, a password file) into storage.
  func confine(_ path: String, _ output: SignalDefinition) throws(GoldfishError) {
    guard PathConfinement.isInside(path, root: outputsDir) else {
      throw GoldfishError(
        .outputMissing, "output \(output.name) of stage \(run.stage) links outside the run's outputs folder",
        hint: "write the output's bytes into get_output_path(\"\(output.name)\") instead of a link to another place",
        detail: ["path": .string(path)])
    }
  }

  func put(_ path: String, key: String) throws(GoldfishError) -> (String, Int64, String) {
    let uri = try uri(for: key)
    do {
      let info = try services.storageClient.putFile(uri: uri, path: path)
      let hash = info.hash["sha256"] ?? (try? POSIXFile.sha256(of: path).sha256) ?? ""
      return (uri, info.size, hash)
    } catch {
      throw ExecutionServices.failure(error, while: "cannot store output file \(path)")
    }
  }

  func uri(for key: String) throws(GoldfishError) -> String {
    do {
      return try services.storageClient.uriFor(key: key)
    } catch {
      throw ExecutionServices.failure(error, while: "output file name \(key) is not storable")
    }
  }

  static func files(in folder: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    var files: [String] = []
    while let item = walker.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue
      {
        files.append(item)
      }
    }
    return files.sorted()
  }
}
