import Foundation
import PluginKit
import PluginSupport

/// Puts each input at `<inputs>/<name>`: a copy, or a symlink when the job asks for one.
/// Sources are local paths, `file://` URIs or `gs://` objects and folders.
enum InputStager {
  /// `storageOptions`: the mailbox's storage settings (its `endpoint`), which reach the bucket
  /// inputs are in too: a VM of the local stand-in has no STORAGE_EMULATOR_HOST, only its config.
  static func stage(
    _ inputs: [AgentInput], into folder: String, storageOptions: [String: JSONValue] = [:]
  ) throws(PluginError) {
    for input in inputs {
      let destination = folder + "/" + input.name
      if input.source.hasPrefix("gs://") {
        // A VM's inputs (and its code) come from Cloud Storage.
        try GCSInputFetcher.fetch(input.source, to: destination, input: input.name, options: storageOptions)
        continue
      }
      let source = try localSource(input)
      guard POSIXFile.fileInfo(source) != nil else {
        throw PluginError(.notFound, "input \(input.name): \(input.source) does not exist")
      }
      do {
        if input.link {
          try FileManager.default.createSymbolicLink(atPath: destination, withDestinationPath: source)
        } else {
          try FileManager.default.copyItem(atPath: source, toPath: destination)
        }
      } catch {
        throw PluginError(
          .io, "input \(input.name): cannot stage \(input.source) into \(destination): \(error.localizedDescription)")
      }
    }
  }

  static func localSource(_ input: AgentInput) throws(PluginError) -> String {
    var path = input.source
    if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
    guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
      throw PluginError(
        .unsupported,
        "input \(input.name): cannot stage \(input.source.debugDescription); this agent stages local absolute paths and file:// URIs"
      )
    }
    return path
  }
}
