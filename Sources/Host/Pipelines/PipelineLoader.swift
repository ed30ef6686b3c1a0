import Foundation
import PluginKit
import Yams

/// What parsing a pipeline file gave: the definition when the file could be read as one, and every
/// problem found on the way (unknown keys, wrong types, missing `schema:`).
public struct PipelineLoadResult: Sendable {
  public var definition: PipelineDefinition?
  public var issues: [PipelineIssue]
}

/// Reads `pipeline.yaml` (or `pipelines/<name>.yaml`) into a `PipelineDefinition`.
///
/// Inputs and outputs may be written as a mapping (`features: {type: npy, …}`) or a list
/// (`- {name: features, type: npy, …}`), with upstream's shorthands: a bare string list item is an
/// input of type dataset / an output of type directory, a string value of a mapping-form input names
/// its dataset, and any non-mapping value of a mapping-form output is a directory. Because `schema:`
/// is mandatory, shorthand signals are reported with the full form to write instead.
public enum PipelineLoader {
  /// The file a pipeline lives in, relative to the workspace.
  public static func file(for pipeline: String?) -> String {
    pipeline.map { "pipelines/\($0).yaml" } ?? "pipeline.yaml"
  }

  /// Parses and throws `pipeline_invalid` on any error (warnings are dropped).
  public static func load(
    workspaceDirectory: String, pipeline: String? = nil
  ) throws(GoldfishError)
    -> PipelineDefinition
  {
    let result = parse(workspaceDirectory: workspaceDirectory, pipeline: pipeline)
    if let error = result.issues.asError() { throw error }
    guard let definition = result.definition else {
      throw GoldfishError(.pipelineInvalid, "\(file(for: pipeline)) could not be read")
    }
    return definition
  }

  public static func parse(workspaceDirectory: String, pipeline: String? = nil) -> PipelineLoadResult {
    if let pipeline {
      do throws(GoldfishError) { try Names.pipeline(pipeline) } catch {
        // The name is not a file name: the issue names it by a short quote, not in full.
        let file = Self.file(for: ValueQuote.short(pipeline))
        return PipelineLoadResult(definition: nil, issues: [PipelineIssue(.error, file: file, error.message)])
      }
    }
    let relative = file(for: pipeline)
    func failure(_ message: String) -> PipelineLoadResult {
      PipelineLoadResult(definition: nil, issues: [PipelineIssue(.error, file: relative, message)])
    }
    let path: String
    do throws(GoldfishError) {
      path = try PathConfinement.resolve(relative, under: workspaceDirectory)
    } catch {
      return failure(error.message)
    }
    let text: String?
    do throws(GoldfishError) { text = try YAMLLimits.read(path, file: relative) } catch {
      return failure(error.message)
    }
    guard let text else {
      var message = "the workspace has no \(relative)"
      if pipeline != nil {
        let names = available(in: workspaceDirectory)
        message += names.isEmpty ? "" : "; pipelines here: \(names.joined(separator: ", "))"
      } else {
        message += "; create it with a `stages:` list (see docs/pipelines.md)"
      }
      return failure(message)
    }
    return parse(
      yaml: text, file: relative, defaultName: pipeline ?? "pipeline",
      namedPipeline: pipeline)
  }

  /// Named pipelines found under `pipelines/`.
  public static func available(in workspaceDirectory: String) -> [String] {
    let folder = workspaceDirectory + "/pipelines"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return entries.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
  }

  public static func parse(
    yaml text: String, file: String = "pipeline.yaml", defaultName: String = "pipeline"
  )
    -> PipelineLoadResult
  {
    parse(yaml: text, file: file, defaultName: defaultName, namedPipeline: nil)
  }

  static func parse(
    yaml text: String, file: String, defaultName: String, namedPipeline: String?
  )
    -> PipelineLoadResult
  {
    // ConfigDocument insists on a top-level mapping and words its refusal for goldfish.yaml; check
    // the shape first so the message speaks of pipelines.
    let document: ConfigDocument
    do throws(GoldfishError) {
      try YAMLLimits.check(text, file: file)
      let node = try ConfigDocument.compose(text, file: file)
      if let node, node.mapping == nil {
        return PipelineLoadResult(
          definition: nil,
          issues: [PipelineIssue(.error, file: file, line: 1, "must be a mapping with name:, description: and stages:")]
        )
      }
      document = try ConfigDocument(composed: node, path: file)
    } catch {
      return PipelineLoadResult(definition: nil, issues: [PipelineIssue(.error, file: file, error.message)])
    }
    var parser = PipelineParser(document: document, file: file)
    let definition = parser.pipeline(defaultName: defaultName, namedPipeline: namedPipeline)
    return PipelineLoadResult(definition: definition, issues: parser.issues)
  }
}
