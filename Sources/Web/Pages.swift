import Foundation
import Host
import PluginKit

/// Every page's HTML from what Host returned. Formatting only: which runs, which points and
/// which differences to show was decided by the queries.
enum Pages {
  static let chartPoints = 400
  static let logTail = 200

  static func projectLink(_ id: String) -> String { "/p/" + HTML.component(id) }
  static func runLink(_ id: String, _ run: String) -> String { projectLink(id) + "/runs/" + HTML.component(run) }
  static func workspaceLink(_ id: String, _ workspace: String) -> String {
    projectLink(id) + "/w/" + HTML.component(workspace)
  }

  static func crumbs(_ id: String) -> [(String, String)] { [(projectLink(id), id)] }

  static func json(_ value: JSONValue?) -> String {
    guard let value else { return "—" }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "—"
  }

  static func index(_ entries: [ProjectCatalog.Entry]) -> String {
    let rows = entries.map { [HTML.link(projectLink($0.id), $0.id), "<code>\(HTML.escape($0.root))</code>"] }
    return Layout.page(
      title: "Projects", crumbs: [],
      body: "<h1>Projects</h1><div class=card>"
        + HTML.table(
          ["project", "folder"], rows, id: "projects",
          empty: "No project yet: open one with goldfish (e.g. goldfish status inside it) and it appears here.")
        + "</div>")
  }

  static func overview(id: String, overview: ProjectOverview, runs: RunPage, sources: [SourceRecord]) -> String {
    var body =
      "<h1>\(HTML.escape(overview.projectName))</h1><p class=muted><code>\(HTML.escape(overview.root))</code> · "
    body += HTML.link(projectLink(id) + "/pool", "warm pool") + " · "
    body += HTML.link(projectLink(id) + "/lineage", "lineage", attributes: "id=project-lineage-link") + "</p>"
    let failures = overview.failedRecent
    if !failures.isEmpty {
      body += "<div class=\"card alert\" id=alerts><h2>Alerts: \(failures.count) recent failures</h2>"
      body +=
        HTML.table(
          ["run", "stage", "state", "why", "age"],
          failures.map {
            [
              HTML.link(runLink(id, $0.runID), $0.runID), HTML.escape($0.stage), HTML.state($0.state),
              HTML.escape(String(($0.error ?? $0.reason).prefix(160))), HTML.escape($0.age),
            ]
          }) + "</div>"
    }
    body += "<div class=grid><div class=card><h2>Active runs</h2>"
    body += runLines(id, overview.activeRuns, tableID: "active-runs", empty: "nothing running")
    body += "</div><div class=card><h2>Awaiting finalization</h2>"
    body += HTML.table(
      ["workspace", "runs", "e.g."],
      overview.pendingFinalization.map {
        [
          HTML.link(workspaceLink(id, $0.workspace), $0.workspace), "\($0.count)\($0.more ? "+" : "")",
          HTML.link(runLink(id, $0.example), $0.example),
        ]
      }, id: "pending", empty: "no run waits for its result")
    body += "</div><div class=card><h2>Recent outcomes</h2>"
    body += HTML.table(
      ["run", "stage", "outcome", "age"],
      overview.recentOutcomes.map {
        [
          HTML.link(runLink(id, $0.runID), $0.runID), HTML.escape($0.stage), HTML.escape($0.outcome),
          HTML.escape($0.age),
        ]
      }, id: "outcomes", empty: "no outcome yet")
    body += "</div></div>"
    body += "<div class=card><h2>Workspaces</h2>"
    body += HTML.table(
      ["workspace", "goal", "versions", "slot"],
      overview.workspaces.map {
        [
          HTML.link(workspaceLink(id, $0.name), $0.name), HTML.escape($0.goal), String($0.versions),
          HTML.escape($0.slot ?? "—"),
        ]
      }, id: "workspaces")
    body += "</div>"
    body += runTable(id, runs)
    body += "<div class=card><h2>Sources</h2>"
    body += HTML.table(
      ["name", "description", "size", "made by"],
      sources.map {
        [
          HTML.escape($0.name), HTML.escape($0.description), HTML.bytes($0.sizeBytes),
          $0.stageRunID.map { HTML.link(runLink(id, $0), $0) } ?? "—",
        ]
      }, id: "sources")
    body += "</div><div class=\"card md\" id=state-md><h2>STATE.md</h2>\(Markdown.html(overview.stateMD))</div>"
    return Layout.page(
      title: overview.projectName, crumbs: crumbs(id), body: body,
      script: Layout.followScript(events: "/api/v1/projects/\(HTML.component(id))/events", chartsURL: nil))
  }

