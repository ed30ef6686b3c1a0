import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The header documents `profile.gpu` and `profile.spot` in the run spec: a backend that places
/// GPU machines reads them there, not from goldfish.yaml's profile definitions.
@Suite("the run spec's profile, as a backend receives it", .serialized)
struct RunSpecProfileTests {
  func launchedSpec(profile: String) throws -> JSONValue {
    let specFile = TestEnvironment.temporaryFolder("faultrun-spec") + "/spec.json"
    let faulty = try FaultRunProject(specFile: specFile)
    try faulty.fixture.write("configs/preprocess.yaml", "compute:\n  profile: \(profile)\n")
    let started = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root)
    #expect(started.status == 0, "\(started.stderr)")
    let run = try #require(try RunEndingTests.waitUntilRunning(faulty.project, "preprocess"))
    defer { _ = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: faulty.root) }
    return try JSONCoding.parse(try String(contentsOfFile: specFile, encoding: .utf8))
  }

  @Test("a GPU profile arrives with gpu {type, count} and spot, beside its whole definition")
  func gpuProfile() throws {
    let onDemand = try launchedSpec(profile: "h100-on-demand")["profile"]
    #expect(onDemand?["name"] == "h100-on-demand")
    #expect(onDemand?["gpu"] == ["type": "h100", "count": 8], "\(String(describing: onDemand))")
    #expect(onDemand?["spot"] == .bool(false))
    #expect(onDemand?["definition"]?["gpu"]?["accelerator"] == "nvidia-h100-80gb")
  }

  @Test("a CPU profile carries no gpu")
  func cpuProfile() throws {
    let cpu = try launchedSpec(profile: "cpu-small")["profile"]
    #expect(cpu?["name"] == "cpu-small")
    #expect(cpu?["gpu"] == nil, "\(String(describing: cpu))")
  }
}
