import Foundation
import PluginKit

/// Where a stage may have left an output, in the order to look: what outputs.json says, then
/// the conventional names. The output recorder and the contract checks look in the same places.
enum OutputLocator {
  static func candidates(_ output: SignalDefinition, outputsDir: String) -> [String] {
    let manifest = (try? String(contentsOfFile: StageIO.outputsManifest(outputsDir: outputsDir), encoding: .utf8))
      .flatMap { try? JSONCoding.parse($0) }
    var candidates: [String] = []
    if let relative = manifest?[output.name]?["path"]?.stringValue, !relative.contains("..") {
      candidates.append(outputsDir + "/" + relative)
    }
    switch output.type {
    case .npy: candidates.append(outputsDir + "/\(output.name).npy")
    case .csv: candidates.append(outputsDir + "/\(output.name).csv")
    default: break
    }
    candidates.append(outputsDir + "/" + output.name)
    return candidates
  }
}
