import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `goldfish web` against a real project with real runs of the sample pipeline, over a real
/// socket: the JSON API, the pages, and who may read them.
@Suite(.serialized) struct WebServerTests {
  /// The sample project after two runs of its pipeline (the second with another learning rate).
  static func projectWithRuns() throws -> (ProjectFixture, [StageRunRecord], [StageRunRecord]) {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (_, first) = try SamplePipeline.run(fixture)
    let (_, second) = try SamplePipeline.run(fixture, overrides: ["train.learning_rate": .double(0.1)], rerun: true)
    return (fixture, first, second)
  }

  static func projectID(_ server: WebServerProcess, root: String) throws -> String {
    let projects = try #require(try server.get("/api/v1/projects").json() as? [[String: Any]])
    let standard = URL(fileURLWithPath: root).standardizedFileURL.path
    return try #require(projects.first { ($0["root"] as? String) == standard }?["id"] as? String)
  }

  @Test func apiAnswersFromTheProjectsRuns() throws {
    let (fixture, first, second) = try Self.projectWithRuns()
    let server = try WebServerProcess(arguments: ["--project", fixture.root])
    defer { server.stop() }
    let id = try Self.projectID(server, root: fixture.root)
    let api = "/api/v1/projects/\(id)"

    let page = try #require(try server.get(api + "/runs?limit=2").json() as? [String: Any])
    #expect(page["total"] as? Int == first.count + second.count)
    let listed = try #require(page["runs"] as? [[String: Any]])
    #expect(listed.count == 2)
    let train = try #require(first.first { $0.stage == "train" })
    let train2 = try #require(second.first { $0.stage == "train" })

    let detail = try #require(try server.get(api + "/runs/\(train.id)").json() as? [String: Any])
    #expect(detail["stage"] as? String == "train" && detail["state"] as? String == train.state.rawValue)
    #expect((detail["outputs"] as? [[String: Any]])?.first?["signal"] as? String == "model")

    let metrics = try #require(try server.get(api + "/runs/\(train.id)/metrics?points=20").json() as? [String: Any])
    let loss = try #require((metrics["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "loss" })
    #expect(loss["count"] as? Int == 200 && loss["downsampled"] as? Bool == true)
    let values = try #require(loss["points"] as? [[String: Any]]).compactMap { $0["value"] as? Double }
    #expect(values.count <= 20 && values.count >= 10)
    // Downsampled, the series keeps its extremes.
    let lowest = try #require(loss["min"] as? Double)
    let highest = try #require(loss["max"] as? Double)
    #expect(values.contains(lowest) && values.contains(highest))

    let logs = try #require(try server.get(api + "/runs/\(train.id)/logs?tail=5").json() as? [String: Any])
    #expect((logs["text"] as? String)?.contains("trained: a=") == true)

    let lineage = try #require(try server.get(api + "/runs/\(train.id)/lineage").json() as? [String: Any])
    let nodes = try #require(lineage["nodes"] as? [[String: Any]]).compactMap { $0["id"] as? String }
    let preprocess = try #require(first.first { $0.stage == "preprocess" })
    let evaluate = try #require(first.first { $0.stage == "evaluate" })
    #expect(nodes.contains("run:\(preprocess.id)") && nodes.contains("run:\(evaluate.id)"))
    #expect(nodes.contains("source:points") && nodes.contains("version:line@v\(train.version)"))

    let project = try #require(try server.get(api + "/lineage?limit=3").json() as? [String: Any])
    #expect(project["total"] as? Int == first.count + second.count && project["limit"] as? Int == 3)
    let drawn = try #require((project["graph"] as? [String: Any])?["nodes"] as? [[String: Any]])
    let drawnRuns = Set(drawn.compactMap { $0["run"] as? String })
    #expect(Set(second.map(\.id)).isSubset(of: drawnRuns))
    let everything = try #require(try server.get(api + "/lineage").json() as? [String: Any])
    let edges = try #require((everything["graph"] as? [String: Any])?["edges"] as? [[String: Any]])
    #expect(edges.contains { $0["from"] as? String == "run:\(train.id)" && $0["signal"] as? String == "model" })
    #expect(server.get(api + "/lineage?limit=0").status == 400)

    let comparison = try #require(
      try server.get(api + "/compare?runs=\(train.id),\(train2.id)").json() as? [String: Any])
    let entries = try #require(comparison["entries"] as? [[String: Any]])
    let changed = (entries.last?["config_diff"] as? [String: Any])?["changed"] as? [String: Any]
    #expect(changed?["learning_rate"] != nil)
    #expect((comparison["curves"] as? [[String: Any]])?.first?["runs"] as? [String] == [train.id, train2.id])

