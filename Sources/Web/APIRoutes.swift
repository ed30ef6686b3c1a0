import Foundation
import Host
import Hummingbird
import PluginKit

/// `/api/v1/...`: the JSON the pages are made from, for scripts too (docs/web.md). Each route
/// reads through Host's queries and encodes Host's views; nothing here decides anything.
enum APIRoutes {
  struct ProjectEntry: Encodable {
    var id: String
    var root: String
    var links: [String: String]
  }

  static func add(to router: Router<some RequestContext>, _ support: RouteSupport) {
    let api = router.group("api/v1")
    api.get("projects") { _, _ in
      await support.answer(page: false) {
        try WebResponse.json(
          support.catalog.entries().map {
            ProjectEntry(id: $0.id, root: $0.root, links: ["page": "/p/\(HTML.component($0.id))"])
          })
      }
    }
    api.get("projects/:project") { _, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(try ProjectOverview(project: project))
      }
    }
    api.get("projects/:project/workspaces") { _, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(try project.workspaces.list())
      }
    }
    api.get("projects/:project/workspaces/:workspace/versions") { _, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(
          try project.workspaces.history(try support.parameter(context, "workspace")).map(VersionView.init))
      }
    }
    api.get("projects/:project/workspaces/:workspace/diff") { request, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        let workspace = try support.parameter(context, "workspace")
        guard let to = request.query("to") else {
          throw GoldfishError(.invalidArgument, "diff needs to=vN (and from=vN)", hint: "e.g. ?from=v1&to=v2")
        }
        let diff = try project.workspaces.diff(
          request.query("from").map { "\(workspace)@\($0)" } ?? "\(workspace)@\(to)",
          request.query("from") == nil ? nil : "\(workspace)@\(to)")
        return try WebResponse.json(DiffView(diff))
      }
    }
    api.get("projects/:project/workspaces/:workspace/records") { request, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        let query = HistoryQuery(
          workspace: try support.parameter(context, "workspace"), limit: try request.intQuery("limit", default: 20),
          offset: try request.intQuery("offset", default: 0))
        return try WebResponse.json(try project.records.history(query))
      }
    }
    api.get("projects/:project/records/:record") { request, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(
          try project.records.inspect(
            try support.parameter(context, "record"), include: ["results", "comparison", "tags"],
            workspace: request.query("workspace")))
      }
    }
    api.get("projects/:project/runs") { request, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(try runPage(project, request))
      }
    }
    api.get("projects/:project/runs/:run") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        // `attempt` counts the stage's earlier runs (as many reads as there are), so it is asked for.
        let extra = (request.query("include") ?? "").split(separator: ",").map(String.init).filter { $0 == "attempt" }
        return try WebResponse.json(
          try RunQueries(services: services).inspect(
            try support.parameter(context, "run"), include: ["metadata", "dashboard", "svs"] + extra))
      }
    }
    api.get("projects/:project/runs/:run/logs") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        let tail: Int? = request.query("tail") == nil ? nil : try request.intQuery("tail", default: 200)
        return try WebResponse.json(
          try RunQueries(services: services).logs(
            try support.parameter(context, "run"), offset: Int64(try request.intQuery("offset", default: 0)), tail: tail
          ))
      }
    }
    api.get("projects/:project/runs/:run/metrics") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(
          try support.series.series(
            RunQueries(services: services), try support.parameter(context, "run"), name: request.query("name"),
            points: try request.intQuery("points", default: MetricSeriesView.defaultPoints)))
      }
    }
    api.get("projects/:project/runs/:run/lineage") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(
          try RunQueries(services: services).lineageGraph(
            try support.parameter(context, "run"), depth: try request.intQuery("depth", default: 6)))
      }
    }
    api.get("projects/:project/lineage") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(try projectLineage(services, request))
      }
    }
    api.get("projects/:project/compare") { request, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(
          try RunQueries(services: services).compare(
            runList(request), points: try request.intQuery("points", default: 300)))
      }
    }
    api.get("projects/:project/sources") { _, context in
      await support.answer(page: false) {
        let (project, _) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(try project.sources.list().map(SourceView.init))
      }
    }
    api.get("projects/:project/pool") { _, context in
      await support.answer(page: false) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        return try WebResponse.json(WarmPoolView(try WarmPoolReport(pool: WarmPool(services: services))))
      }
    }
    api.get("projects/:project/runs/:run/events") { request, context in
      let project = (try? support.parameter(context, "project")) ?? ""
      let run = (try? support.parameter(context, "run")) ?? ""
      return EventStreams.run(support: support, project: project, run: run, request: request)
    }
    api.get("projects/:project/events") { _, context in
      EventStreams.project(support: support, project: (try? support.parameter(context, "project")) ?? "")
    }
  }

  static func runPage(_ project: Project, _ request: Request) throws(GoldfishError) -> RunPage {
    var state: StageRunState?
    if let text = request.query("state") {
      guard let parsed = StageRunState(rawValue: text) else {
        throw GoldfishError(
          .invalidArgument, "state \"\(text.prefix(40))\" is not a run state",
          hint: "states: " + StageRunState.allCases.map(\.rawValue).joined(separator: ", "))
      }
      state = parsed
    }
    return try project.store.runPage(
      workspace: request.query("workspace"), state: state, limit: try request.intQuery("limit", default: 50),
      offset: try request.intQuery("offset", default: 0))
  }

  static func projectLineage(
    _ services: ExecutionServices, _ request: Request
  ) throws(GoldfishError)
    -> ProjectLineage
  {
    try RunQueries(services: services).projectLineage(
      workspace: request.query("workspace").flatMap { $0.isEmpty ? nil : $0 },
      stage: request.query("stage").flatMap { $0.isEmpty ? nil : $0 },
      limit: try request.intQuery("limit", default: ProjectLineage.defaultLimit),
      offset: try request.intQuery("offset", default: 0))
  }

  static func runList(_ request: Request) -> [String] {
    (request.query("runs") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
  }
}
