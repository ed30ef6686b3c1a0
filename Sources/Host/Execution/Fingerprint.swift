import Foundation
import PluginKit
import PluginSupport

/// What a stage's result depends on: the workspace's code (other stages' own modules and
/// configs aside), its merged config, its inputs and the environment goldfish.yaml gives it (the
/// stage image's recipe, for containerized backends). Two runs with the same fingerprint
/// produce interchangeable outputs, so a re-run can reuse the earlier one.
enum Fingerprint {
  static func of(
    stage: StageDefinition, definition: PipelineDefinition, codeDir: String, config: JSONValue, inputs: [ResolvedInput],
    environment: String = ""
  ) -> String {
    let others = Set(definition.stages.map(\.name)).subtracting([stage.name])
    var hasher = SHA256Hasher()
    hasher.update(Array("stage:\(stage.name)\n".utf8))
    for file in codeFiles(codeDir) where !belongsToOther(file, others) {
      guard let data = FileManager.default.contents(atPath: codeDir + "/" + file) else { continue }
      hasher.update(Array("file:\(file):\(SHA256Hasher.hex(of: [UInt8](data)))\n".utf8))
    }
    hasher.update(Array("config:\((try? JSONCoding.encode(config)) ?? "")\n".utf8))
    for input in inputs.sorted(by: { $0.name < $1.name }) {
      hasher.update(Array("input:\(input.name)=\(input.identity)\n".utf8))
    }
    // Empty for the process backend, so fingerprints of earlier runs stay valid.
    if !environment.isEmpty { hasher.update(Array("environment:\(environment)".utf8)) }
    return hasher.finalizeHex()
  }

  private static func codeFiles(_ folder: String) -> [String] {
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

  private static func belongsToOther(_ file: String, _ others: Set<String>) -> Bool {
    for stage in others
    where file == "modules/\(stage).py" || file == "modules/\(stage).rs" || file == "configs/\(stage).yaml" {
      return true
    }
    return false
  }
}