    let sources = try #require(try server.get(api + "/sources").json() as? [[String: Any]])
    #expect(sources.contains { $0["name"] as? String == "points" })
    let versions = try #require(try server.get(api + "/workspaces/line/versions").json() as? [[String: Any]])
    #expect(!versions.isEmpty)
    let pool = try #require(try server.get(api + "/pool").json() as? [String: Any])
    #expect(pool["backend"] as? String != nil)
    let status = try #require(try server.get(api).json() as? [String: Any])
    #expect(status["project_name"] as? String == fixture.project.settings.projectName)

    let missing = server.get(api + "/runs/stage-nope")
    #expect(missing.status == 404)
    #expect(((try missing.json() as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "not_found")
    #expect(server.get(api + "/runs?limit=0").status == 400)
  }

  @Test func pagesRenderTheRunsAndTheirCharts() throws {
    let (fixture, first, second) = try Self.projectWithRuns()
    let server = try WebServerProcess(arguments: ["--project", fixture.root])
    defer { server.stop() }
    let id = try Self.projectID(server, root: fixture.root)
    let train = try #require(first.first { $0.stage == "train" })
    let train2 = try #require(second.first { $0.stage == "train" })

    let overview = server.get("/p/\(id)")
    #expect(overview.status == 200 && overview.body.contains(train.id) && overview.body.contains("STATE.md"))
    let run = server.get("/p/\(id)/runs/\(train.id)")
    #expect(run.status == 200 && run.body.contains("<svg class=chart data-metric=\"loss\""))
    #expect(run.body.contains("trained: a="))
    let compare = server.get("/p/\(id)/compare?run=\(train.id)&run=\(train2.id)")
    #expect(compare.body.contains("data-run=\"\(train.id)\"") && compare.body.contains("data-run=\"\(train2.id)\""))
    #expect(compare.body.contains("learning_rate"))
    let lineage = server.get("/p/\(id)/runs/\(train.id)/lineage")
    #expect(lineage.body.contains("href=\"/p/\(id)/runs/\(first.first { $0.stage == "preprocess" }?.id ?? "?")\""))
    let workspace = server.get("/p/\(id)/w/line?from=v1&to=v\(train2.version)")
    #expect(workspace.status == 200 && workspace.body.contains("id=versions"))
    #expect(server.get("/p/\(id)/pool").status == 200)
    #expect(server.get("/p/nope").status == 404)
  }

  @Test func theServerIsReadOnlyAndAnswersOnlyItsOwnAddress() throws {
    let fixture = try SamplePipeline.project()
    let server = try WebServerProcess(arguments: ["--project", fixture.root])
    defer { server.stop() }
    #expect(server.get("/api/v1/projects", ["-X", "POST"]).status >= 400)
    #expect(server.get("/api/v1/projects", ["-X", "DELETE"]).status >= 400)
    let rebound = server.get("/api/v1/projects", ["-H", "Host: attacker.example:\(server.port)"])
    #expect(rebound.status == 421)
    let page = server.get("/", ["-H", "Origin: http://attacker.example"])
    #expect(page.status == 200 && !page.headers.lowercased().contains("access-control-allow-origin"))
  }

  @Test func aServerBoundBeyond127001RequiresTheToken() throws {
    let fixture = try SamplePipeline.project()
    let server = try WebServerProcess(host: "127.0.0.2", arguments: ["--project", fixture.root])
    defer { server.stop() }
    let tokenFile = server.home + "/.goldfish/web/token"
    let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let mode = try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    #expect(server.get("/api/v1/projects").status == 401)
    #expect(server.get("/api/v1/projects", ["-H", "Authorization: Bearer wrong"]).status == 401)
    #expect(server.get("/api/v1/projects", ["-H", "Authorization: Bearer \(token)"]).status == 200)
    let visit = server.get("/?token=\(token)")
    #expect(visit.status == 303 && visit.headers.contains("goldfish_web_token=\(token)"))
    #expect(server.get("/", ["-H", "Cookie: goldfish_web_token=\(token)"]).status == 200)
  }

  @Test func statusAndStopFindTheServerThroughItsHome() throws {
    let fixture = try SamplePipeline.project()
    let server = try WebServerProcess(arguments: ["--project", fixture.root])
    defer { server.stop() }
    let status = Command.goldfish(["web", "status", "--json"], environment: ["HOME": server.home])
    let info = try #require(try status.json() as? [String: Any])
    #expect(info["running"] as? Bool == true)
    #expect((info["server"] as? [String: Any])?["port"] as? Int == server.port)
    let stop = Command.goldfish(["web", "stop"], environment: ["HOME": server.home])
    #expect(stop.status == 0, "\(stop.stderr)")
    server.process.waitUntilExit()
    let after = try #require(
      try Command.goldfish(["web", "status", "--json"], environment: ["HOME": server.home]).json() as? [String: Any])
    #expect(after["running"] as? Bool == false)
  }

  @Test func detachRunsTheServerInTheBackgroundUntilStopped() throws {
    let fixture = try SamplePipeline.project()
    let home = TestEnvironment.temporaryFolder("web-home")
    let started = Command.goldfish(
      ["web", "--detach", "--port", "0", "--project", fixture.root], environment: ["HOME": home])
    #expect(started.status == 0, "\(started.stderr)")
    defer { _ = Command.goldfish(["web", "stop"], environment: ["HOME": home]) }
    #expect(started.stdout.contains("in the background"))
    let status = try #require(
      try Command.goldfish(["web", "status", "--json"], environment: ["HOME": home]).json() as? [String: Any])
    let server = try #require(status["server"] as? [String: Any])
    #expect(status["running"] as? Bool == true && server["detached"] as? Bool == true)
    let port = try #require(server["port"] as? Int)
    let answer = Command.run(
      ["/usr/bin/curl", "-sS", "--max-time", "30", "http://127.0.0.1:\(port)/api/v1/projects"], environment: nil)
    #expect(answer.stdout.contains(URL(fileURLWithPath: fixture.root).standardizedFileURL.path))
    // A second one is refused while the first runs.
    #expect(Command.goldfish(["web", "--detach", "--port", "0"], environment: ["HOME": home]).status != 0)
    let stop = Command.goldfish(["web", "stop"], environment: ["HOME": home])
    #expect(stop.status == 0, "\(stop.stderr)")
    let after = try #require(
      try Command.goldfish(["web", "status", "--json"], environment: ["HOME": home]).json() as? [String: Any])
    #expect(after["running"] as? Bool == false)
  }

  @Test func projectsOpenedByTheCLIRegisterThemselves() throws {
    let fixture = try SamplePipeline.project()
    let home = TestEnvironment.temporaryFolder("web-home")
    let opened = Command.goldfish(["status", "--json"], environment: ["HOME": home], cwd: fixture.root)
    #expect(opened.status == 0, "\(opened.stderr)")
    let server = try WebServerProcess(home: home, arguments: [])
    defer { server.stop() }
    let projects = try #require(try server.get("/api/v1/projects").json() as? [[String: Any]])
    let root = URL(fileURLWithPath: fixture.root).standardizedFileURL.path
    #expect(projects.contains { $0["root"] as? String == root })
  }

  @Test func theRegistryKeepsEachLiveProjectOnce() throws {
    let fixture = try SamplePipeline.project()
    let other = try SamplePipeline.project()
    let home = TestEnvironment.temporaryFolder("web-home")
    let registry = home + "/.goldfish/web/projects"
    try FileManager.default.createDirectory(atPath: home + "/.goldfish/web", withIntermediateDirectories: true)
    let otherRoot = URL(fileURLWithPath: other.root).standardizedFileURL.path
    let gone = TestEnvironment.temporaryFolder("deleted-project") + "/demo"
    // As older versions left it: the same root many times and a project deleted since.
    try ([otherRoot, gone, otherRoot, otherRoot, gone].joined(separator: "\n") + "\n")
      .write(toFile: registry, atomically: true, encoding: .utf8)
    for _ in 0..<3 {
      let opened = Command.goldfish(["status", "--json"], environment: ["HOME": home], cwd: fixture.root)
      #expect(opened.status == 0, "\(opened.stderr)")
    }
    let root = URL(fileURLWithPath: fixture.root).standardizedFileURL.path
    #expect(try String(contentsOfFile: registry, encoding: .utf8) == otherRoot + "\n" + root + "\n")
  }

  @Test func aRunsEventStreamSendsItsLogThenEnds() throws {
    let (fixture, first, _) = try Self.projectWithRuns()
    let server = try WebServerProcess(arguments: ["--project", fixture.root])
    defer { server.stop() }
    let id = try Self.projectID(server, root: fixture.root)
    let train = try #require(first.first { $0.stage == "train" })
    let stream = server.get("/api/v1/projects/\(id)/runs/\(train.id)/events", ["-N"])
    #expect(stream.headers.contains("text/event-stream"))
    #expect(stream.body.contains("event: log") && stream.body.contains("trained: a="))
    #expect(stream.body.contains("event: end"))
  }
}
