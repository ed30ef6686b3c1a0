import Foundation
import PluginKit
import PluginSupport

@testable import GoldfishTestSupport
@testable import Host

/// The local Slurm cluster (scripts/slurm-local.sh, started by scripts/test.sh): slurmrestd with
/// JWT over TCP and local auth over a unix socket, SLURM_CONF for the command-line tools.
enum SlurmSupport {
  static let environment = ProcessInfo.processInfo.environment
  static let url = environment["GOLDFISH_SLURM_URL"] ?? ""
  static let socket = environment["GOLDFISH_SLURM_SOCKET"] ?? ""
  static let tokenFile = environment["GOLDFISH_SLURM_TOKEN_FILE"] ?? ""
  static let user = environment["GOLDFISH_SLURM_USER"] ?? "root"
  /// A node alone in the `spare` partition, which the rare-state tests may fail.
  static let spareNode = environment["GOLDFISH_SLURM_SPARE_NODE"] ?? ""
  static let available = !url.isEmpty && !socket.isEmpty && environment["SLURM_CONF"] != nil
  static let reason = "needs the local Slurm cluster (source scripts/slurm-local.sh; slurm_local_start)"

  /// The section for JWT over TCP; `extra` adds or replaces keys.
  static func config(_ extra: [String: JSONValue] = [:]) -> JSONValue {
    var fields: [String: JSONValue] = [
      "url": .string(url), "user": .string(user), "token_file": .string(tokenFile), "partition": "debug",
      // The built-in profiles ask for a cloud machine's shape; the test node has 2 CPUs and 1000 MB.
      "profiles": ["cpu-small": ["cpus": 1, "memory_mb": 100]],
    ]
    for (key, value) in extra { fields[key] = value }
    return .object(fields)
  }

  static func backend(_ config: JSONValue = config()) throws -> OpenedService {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishSlurm"), origin: "test")])
    return try registry.open(.runBackend, "slurm", config: config)
  }

  /// The goldfish.yaml lines that put the sample pipeline on this cluster.
  static func yaml(_ extra: String = "") -> String {
    "\nslurm:\n  url: \(url)\n  user: \(user)\n  token_file: \(tokenFile)\n  partition: debug\n"
      + "  profiles:\n    cpu-small: {cpus: 1, memory_mb: 100}\n" + extra
  }

  static func sampleProject(_ extra: String = "") throws -> ProjectFixture {
    try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: process", with: "  backend: slurm") + yaml(extra)
    }
  }

  static func spec(
    _ label: String, command: [String], timeout: Int? = nil, profile: ResourceProfile? = nil
  ) -> RunSpec {
    let runId = "stage-\(label)-" + UUID().uuidString.prefix(8).lowercased()
    let work = TestEnvironment.temporaryFolder("slurm-\(label)") + "/work"
    return RunSpec(
      runId: runId, command: command, workDir: work, env: ["GOLDFISH_OUTPUTS_DIR": work + "/outputs"],
      outputsDir: work + "/outputs", profile: profile ?? ResourceProfile(name: "cpu-small"), timeoutSeconds: timeout,
      labels: ["goldfish-project": "slurm-tests", "goldfish-run": runId])
  }

  static func status(_ backend: OpenedService, _ handle: JSONValue) throws -> RunStatus {
    try JSONCoding.convert(try backend.call("status", ["handle": handle]), to: RunStatus.self)
  }

  /// Polls until `done` holds for the status, or the deadline passes; the last status either way.
  static func wait(
    _ backend: OpenedService, _ handle: JSONValue, seconds: TimeInterval = 60, until done: (RunStatus) -> Bool
  ) throws -> RunStatus {
    let deadline = Date().addingTimeInterval(seconds)
    var last = try status(backend, handle)
    while !done(last) && Date() < deadline {
      usleep(100_000)
      last = try status(backend, handle)
    }
    return last
  }

  /// A Slurm command-line tool against the local cluster (SLURM_CONF is in the environment).
  static func tool(_ argv: [String]) -> CommandResult {
    Command.run(argv)
  }
}

extension SlurmSupport {
  /// Storage emulator and Slurm both: the object-storage mode's tests.
  static let stagingAvailable = available && GCSSupport.available
  static let stagingReason = "needs the local Slurm cluster and the storage emulator (scripts/test.sh starts both)"

  /// The sample pipeline with gcs storage on the emulator and `slurm.data: object-storage`:
  /// the cluster is told nothing of the host's folders. Returns the storage prefix too.
  static func objectStorageProject(_ extra: String = "") throws -> (ProjectFixture, String) {
    try GCSSupport.ensureBucket()
    let prefix = "slurm-" + UUID().uuidString.prefix(8).lowercased()
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: process", with: "  backend: slurm")
        .replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)\n  chunk_size_mb: 0.25\n"
        + yaml(
          "  data: object-storage\n  environment:\n    STORAGE_EMULATOR_HOST: \(GCSSupport.emulator ?? "")\n" + extra)
    }
    return (fixture, prefix)
  }

  /// An object of the emulator's test bucket, or nil when there is none.
  static func storedObject(_ name: String) throws -> [UInt8]? {
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name) + "?alt=media"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    return response.status == 200 ? response.body : nil
  }
}