  static func runLines(_ id: String, _ lines: [ProjectStatus.RunLine], tableID: String, empty: String) -> String {
    HTML.table(
      ["run", "stage", "version", "state", "since"],
      lines.map {
        [
          HTML.link(runLink(id, $0.id), $0.id), HTML.escape($0.stage), HTML.escape("\($0.workspace)@\($0.version)"),
          HTML.state($0.state), HTML.time($0.since),
        ]
      }, id: tableID, empty: empty)
  }

  /// The project's runs, a page at a time, with boxes to pick runs to compare.
  static func runTable(_ id: String, _ page: RunPage) -> String {
    var body = "<div class=card><h2>Runs (\(page.total))</h2><form class=inline method=get action=\""
    body += HTML.escape(projectLink(id) + "/compare") + "\">"
    body += HTML.table(
      ["", "run", "stage", "version", "state", "started", "ended"],
      page.runs.map { view in
        let run = view.run
        return [
          "<input type=checkbox name=run value=\"\(HTML.escape(run.id))\" aria-label=\"compare \(HTML.escape(run.id))\">",
          HTML.link(runLink(id, run.id), run.id), HTML.escape(run.stage),
          HTML.escape("\(run.workspace)@v\(run.version)"),
          HTML.state(run.state.rawValue), HTML.time(run.createdAt), HTML.time(run.finishedAt),
        ]
      }, id: "runs", empty: "no run yet")
    body += "<button type=submit id=compare-button>Compare selected</button>"
    if page.offset > 0 {
      body += HTML.link(projectLink(id) + "?offset=\(max(0, page.offset - page.limit))", "← newer")
    }
    if page.offset + page.runs.count < page.total {
      body += HTML.link(projectLink(id) + "?offset=\(page.offset + page.limit)", "older →")
    }
    return body + "</form></div>"
  }

  static func workspace(
    id: String, workspace: String, versions: [VersionRecord], diff: WorkspaceDiff?, records: HistoryListing,
    best: RecordTag?, from: String?, to: String?
  ) -> String {
    var body = "<h1>Workspace \(HTML.escape(workspace))</h1>"
    if let best {
      body +=
        "<div class=card id=best><h2>Best</h2><p>@\(HTML.escape(best.tag)): record <code>\(HTML.escape(best.recordID ?? "—"))</code>"
        + (best.version.map { " of v\($0)" } ?? "") + "</p></div>"
    }
    body += "<div class=grid><div class=card><h2>Versions</h2><ul class=timeline id=versions>"
    for version in versions.reversed() {
      body += "<li><strong>\(HTML.escape(version.label))</strong> <span class=muted>\(HTML.time(version.createdAt)) · "
      body += HTML.escape(version.createdBy) + "</span><br>" + HTML.escape(version.message)
      if let run = version.runID { body += " · " + HTML.link(runLink(id, run), run) }
      body += "</li>"
    }
    body += "</ul></div><div class=card><h2>Compare two versions</h2><form class=inline method=get>"
    let labels = versions.map(\.label)
    for (name, chosen) in [("from", from ?? labels.dropLast().last), ("to", to ?? labels.last)] {
      body += "<label>\(name) <select name=\(name)>"
      for label in labels.reversed() {
        body += "<option\(label == chosen ? " selected" : "")>\(HTML.escape(label))</option>"
      }
      body += "</select></label>"
    }
    body += "<button type=submit>Diff</button></form>"
    if let diff {
      body += "<h2>\(HTML.escape(diff.from)) → \(HTML.escape(diff.to))</h2><ul id=diff-files>"
      for change in diff.changes {
        let kind = change.status == .added ? "added" : change.status == .deleted ? "removed" : "changed"
        body += "<li class=\(kind)>\(HTML.escape(change.status.rawValue)) <code>\(HTML.escape(change.path))</code></li>"
      }
      body += "</ul>"
      body +=
        diff.patch.isEmpty
        ? "<p class=muted id=patch>no change</p>"
        : HTML.pre(ViewText.truncated(diff.patch, limit: DiffView.patchLimit), id: "patch")
    }
    body += "</div></div><div class=card><h2>Records (\(records.total))</h2>"
    body += HTML.table(
      ["record", "kind", "version", "stage", "state", "result", "metric", "tags"],
      records.records.map { view in
        let entry = view.entry
        return [
          entry.stageRunID.map { HTML.link(runLink(id, $0), $0) } ?? "<code>\(HTML.escape(entry.recordID))</code>",
          HTML.escape(entry.kind.rawValue), HTML.escape(entry.version.map { "v\($0)" } ?? "—"),
          HTML.escape(entry.stage ?? "—"), entry.state.map(HTML.state) ?? "—",
          HTML.escape(entry.resultsStatus?.rawValue ?? "—"),
          HTML.escape(
            entry.primaryMetric.map { name in "\(name) = " + (entry.primaryValue.map(HTML.number) ?? "—") } ?? "—"),
          HTML.escape(entry.tags.joined(separator: ", ")),
        ]
      }, id: "records", empty: "no record yet")
    body += "</div>"
    return Layout.page(
      title: workspace, crumbs: crumbs(id) + [(workspaceLink(id, workspace), workspace)], body: body)
  }

