import Foundation

/// Wall-clock stamps for records and a monotonic clock for timers (a wall-clock jump must
/// never fire a job's timeout or the idle timeout).
enum Clock {
  static func now() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date())
  }

  /// Seconds since an arbitrary point, never going backwards.
  static func monotonic() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  static func sleep(milliseconds: Int) {
    usleep(useconds_t(max(1, milliseconds)) * 1000)
  }
}
