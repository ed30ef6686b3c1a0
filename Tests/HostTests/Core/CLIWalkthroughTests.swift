import Foundation
import Testing

@testable import GoldfishTestSupport

/// The walkthrough of docs/quickstart.md, through the real CLI.
@Suite("CLI walkthrough")
struct CLIWalkthroughTests {
  @Test("init, create, mount, edit, checkpoint, diff, rollback, history, status")
  func walkthrough() throws {
    let folder = TestEnvironment.temporaryFolder("walk")
    func goldfish(_ arguments: String...) -> CommandResult {
      let result = Command.goldfish(arguments, cwd: folder + "/mnist")
      #expect(result.status == 0, "goldfish \(arguments.joined(separator: " ")): \(result.stderr)")
      return result
    }
    #expect(Command.goldfish(["init", "mnist"], cwd: folder).status == 0)
    _ = goldfish(
      "workspace", "create", "baseline", "--goal", "a first working model", "--reason", "start with the simplest model")
    _ = goldfish("workspace", "mount", "baseline", "w1", "--reason", "edit the baseline model")
    try "lr = 0.1\n".write(toFile: folder + "/mnist/workspaces/w1/train.py", atomically: true, encoding: .utf8)
    #expect(goldfish("workspace", "checkpoint", "w1", "--message", "first try").stdout.contains("baseline v1"))
    try "lr = 0.01\n".write(toFile: folder + "/mnist/workspaces/w1/train.py", atomically: true, encoding: .utf8)
    let diff = goldfish("workspace", "diff", "w1")
    #expect(diff.stdout.contains("-lr = 0.1") && diff.stdout.contains("+lr = 0.01"))
    _ = goldfish("workspace", "rollback", "w1", "v1", "--reason", "the smaller rate was worse")
    #expect(try String(contentsOfFile: folder + "/mnist/workspaces/w1/train.py", encoding: .utf8) == "lr = 0.1\n")
    let history = goldfish("workspace", "history", "baseline")
    #expect(history.stdout.contains("v1") && history.stdout.contains("v2"))
    // A pipeline: refused with the stage and line while its module is missing, valid once written.
    let slot = folder + "/mnist/workspaces/w1"
    try "name: pipeline\nstages:\n  - name: train\n    outputs:\n      model: {type: file, schema: null}\n"
      .write(toFile: slot + "/pipeline.yaml", atomically: true, encoding: .utf8)
    let invalid = Command.goldfish(["pipeline", "validate", "w1"], cwd: folder + "/mnist")
    #expect(invalid.status == 1)
    #expect(invalid.stdout.contains("stage train") && invalid.stdout.contains("modules/train.py"), "\(invalid.stdout)")
    try "print('training')\n".write(toFile: slot + "/modules/train.py", atomically: true, encoding: .utf8)
    #expect(goldfish("pipeline", "validate", "w1").stdout.contains("is valid"))
    // The project's object storage from the command line.
    try "payload".write(toFile: folder + "/blob.txt", atomically: true, encoding: .utf8)
    #expect(goldfish("storage", "put", folder + "/blob.txt", "data/blob.txt").stdout.contains("7 bytes"))
    #expect(goldfish("storage", "list", "data/").stdout.contains("data/blob.txt"))
    #expect(goldfish("storage", "stat", "data/blob.txt").stdout.contains("\"size\" : 7"))
    _ = goldfish("storage", "get", "data/blob.txt", folder + "/back.txt")
    #expect(try String(contentsOfFile: folder + "/back.txt", encoding: .utf8) == "payload")
    let status = goldfish("status", "--json")
    let object = try #require(try status.json() as? [String: Any])
    #expect((object["slots"] as? [[String: Any]])?.first?["workspace"] as? String == "baseline")
    let error = Command.goldfish(["workspace", "mount", "baseline", "w2", "--reason", "x"], cwd: folder + "/mnist")
    #expect(error.status == 2)
    #expect(error.stderr.contains("at least 15"))
  }
}