  static func run(id: String, inspection: RunInspection, series: MetricSeriesView, log: LogChunk) -> String {
    let details = inspection.details
    let run = details.run
    var body = "<h1>\(HTML.escape(run.stage)) <span class=muted>\(HTML.escape(run.id))</span></h1>"
    body += "<div class=card><table class=kv>"
    body += "<tr><td>state</td><td id=state>\(HTML.state(run.state.rawValue))</td></tr>"
    body +=
      "<tr><td>version</td><td>\(HTML.link(workspaceLink(id, run.workspace), "\(run.workspace)@v\(run.version)"))</td></tr>"
    body += "<tr><td>reason</td><td>\(HTML.escape(run.reason))</td></tr>"
    body +=
      "<tr><td>backend</td><td>\(HTML.escape(run.backend ?? "—"))\(run.profile.map { " · " + HTML.escape($0) } ?? "")</td></tr>"
    body += "<tr><td>started / ended</td><td>\(HTML.time(run.createdAt)) → \(HTML.time(run.finishedAt))</td></tr>"
    if let error = run.error { body += "<tr><td>error</td><td>\(HTML.escape(error))</td></tr>" }
    if let reused = details.reused { body += "<tr><td>reused</td><td>\(HTML.escape(reused))</td></tr>" }
    if let progress = inspection.dashboard?.progress {
      body += "<tr><td>progress</td><td>\(HTML.escape(progress))</td></tr>"
    }
    body += "</table><p>" + HTML.link(runLink(id, run.id) + "/lineage", "lineage", attributes: "id=lineage-link")
    body +=
      " · " + HTML.link("/api/v1/projects/\(HTML.component(id))/runs/\(HTML.component(run.id))", "JSON") + "</p></div>"
    body += "<div class=card><h2>Metrics</h2><div id=charts>\(charts(series))</div></div>"
    body += "<div class=card><h2>Log</h2>\(HTML.pre(log.text, id: "log"))</div>"
    body += "<div class=grid><div class=card><h2>State timeline</h2><ul class=timeline id=transitions>"
    for step in details.transitions {
      body += "<li>\(HTML.state(step.toState)) <span class=muted>\(HTML.time(step.createdAt)) · "
      body += HTML.escape(step.event) + "</span>" + (step.reason.map { "<br>" + HTML.escape($0) } ?? "") + "</li>"
    }
    body += "</ul></div><div class=card><h2>Config</h2>"
    body += HTML.pre(json(run.config.flatMap { try? JSONCoding.parse($0) }), id: "config") + "</div></div>"
    body += "<div class=card><h2>Inputs</h2>" + signals(id, details.inputs, tableID: "inputs") + "</div>"
    body += "<div class=card><h2>Outputs</h2>" + signals(id, details.outputs, tableID: "outputs") + "</div>"
    body += "<div class=card><h2>SVS findings</h2>"
    if let svs = inspection.svs, svs != .null {
      body += HTML.pre(json(svs), id: "svs")
    } else {
      body += "<p class=muted id=svs>nothing reviewed this run</p>"
    }
    body += "</div>"
    let events = "/api/v1/projects/\(HTML.component(id))/runs/\(HTML.component(run.id))/events?offset=\(log.nextOffset)"
    let live = !run.state.isSettled || !log.complete
    return Layout.page(
      title: "\(run.stage) \(run.id)",
      crumbs: crumbs(id) + [(workspaceLink(id, run.workspace), run.workspace), (runLink(id, run.id), run.id)],
      body: body,
      script: live ? Layout.followScript(events: events, chartsURL: runLink(id, run.id) + "/charts") : "")
  }

