/// The allowed values of a number in goldfish.yaml, able to say them in an error message.
struct ConfigBound<Value: Comparable & Sendable>: Sendable {
  var lower: Value?
  var lowerInclusive = true
  var upper: Value?

  static func range(_ range: ClosedRange<Value>) -> Self {
    Self(lower: range.lowerBound, upper: range.upperBound)
  }

  static func atLeast(_ value: Value) -> Self { Self(lower: value) }

  static func above(_ value: Value) -> Self { Self(lower: value, lowerInclusive: false) }

  static var any: Self { Self() }

  func contains(_ value: Value) -> Bool {
    if let lower, lowerInclusive ? value < lower : value <= lower { return false }
    if let upper, value > upper { return false }
    return true
  }

  var text: String {
    switch (lower, upper) {
    case (let lower?, let upper?): return "between \(lower) and \(upper)"
    case (let lower?, nil): return lowerInclusive ? "at least \(lower)" : "greater than \(lower)"
    case (nil, let upper?): return "at most \(upper)"
    case (nil, nil): return "any number"
    }
  }
}

extension ConfigBound where Value == Int {
  /// Seconds of a time budget: a year and a day at most, so a deadline computed from one (now
  /// plus the budget plus a grace) can never overflow.
  static var maxSeconds: Int { 366 * 24 * 3600 }
  static var seconds: Self { .range(1...maxSeconds) }

  static func seconds(atLeast lower: Int) -> Self { .range(lower...maxSeconds) }
}
