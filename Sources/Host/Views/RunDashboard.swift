import Foundation
import PluginKit

/// Which way a metric has been going lately.
///
/// The trend of a metric is read from its last `window` points (10): the mean of the newer
/// half against the mean of the older half. A change of less than 1% of the larger of the two
/// (in size) is `stable`; otherwise the metric went `upward` or `downward`. Fewer than 2
/// points are `stable`.
public enum MetricTrend: String, Encodable, Sendable {
  case upward, downward, stable

  public static let window = 10
  static let tolerance = 0.01

  public static func of(_ values: [Double]) -> MetricTrend {
    let recent = values.suffix(window)
    guard recent.count >= 2 else { return .stable }
    let half = recent.count / 2
    let older = recent.prefix(half)
    let newer = recent.suffix(recent.count - half)
    let before = older.reduce(0, +) / Double(older.count)
    let after = newer.reduce(0, +) / Double(newer.count)
    let scale = max(abs(before), abs(after))
    guard scale > 0, abs(after - before) > tolerance * scale else { return .stable }
    return after > before ? .upward : .downward
  }
}

/// One metric on the dashboard: its last value, range, number of points and trend.
public struct DashboardMetric: Encodable, Sendable, Equatable {
  public var value: Double
  public var min: Double
  public var max: Double
  public var count: Int
  public var trend: MetricTrend
}

/// How a run is doing, as `inspect_run`'s dashboard shows it (upstream's shape).
///
/// - `metrics`: the stage config's `dashboard_metrics` that were logged; without that key,
///   upstream's defaults (loss, accuracy, val_loss, val_accuracy, ppl) that were logged; with
///   none of those, the 8 metrics with the most points.
/// - `sync_status`: `starting` before the job runs, `synced` once a poll read its metrics file
///   while running (`pending` before the first), `finalizing` while outputs are recorded,
///   `not_running` once it ended. `sync_method`: `polling` while the driver polls it, else `none`.
/// - `latest_metric_at`: the newest point's own timestamp; `data_age_seconds`: how old that is,
///   only while the run is live (null once it ended, when nothing newer can come).
public struct RunDashboard: Encodable, Sendable {
  public var state: String
  public var progress: String?
  public var metrics: [String: DashboardMetric]
  public var syncStatus: String
  public var syncMethod: String
  public var latestMetricAt: String?
  public var dataAgeSeconds: Double?

  public static let defaultMetrics = ["loss", "accuracy", "val_loss", "val_accuracy", "ppl"]
  public static let mostFrequentCount = 8

  enum CodingKeys: String, CodingKey {
    case state, progress, metrics
    case syncStatus = "sync_status"
    case syncMethod = "sync_method"
    case latestMetricAt = "latest_metric_at"
    case dataAgeSeconds = "data_age_seconds"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(state, forKey: .state)
    try fields.encode(progress, forKey: .progress)
    try fields.encode(metrics, forKey: .metrics)
    try fields.encode(syncStatus, forKey: .syncStatus)
    try fields.encode(syncMethod, forKey: .syncMethod)
    try fields.encode(latestMetricAt, forKey: .latestMetricAt)
    try fields.encode(dataAgeSeconds, forKey: .dataAgeSeconds)
  }

  /// The states in which a run's job may still write metrics.
  static let live: Set<StageRunState> = [.preparing, .building, .launching, .running, .postRun]

  static func build(_ run: StageRunRecord, store: ProjectStore, now: Date = Date()) throws(GoldfishError) -> Self {
    let summaries = try store.metricSummaries(of: run.id)
    let progress = try store.metricsProgress(of: run.id)
    var metrics: [String: DashboardMetric] = [:]
    for summary in chosen(summaries, configured: configuredMetrics(run)) {
      let recent = try store.recentMetricValues(of: run.id, name: summary.name, limit: MetricTrend.window)
      metrics[summary.name] = DashboardMetric(
        value: summary.lastValue, min: summary.minValue, max: summary.maxValue, count: summary.count,
        trend: MetricTrend.of(recent))
    }
    let latest = summaries.map(\.lastTimestamp).max()
    let live = Self.live.contains(run.state)
    let age = latest.flatMap(metricTime).map { (now.timeIntervalSince($0) * 10).rounded() / 10 }
    return RunDashboard(
      state: run.state.rawValue, progress: run.phase, metrics: metrics,
      syncStatus: syncStatus(run.state, synced: progress.offset > 0 || progress.updatedAt != nil),
      syncMethod: live ? "polling" : "none", latestMetricAt: latest, dataAgeSeconds: live ? age.map { max(0, $0) } : nil
    )
  }

  /// A point's own time: goldfish.io writes microseconds (…T12:00:00.123456Z), stored times
  /// have milliseconds; both parse, as does a time without a fraction.
  static func metricTime(_ text: String) -> Date? {
    var normalized = Substring(text)
    if let dot = text.firstIndex(of: "."),
      let end = text[dot...].dropFirst().firstIndex(where: { !$0.isNumber })
    {
      let digits = text[text.index(after: dot)..<end]
      normalized = text[..<dot] + "." + (digits + "000").prefix(3) + text[end...]
    }
    if let date = Timestamp.parse(String(normalized)) { return date }
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    return plain.date(from: text)
  }

  static func syncStatus(_ state: StageRunState, synced: Bool) -> String {
    switch state {
    case .preparing, .building, .launching: "starting"
    case .running: synced ? "synced" : "pending"
    case .postRun: "finalizing"
    default: "not_running"
    }
  }

  /// The stage config's `dashboard_metrics` (validated when the pipeline was checked).
  static func configuredMetrics(_ run: StageRunRecord) -> [String] {
    let config = run.config.flatMap { try? JSONCoding.parse($0) }
    return config?["dashboard_metrics"]?.arrayValue?.compactMap(\.stringValue) ?? []
  }

  static func chosen(_ summaries: [MetricSummary], configured: [String]) -> [MetricSummary] {
    let byName = Dictionary(summaries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    if !configured.isEmpty { return configured.compactMap { byName[$0] } }
    let defaults = defaultMetrics.compactMap { byName[$0] }
    if !defaults.isEmpty { return defaults }
    return Array(
      summaries.sorted { ($0.count, $1.name) > ($1.count, $0.name) }.prefix(mostFrequentCount))
  }
}