  static func signals(_ id: String, _ signals: [SignalRecord], tableID: String) -> String {
    HTML.table(
      ["signal", "type", "size", "hash", "location", "from"],
      signals.map {
        [
          HTML.escape($0.signal), HTML.escape($0.signalType), HTML.bytes($0.sizeBytes),
          $0.hash.map { "<code title=\"\(HTML.escape($0))\">\(HTML.escape(String($0.prefix(12))))</code>" } ?? "—",
          $0.uri.map { "<code>\(HTML.escape(String($0.suffix(80))))</code>" } ?? "—",
          $0.sourceStageRunID.map { HTML.link(runLink(id, $0), $0) } ?? $0.sourceName.map(HTML.escape) ?? "—",
        ]
      }, id: tableID)
  }

  static func charts(_ view: MetricSeriesView) -> String {
    guard !view.metrics.isEmpty else { return "<p class=muted>no metric logged yet</p>" }
    return "<div class=grid>"
      + view.metrics.map { metric in
        let note =
          "<p class=muted>\(metric.count) points"
          + (metric.downsampled ? " (shown: \(metric.points.count), min/max kept)" : "")
          + " · last \(HTML.number(metric.last)) · min \(HTML.number(metric.min)) · max \(HTML.number(metric.max))</p>"
        return "<div>" + Charts.line(metric: metric.name, lines: [.init(label: view.runID, points: metric.points)])
          + note
          + "</div>"
      }.joined() + "</div>"
  }

  static func compare(id: String, comparison: RunComparisonView) -> String {
    var body = "<h1>Compare \(comparison.entries.count) runs</h1><div class=card><h2>Runs</h2>"
    let metrics = Array(Set(comparison.entries.flatMap { $0.lastValues.keys })).sorted()
    body += HTML.table(
      ["run", "stage", "version", "state"] + metrics,
      comparison.entries.map { entry in
        let run = entry.run.run
        return [
          HTML.link(runLink(id, run.id), run.id), HTML.escape(run.stage),
          HTML.escape("\(run.workspace)@v\(run.version)"),
          HTML.state(run.state.rawValue),
        ]
          + metrics.map { name in
            guard let value = entry.lastValues[name] else { return "—" }
            let delta = entry.deltas[name].map { " <span class=muted>(\($0 >= 0 ? "+" : "")\(HTML.number($0)))</span>" }
            return HTML.escape(HTML.number(value)) + (delta ?? "")
          }
      }, id: "compare-runs")
    body += "</div><div class=card><h2>Curves</h2><div class=grid id=curves>"
    for curve in comparison.curves {
      let lines = zip(curve.runs, curve.series).map { Charts.Line(label: $0, points: $1.points) }
      body += "<div>" + Charts.line(metric: curve.metric, lines: lines) + "</div>"
    }
    body += "</div></div><div class=card><h2>Config diff</h2>"
    guard let base = comparison.entries.first else { return "" }
    for entry in comparison.entries.dropFirst() {
      guard let diff = entry.configDiff else { continue }
      body += "<h3>\(HTML.escape(base.run.run.id)) → \(HTML.escape(entry.run.run.id))</h3>"
      var rows: [[String]] = []
      for key in diff.changed.keys.sorted() {
        rows.append(
          [
            "<code>\(HTML.escape(key))</code>", "<span class=changed>changed</span>",
            HTML.escape(compact(diff.changed[key]?.from)), HTML.escape(compact(diff.changed[key]?.to)),
          ])
      }
      for key in diff.added.keys.sorted() {
        rows.append([
          "<code>\(HTML.escape(key))</code>", "<span class=added>added</span>", "—",
          HTML.escape(compact(diff.added[key])),
        ])
      }
      for key in diff.removed.keys.sorted() {
        rows.append(
          [
            "<code>\(HTML.escape(key))</code>", "<span class=removed>removed</span>",
            HTML.escape(compact(diff.removed[key])), "—",
          ])
      }
      body += HTML.table(["key", "", base.run.run.id, entry.run.run.id], rows, id: "config-diff", empty: "same config")
    }
    body += "</div>"
    return Layout.page(title: "Compare", crumbs: crumbs(id) + [("", "compare")], body: body)
  }

