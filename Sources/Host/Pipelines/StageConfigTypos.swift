import Foundation
import Yams

/// upstream's validate_config check of `configs/*.yaml`: a top-level key one or two letters away
/// from a hyper-parameter name stages commonly read (`learning_rte`) is most likely a typo the
/// stage will never see, so it is worth a warning before a run spends hours without it.
public enum StageConfigTypos {
  public static let commonKeys = [
    "learning_rate", "lr", "batch_size", "epochs", "seed", "weight_decay", "dropout", "optimizer", "scheduler",
    "freeze_backbone",
  ]

  public struct Finding: Sendable, Equatable {
    /// `configs/<file>.yaml`, relative to the slot.
    public var file: String
    public var key: String
    public var suggestion: String
    public var message: String { "\(file): \"\(key)\" is not a common key; did you mean \"\(suggestion)\"?" }
  }

  /// The findings for every `configs/*.yaml` of `slotDir`, and the files read (relative paths).
  public static func check(slotDir: String) -> (findings: [Finding], files: [String]) {
    let folder = slotDir + "/configs"
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    var findings: [Finding] = []
    var files: [String] = []
    for name in names {
      let relative = "configs/" + name
      // Configs are small; a huge or unreadable one is the pipeline validator's to report.
      guard let data = FileManager.default.contents(atPath: folder + "/" + name), data.count <= 1 << 20 else {
        continue
      }
      files.append(relative)
      guard let mapping = (try? Yams.load(yaml: String(decoding: data, as: UTF8.self))) as? [String: Any] else {
        continue
      }
      for key in mapping.keys.sorted() where !commonKeys.contains(key) {
        // Two-letter keys (lr, l2…) are too short to tell a typo from a name.
        guard key.count > 3, let near = Suggest.closest(to: key, in: commonKeys), near.count > 3 else { continue }
        findings.append(Finding(file: relative, key: key, suggestion: near))
      }
    }
    return (findings, files)
  }
}
