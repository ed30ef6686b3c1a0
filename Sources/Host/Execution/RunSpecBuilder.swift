import Foundation
import PluginKit
import PluginSupport

/// The run spec of one stage run: the command, the GOLDFISH_* environment the stage IO
/// library reads, its folders, profile and timeout. The stage config travels as a file, never
/// in the environment: a large config value would make exec fail ("Argument list too long").
struct RunSpecBuilder {
  /// The stage config's file name in the inputs folder; GOLDFISH_STAGE_CONFIG_FILE names it
  /// relative to GOLDFISH_INPUTS_DIR.
  static let configFileName = StageIO.stageConfigFileName

  let project: Project
  let pipelineRun: PipelineRunRecord
  let run: StageRunRecord
  let stage: StageDefinition
  let config: StageConfig

  func build(workDir: String, codeDir: String, inputs: [ResolvedInput]) throws(GoldfishError) -> RunSpec {
    let outputsDir = RunLayout.outputsDir(workDir: workDir)
    var stageConfig = config.values.objectValue ?? [:]
    stageConfig["stage"] = .string(stage.name)
    stageConfig["inputs"] = .object(
      Dictionary(
        uniqueKeysWithValues: inputs.map { input in
          (
            input.name,
            JSONValue.object([
              "location": .string(input.localPath),
              "format": input.format.map { .string($0) } ?? .string(Self.format(input.type)),
              "type": .string(input.type.rawValue), "schema": input.schema ?? .null,
            ])
          )
        }))
    stageConfig["outputs"] = .object(
      Dictionary(
        uniqueKeysWithValues: stage.outputs.map { output in
          (
            output.name,
            JSONValue.object([
              "format": output.format.map { .string($0) } ?? .string(Self.format(output.type)),
              "type": .string(output.type.rawValue), "schema": output.schema ?? .null,
            ])
          )
        }))
    guard let library = PythonLibrary.folder() else {
      throw GoldfishError(
        .runRefused, "cannot find the stage IO library (goldfish.io)",
        hint: "set \(StageIO.pythonPathVariable) to the folder that holds goldfish/io, or reinstall goldfish")
    }
    let checkpoints = try StageCheckpoints(store: project.store).inputs(config.checkpointsFrom, for: run.id)
    PythonLibrary.precompile(library)
    let configFile = try writeConfig(.object(stageConfig), into: RunLayout.inputsDir(workDir: workDir))
    let version = try project.store.version(of: run.workspace, run.version)
    var env = config.environment
    env.merge([
      StageIO.runIDVariable: run.id, StageIO.pipelineRunIDVariable: pipelineRun.id,
      StageIO.workspaceVariable: run.workspace, StageIO.stageVariable: stage.name,
      StageIO.projectNameVariable: project.settings.projectName, StageIO.versionVariable: "v\(run.version)",
      StageIO.gitSHAVariable: version?.sha ?? "", StageIO.inputsDirVariable: RunLayout.inputsDir(workDir: workDir),
      StageIO.outputsDirVariable: outputsDir, StageIO.stageConfigFileVariable: Self.configFileName,
      "PYTHONPATH": library + ":" + codeDir, StageIO.pythonPathVariable: library, "PYTHONUNBUFFERED": "1",
      "PYTHONDONTWRITEBYTECODE": "1",
    ]) { _, goldfish in goldfish }
    return RunSpec(
      runId: run.id, command: ["python3", "-m", "goldfish.io.bootstrap", "modules.\(stage.name)"], workDir: workDir,
      env: env, codeDir: codeDir,
      // Listed as an input so that every backend carries it to where the stage runs.
      inputs: inputs.map {
        RunInput(name: $0.name, type: $0.type.rawValue, uri: $0.lineage.uri, localPath: $0.localPath)
      } + [RunInput(name: Self.configFileName, type: SignalType.file.rawValue, uri: nil, localPath: configFile)]
        + checkpoints,
      outputsDir: outputsDir, profile: profile(),
      timeoutSeconds: config.maxRuntimeSeconds ?? project.config.defaults.timeoutSeconds,
      labels: ["goldfish-project": project.settings.projectName, "goldfish-run": run.id],
      workspace: run.workspace, version: "v\(run.version)", stage: stage.name)
  }

  private func writeConfig(_ config: JSONValue, into folder: String) throws(GoldfishError) -> String {
    let path = folder + "/" + Self.configFileName
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      let text = try JSONCoding.encode(config)
      try POSIXFile.atomicWrite(to: path, mode: 0o444) { (fd: Int32) throws(PluginError) in
        try POSIXFile.writeAll(fd, Array(text.utf8), path)
      }
    } catch let error as PluginError {
      throw GoldfishError(.ioFailed, "cannot write the stage config of \(stage.name): \(error.message)")
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the stage config of \(stage.name): \(error.localizedDescription)")
    }
    return path
  }

  /// The profile's local limits; jobs.container_* in goldfish.yaml win over the profile's.
  private func profile() -> ResourceProfile {
    let name = config.profileName ?? "cpu-small"
    let definition = project.config.profiles.definitions[name]
    let jobs = project.config.jobs
    return ResourceProfile(
      name: name, cpus: jobs.containerCPUs ?? definition?.localCPUs,
      memoryMb: jobs.containerMemory.map { Int($0.bytes >> 20) } ?? definition?.localMemoryMB,
      pids: jobs.containerPIDs, network: project.config.docker.network == .host ? true : nil,
      gpu: definition.flatMap(Self.gpu), spot: definition.map { $0.preemptibleAllowed && !$0.onDemandAllowed },
      machineType: definition?.machineType, definition: definition?.json)
  }

  /// The GPUs a profile asks for, as the header documents `profile.gpu`; nil for none.
  static func gpu(_ definition: ResourceProfileDefinition) -> GPURequest? {
    definition.gpu.count > 0 && definition.gpu.type != "none"
      ? GPURequest(type: definition.gpu.type, count: definition.gpu.count) : nil
  }

  static func format(_ type: SignalType) -> String {
    switch type {
    case .npy: return "npy"
    case .csv: return "csv"
    case .directory: return "directory"
    case .file: return "file"
    case .dataset: return "dataset"
    }
  }
}
