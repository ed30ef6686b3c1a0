import Foundation
import PluginKit

/// `list_runs` for the process backend: launch notes each job (its handle and labels) in the
/// project's `.goldfish/process-runs/`, cleanup removes the note, so jobs the host lost track of
/// (killed between launch answering and the handle being stored) are found by their labels.
extension ProcessBackend: RunListingBackend {
  var jobNotes: String? { stateDir.map { $0 + "/process-runs" } }

  /// Notes a job just launched; a failure to note it costs only its findability.
  func noteJob(runID: String, handle: JSONValue, labels: [String: String]) {
    guard let folder = jobNotes, RunIdentifierCheck.isPlain(runID) else { return }
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let note: JSONValue = ["handle": handle, "labels": .object(labels.mapValues { .string($0) })]
    guard let text = try? JSONCoding.encode(note) else { return }
    try? text.write(toFile: folder + "/" + runID + ".json", atomically: true, encoding: .utf8)
  }

  func forgetJob(handle: JSONValue) {
    guard let folder = jobNotes, let runID = handle["run_id"]?.stringValue, RunIdentifierCheck.isPlain(runID)
    else { return }
    try? FileManager.default.removeItem(atPath: folder + "/" + runID + ".json")
  }

  func listRuns(labels: [String: String]) throws(PluginError) -> [ListedRun] {
    guard let folder = jobNotes else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name -> ListedRun? in
      guard let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8),
        let note = try? JSONCoding.parse(text), let handle = note["handle"],
        let noted = note["labels"]?.objectValue
      else { return nil }
      let jobLabels = noted.compactMapValues(\.stringValue)
      guard labels.allSatisfy({ jobLabels[$0.key] == $0.value }) else { return nil }
      let state = (try? RunFolder.of(handle).status())?.state.rawValue
      return ListedRun(handle: handle, labels: jobLabels, state: state)
    }
  }
}

/// Run ids become file names: only plain ones (no slash, no dot-dot) are noted.
enum RunIdentifierCheck {
  static func isPlain(_ id: String) -> Bool {
    !id.isEmpty && id.count <= 128 && !id.hasPrefix(".")
      && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
  }
}