  static func compact(_ value: JSONValue?) -> String {
    guard let value else { return "—" }
    return (try? WebResponse.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "—"
  }

  static func lineage(id: String, graph: LineageGraph) -> String {
    var body =
      "<h1>Lineage of \(HTML.escape(graph.root))</h1><p class=muted>upstream on the left, downstream on the right;"
    body += " click a run to open it\(graph.truncated ? " (cut at \(LineageGraph.nodeLimit) nodes)" : "")</p>"
    body += "<div class=card id=lineage>" + LineageDrawing.svg(graph, runLink: { runLink(id, $0) }) + "</div>"
    return Layout.page(
      title: "Lineage", crumbs: crumbs(id) + [(runLink(id, graph.root), graph.root), ("", "lineage")], body: body)
  }

  /// The project's lineage, a page of runs at a time, with filters by workspace and stage.
  static func projectLineage(id: String, lineage: ProjectLineage) -> String {
    let base = projectLink(id) + "/lineage"
    func link(offset: Int) -> String {
      var query = ["limit=\(lineage.limit)", "offset=\(offset)"]
      if let workspace = lineage.workspace { query.append("workspace=" + HTML.component(workspace)) }
      if let stage = lineage.stage { query.append("stage=" + HTML.component(stage)) }
      return base + "?" + query.joined(separator: "&")
    }
    let shown = lineage.graph.nodes.filter { $0.kind == .run }.count
    var body = "<h1>Project lineage</h1><p class=muted>runs \(lineage.offset + 1)–"
    body += "\(min(lineage.total, lineage.offset + lineage.limit)) of \(lineage.total), newest first, with the runs,"
    body += " sources and versions they read (\(shown) runs drawn); click a run to open it"
    body += lineage.graph.truncated ? " (cut at \(LineageGraph.nodeLimit) nodes)" : ""
    body += "</p><form class=inline method=get action=\"\(HTML.escape(base))\" id=lineage-filter>"
    body += "<label>workspace <input name=workspace value=\"\(HTML.escape(lineage.workspace ?? ""))\"></label> "
    body += "<label>stage <input name=stage value=\"\(HTML.escape(lineage.stage ?? ""))\"></label> "
    body += "<input type=hidden name=limit value=\(lineage.limit)><button type=submit>Filter</button> "
    if lineage.offset > 0 { body += HTML.link(link(offset: max(0, lineage.offset - lineage.limit)), "← newer") + " " }
    if lineage.offset + lineage.limit < lineage.total {
      body += HTML.link(link(offset: lineage.offset + lineage.limit), "older →", attributes: "id=lineage-older")
    }
    body += "</form><div class=card id=lineage>"
    body +=
      lineage.graph.nodes.isEmpty
      ? "<p class=muted>no run matches</p>" : LineageDrawing.svg(lineage.graph, runLink: { runLink(id, $0) })
    return Layout.page(title: "Project lineage", crumbs: crumbs(id) + [("", "lineage")], body: body + "</div>")
  }

  static func pool(id: String, view: WarmPoolView) -> String {
    let report = view.report
    var body = "<h1>Warm pool</h1><div class=card><table class=kv>"
    body += "<tr><td>backend</td><td>\(HTML.escape(report.backend))</td></tr>"
    body += "<tr><td>enabled</td><td>\(report.enabled && report.backendSupportsReuse ? "yes" : "no")</td></tr>"
    body += "<tr><td>workers</td><td>\(report.total) of at most \(report.maxInstances)</td></tr>"
    body += "<tr><td>idle timeout</td><td>\(report.idleTimeoutSeconds) s</td></tr>"
    let counts = report.counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    body += "<tr><td>by state</td><td>\(HTML.escape(counts.isEmpty ? "—" : counts))</td></tr></table>"
    if let message = view.message { body += "<p class=muted id=pool-message>\(HTML.escape(message))</p>" }
    body += "</div><div class=card><h2>Workers</h2>"
    let field = { (instance: JSONValue, name: String) -> String in
      guard case .object(let fields) = instance, let value = fields[name], value != .null else { return "—" }
      if case .string(let text) = value { return text }
      return compact(value)
    }
    body += HTML.table(
      ["worker", "state", "since", "run", "jobs", "created"],
      report.instances.map { instance in
        let lease = field(instance, "lease_run_id")
        return [
          HTML.escape(field(instance, "worker_id")), HTML.state(field(instance, "state")),
          HTML.time(field(instance, "state_entered_at")), lease == "—" ? "—" : HTML.link(runLink(id, lease), lease),
          HTML.escape(field(instance, "jobs_done")), HTML.time(field(instance, "created_at")),
        ]
      }, id: "workers", empty: "no worker")
    body += "</div>"
    return Layout.page(title: "Warm pool", crumbs: crumbs(id) + [("", "warm pool")], body: body)
  }
}
