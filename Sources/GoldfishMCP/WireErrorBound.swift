import Foundation
import Host

/// The last guard on what reaches the agent: a JSON-RPC error the SDK built itself (it answers an
/// unknown method with "Unknown method: " and the whole method name) is cut down before it is
/// written. Tool errors are already small (`GoldfishError.bounded`); this catches the rest.
enum WireErrorBound {
  /// Messages at most this long pass untouched, unread.
  static let threshold = 16 * 1024
  /// Scalars kept of its message and of each string of its data.
  static let keep = 300

  static func bounded(_ message: Data) -> Data {
    guard message.count > threshold, message.range(of: Data(#""error":{"#.utf8)) != nil,
      var object = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
      var error = object["error"] as? [String: Any]
    else { return message }
    if let text = error["message"] as? String {
      error["message"] = GoldfishError.cut(text, limit: keep)
    }
    if let data = error["data"] as? [String: Any] {
      error["data"] = data.mapValues { value in
        (value as? String).map { GoldfishError.cut($0, limit: keep) } ?? value
      }
    } else if let text = error["data"] as? String {
      error["data"] = GoldfishError.cut(text, limit: keep)
    }
    object["error"] = error
    return (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? message
  }
}
