import PluginKit

/// Turns Compute Engine failures (an HTTP error document or a finished operation's `error`)
/// into ABI errors. Capacity is told apart from everything else because the capacity search
/// moves to the next zone on it and fails fast on anything else (#41).
enum ComputeError {
  /// Wordings Compute Engine uses when a zone cannot place the machine now.
  static let capacityMarkers = [
    "zone_resource_pool_exhausted", "does not have enough resources", "does not have sufficient resources",
    "is not available in zone", "was not able to fulfil", "resource is not available",
  ]

  static func isCapacity(_ text: String) -> Bool {
    let lowered = text.lowercased()
    return capacityMarkers.contains { lowered.contains($0) }
  }

  static func map(status: Int, body: String, what: String) -> PluginError {
    let json = try? JSONCoding.parse(body)
    let message = json?["error"]?["message"]?.stringValue ?? String(body.prefix(300))
    var reasons: [String] = []
    if case .array(let errors)? = json?["error"]?["errors"] {
      reasons = errors.compactMap { $0["reason"]?.stringValue }
    }
    return classify(
      status: status, text: ([message] + reasons).joined(separator: " "), message: message, reasons: reasons,
      what: what)
  }

  /// A DONE operation's `error: {errors: [{code, message}]}`.
  static func map(operationError error: JSONValue, httpStatus: Int?, what: String) -> PluginError {
    var codes: [String] = []
    var messages: [String] = []
    if case .array(let errors)? = error["errors"] {
      for item in errors {
        if let code = item["code"]?.stringValue { codes.append(code) }
        if let message = item["message"]?.stringValue { messages.append(message) }
      }
    }
    let message = messages.isEmpty ? "\(error)" : messages.joined(separator: "; ")
    return classify(
      status: httpStatus ?? 400, text: (codes + messages).joined(separator: " "), message: message, reasons: codes,
      what: what)
  }

  private static func classify(
    status: Int, text: String, message: String, reasons: [String], what: String
  )
    -> PluginError
  {
    var detail: [String: JSONValue] = ["http_status": .int(Int64(status))]
    if !reasons.isEmpty { detail["reasons"] = .array(reasons.map { .string($0) }) }
    let full = "\(what) failed with HTTP \(status): \(message)"
    if isCapacity(text) || status == 503 {
      detail["capacity"] = true
      return PluginError(.capacity, full, retryable: true, detail: detail)
    }
    // A finished insert operation says so by code, whatever HTTP status it carries.
    if reasons.contains(where: { $0 == "RESOURCE_ALREADY_EXISTS" || $0 == "alreadyExists" }) {
      return PluginError(.alreadyExists, full, detail: detail)
    }
    switch status {
    case 400: return PluginError(.invalidArgument, full, detail: detail)
    case 401: return PluginError(.unauthenticated, full + " (the credentials were refused)", detail: detail)
    case 403:
      if text.lowercased().contains("quota") { return PluginError(.quota, full, detail: detail) }
      return PluginError(.permissionDenied, full + " (the credentials lack permission in this project)", detail: detail)
    case 404: return PluginError(.notFound, full, detail: detail)
    case 409: return PluginError(.alreadyExists, full, detail: detail)
    case 412: return PluginError(.conflict, full, detail: detail)
    case 408: return PluginError(.timeout, full, retryable: true, detail: detail)
    case 429: return PluginError(.quota, full, retryable: true, detail: detail)
    case 500...599: return PluginError(.unavailable, full, retryable: true, detail: detail)
    default: return PluginError(.internal, full, detail: detail)
    }
  }
}
