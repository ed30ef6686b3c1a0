import Foundation

/// Run ids are short, unique and safe in paths, env values and storage keys.
public enum RunIdentifiers {
  static func stageRun() -> String { "stage-" + random() }
  static func pipelineRun() -> String { "prun-" + random() }

  private static func random() -> String {
    UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12).description
  }

  /// A run id from a user as it may appear in a message: ours unchanged, anything else escaped
  /// and cut (a 1 MB or multi-line "id" must not become a 1 MB or multi-line error).
  public static func display(_ id: String) -> String {
    let plain =
      id.utf8.count <= 80
      && id.unicodeScalars.allSatisfy {
        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
      }
    return plain ? id : NameRule.quoted(id)
  }
}
