import GRDB

/// What a run's series of one metric comes to: how many points, their range and the last one.
public struct MetricSummary: Codable, Sendable, Equatable, FetchableRecord {
  public var stageRunID: String
  public var name: String
  public var count: Int
  public var minValue: Double
  public var maxValue: Double
  public var lastValue: Double
  public var lastStep: Int?
  public var lastTimestamp: String

  enum CodingKeys: String, CodingKey {
    case stageRunID = "stage_run_id"
    case name, count
    case minValue = "min_value"
    case maxValue = "max_value"
    case lastValue = "last_value"
    case lastStep = "last_step"
    case lastTimestamp = "last_timestamp"
  }
}
