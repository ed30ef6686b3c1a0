import Foundation
import Host
import PluginKit

/// goldfish-bench: measurements that need to run inside one process, printed as JSON for
/// bench/run.py. Not shipped to users; never asserted in tests.
///
///   goldfish-bench abi-call --project DIR [--count N]
///   goldfish-bench store --project DIR --workspace W --run RUN_ID [--count N]
///   goldfish-bench hash [--mib N]
///
/// Times N uri_for calls of the `file` storage three ways: through the host (OpenedService.call,
/// the path every Goldfish operation takes), straight through the C function table, and as a
/// direct Swift call doing the same work (validate the key, join it to the root).

@inline(never)
func directURI(root: String, key: String) throws(PluginError) -> String {
  try StorageKey.validate(key)
  return "file://" + root + "/" + key
}

func nanosecondsPerCall(_ count: Int, _ body: () throws -> Int) rethrows -> (Double, Int) {
  var checksum = 0
  let start = DispatchTime.now().uptimeNanoseconds
  for _ in 0..<count { checksum &+= try body() }
  let elapsed = DispatchTime.now().uptimeNanoseconds - start
  return (Double(elapsed) / Double(count), checksum)
}

func option(_ name: String, in arguments: [String]) -> String? {
  guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
  return arguments[index + 1]
}

func abiCall(_ arguments: [String]) throws {
  guard let projectPath = option("--project", in: arguments) else {
    throw GoldfishError(.invalidArgument, "abi-call needs --project DIR")
  }
  let count = option("--count", in: arguments).flatMap(Int.init) ?? 100_000
  guard let location = try ProjectLocation.find(explicit: projectPath) else {
    throw GoldfishError(.configNotFound, "no project at \(projectPath)")
  }
  let project = try Project.open(location)
  let client = ObjectStorageClient(try project.plugins.openSelected(.objectStorage))
  let storage = client.service
  let key = "runs/stage-0123456789ab/outputs/model.pt"
  let request = URIForRequest(key: key)
  // Warm every path once so first-call costs (page faults, lazy binding) stay out of the loop.
  _ = try client.uriFor(request)
  let (host, hostSum) = try nanosecondsPerCall(count) {
    try client.uriFor(request).uri.utf8.count
  }

  let root = FileManager.default.temporaryDirectory.path + "/goldfish-bench-raw-\(getpid())"
  defer { try? FileManager.default.removeItem(atPath: root) }
  let raw = try RawStorage(
    path: storage.plugin.path, service: storage.info.name, configJSON: #"{"root": "\#(root)"}"#)
  let rawRequest = strdup(#"{"key": "\#(key)"}"#)!
  defer { free(rawRequest) }
  _ = raw.uriFor(rawRequest)
  let (rawTime, rawSum) = nanosecondsPerCall(count) { raw.uriFor(rawRequest) }

  _ = try directURI(root: root, key: key)
  let (direct, directSum) = try nanosecondsPerCall(count) { try directURI(root: root, key: key).utf8.count }

  let result: JSONValue = [
    "count": .int(Int64(count)), "plugin": .string(storage.plugin.path), "service": .string(storage.info.name),
    "host_call_ns": .double(host), "raw_abi_ns": .double(rawTime), "direct_swift_ns": .double(direct),
    "checksum": .int(Int64(hostSum &+ rawSum &+ directSum)),
  ]
  StdoutGuard.write(try JSONCoding.encode(result) + "\n")
}

/// The store queries an agent's calls make, timed in process so that process start does not
/// hide how they grow with the number of runs: status (active and recent runs, workspaces, slots),
/// one run's status poll, and the first page of a workspace's history.
func storeQueries(_ arguments: [String]) throws {
  guard let projectPath = option("--project", in: arguments), let workspace = option("--workspace", in: arguments),
    let runID = option("--run", in: arguments)
  else { throw GoldfishError(.invalidArgument, "store needs --project DIR --workspace W --run RUN_ID") }
  let count = option("--count", in: arguments).flatMap(Int.init) ?? 50
  guard let location = try ProjectLocation.find(explicit: projectPath) else {
    throw GoldfishError(.configNotFound, "no project at \(projectPath)")
  }
  let project = try Project.open(location)
  func median(_ body: () throws -> Int) throws -> Double {
    _ = try body()
    var samples: [Double] = []
    for _ in 0..<count {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try body()
      samples.append(Double(DispatchTime.now().uptimeNanoseconds - start))
    }
    return samples.sorted()[samples.count / 2]
  }
  let status = try median { try ProjectStatus(project: project).recentRuns.count }
  let poll = try median { try project.store.stageRun(runID)?.state.rawValue.count ?? 0 }
  let history = try median { try project.store.history(workspace: workspace, limit: 20, offset: 0).entries.count }
  let runs = try median { try project.store.stageRuns(workspace: workspace, limit: 20).count }
  let result: JSONValue = [
    "status_ns": .double(status), "poll_ns": .double(poll), "history_ns": .double(history),
    "list_runs_ns": .double(runs),
  ]
  StdoutGuard.write(try JSONCoding.encode(result) + "\n")
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
  switch arguments.first {
  case "abi-call": try abiCall(arguments)
  case "store": try storeQueries(arguments)
  case "hash": try hashThroughput(arguments)
  case "status-parts": try statusParts(arguments)
  default:
    FileHandle.standardError.write(Data("usage: goldfish-bench abi-call|store|hash …\n".utf8))
    exit(2)
  }
} catch {
  FileHandle.standardError.write(Data("goldfish-bench: \(error)\n".utf8))
  exit(1)
}
