import Foundation
import Host
import Hummingbird
import PluginKit

/// The HTML pages. Each route reads through Host (the same queries the API encodes) and hands
/// the result to `Pages`, which only formats it.
enum PageRoutes {
  static func add(to router: Router<some RequestContext>, _ support: RouteSupport) {
    router.get("/") { _, _ in
      await support.answer(page: true) { WebResponse.html(Pages.index(support.catalog.entries())) }
    }
    router.get("p/:project") { request, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (project, _) = try support.catalog.project(id)
        return WebResponse.html(
          Pages.overview(
            id: id, overview: try ProjectOverview(project: project), runs: try APIRoutes.runPage(project, request),
            sources: try project.sources.list()))
      }
    }
    router.get("p/:project/w/:workspace") { request, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (project, _) = try support.catalog.project(id)
        let workspace = try support.parameter(context, "workspace")
        let versions = try project.workspaces.history(workspace)
        var diff: WorkspaceDiff?
        if let from = request.query("from"), let to = request.query("to") {
          diff = try project.workspaces.diff("\(workspace)@\(from)", "\(workspace)@\(to)")
        }
        let records = try project.records.history(HistoryQuery(workspace: workspace, limit: 20))
        return WebResponse.html(
          Pages.workspace(
            id: id, workspace: workspace, versions: versions, diff: diff, records: records,
            best: try project.store.bestTag(workspace: workspace), from: request.query("from"),
            to: request.query("to")))
      }
    }
    router.get("p/:project/runs/:run") { _, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (_, services) = try support.catalog.project(id)
        let queries = RunQueries(services: services)
        let run = try support.parameter(context, "run")
        let inspection = try queries.inspect(run, include: ["metadata", "dashboard", "svs"])
        return WebResponse.html(
          Pages.run(
            id: id, inspection: inspection, series: try support.series.series(queries, run, points: Pages.chartPoints),
            log: try queries.logs(run, tail: Pages.logTail)))
      }
    }
    router.get("p/:project/runs/:run/charts") { _, context in
      await support.answer(page: true) {
        let (_, services) = try support.catalog.project(try support.parameter(context, "project"))
        let series = try support.series.series(
          RunQueries(services: services), try support.parameter(context, "run"), points: Pages.chartPoints)
        return WebResponse.html(Pages.charts(series))
      }
    }
    router.get("p/:project/runs/:run/lineage") { _, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (_, services) = try support.catalog.project(id)
        let graph = try RunQueries(services: services).lineageGraph(try support.parameter(context, "run"))
        return WebResponse.html(Pages.lineage(id: id, graph: graph))
      }
    }
    router.get("p/:project/lineage") { request, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (_, services) = try support.catalog.project(id)
        return WebResponse.html(Pages.projectLineage(id: id, lineage: try APIRoutes.projectLineage(services, request)))
      }
    }
    router.get("p/:project/compare") { request, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (_, services) = try support.catalog.project(id)
        let runs = APIRoutes.runList(request) + request.uri.queryParameters.getAll("run")
        return WebResponse.html(Pages.compare(id: id, comparison: try RunQueries(services: services).compare(runs)))
      }
    }
    router.get("p/:project/pool") { _, context in
      await support.answer(page: true) {
        let id = try support.parameter(context, "project")
        let (_, services) = try support.catalog.project(id)
        return WebResponse.html(
          Pages.pool(id: id, view: WarmPoolView(try WarmPoolReport(pool: WarmPool(services: services)))))
      }
    }
  }
}
