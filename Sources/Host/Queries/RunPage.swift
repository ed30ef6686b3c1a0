import GRDB
import PluginKit

/// A page of a project's stage runs, newest first, for the web face's run table and
/// `/api/v1/.../runs`. Read along stage_runs_by_time and stopped at the page's end, so a page
/// costs the same with a hundred runs or a hundred thousand; the total is one count.
public struct RunPage: Encodable, Sendable {
  public var runs: [StageRunView]
  public var total: Int
  public var limit: Int
  public var offset: Int

  public static let limitRange = 1...500

  public init(runs: [StageRunView], total: Int, limit: Int, offset: Int) {
    self.runs = runs
    self.total = total
    self.limit = limit
    self.offset = offset
  }
}

extension ProjectStore {
  public func runPage(
    workspace: String? = nil, stage: String? = nil, state: StageRunState? = nil, limit: Int = 50, offset: Int = 0
  ) throws(GoldfishError) -> RunPage {
    guard RunPage.limitRange.contains(limit), offset >= 0 else {
      throw GoldfishError(
        .invalidArgument, "limit is \(limit) and offset \(offset); a page holds 1 to 500 runs from offset 0 on",
        hint: "pass limit between 1 and 500 and a non-negative offset")
    }
    return try read { db in
      var request = StageRunRecord.all()
      if let workspace { request = request.filter(StageRunRecord.CodingKeys.workspace == workspace) }
      if let stage { request = request.filter(StageRunRecord.CodingKeys.stage == stage) }
      if let state { request = request.filter(StageRunRecord.CodingKeys.state == state.rawValue) }
      let total = try request.fetchCount(db)
      let runs = try request.order(StageRunRecord.CodingKeys.createdAt.desc, StageRunRecord.CodingKeys.id.desc)
        .limit(limit, offset: offset).fetchAll(db)
      return RunPage(runs: runs.map { StageRunView($0) }, total: total, limit: limit, offset: offset)
    }
  }
}
