import Foundation

/// Run ids are short, unique and safe in paths, env values and storage keys.
enum RunIdentifiers {
  static func stageRun() -> String { "stage-" + random() }
  static func pipelineRun() -> String { "prun-" + random() }

  private static func random() -> String {
    UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12).description
  }
}
