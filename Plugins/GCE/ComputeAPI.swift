import Foundation
import GCSClient
import PluginKit
import PluginSupport

/// Compute Engine REST v1 over libcurl: zonal instances and zone operations, nothing else.
/// `instances.insert` is waited on synchronously (operation polled to DONE) so a capacity
/// error reported by the operation is seen by the capacity search, not lost (#42).
struct ComputeAPI: Sendable {
  let settings: GCESettings
  let credentials: Credentials
  let http = HTTPClient()

  init(settings: GCESettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PluginError) {
    self.settings = settings
    credentials = try Credentials(
      auth: settings.auth, endpointIsExplicit: settings.endpointIsExplicit, credentialsFile: settings.credentialsFile,
      section: "gce", scope: Credentials.cloudPlatformScope, environment: environment)
  }

  func zoneURL(_ zone: String) -> String {
    settings.endpoint + "/projects/" + GCSAPI.encode(settings.project) + "/zones/" + GCSAPI.encode(zone)
  }

  func instanceURL(_ zone: String, _ name: String) -> String { zoneURL(zone) + "/instances/" + GCSAPI.encode(name) }

  /// One request, with auth; transport failures and 5xx come back as retryable errors, the
  /// body of any non-2xx answer is mapped by `ComputeError`.
  func send(_ what: String, _ request: HTTPRequest) throws(PluginError) -> JSONValue {
    var request = request
    if let header = try credentials.header() { request.headers.append(header) }
    let response = try http.send(request)
    guard response.isSuccess else { throw ComputeError.map(status: response.status, body: response.text, what: what) }
    if response.body.isEmpty { return [:] }
    return try response.json()
  }

  /// Creates the instance and waits for the insert operation to finish.
  func insert(zone: String, body: JSONValue) throws(PluginError) {
    let name = body["name"]?.stringValue ?? "?"
    let operation = try send(
      "insert of instance \(name) in \(zone)", try HTTPRequest.json("POST", zoneURL(zone) + "/instances", body))
    try wait(operation, zone: zone, what: "insert of instance \(name) in \(zone)")
  }

  /// The instance, or nil when the zone has none of that name.
  func get(zone: String, name: String) throws(PluginError) -> JSONValue? {
    do {
      return try send("get of instance \(name) in \(zone)", HTTPRequest("GET", instanceURL(zone, name)))
    } catch  where error.code == .notFound {
      return nil
    }
  }

  /// Every instance of the zone, page by page. Label filtering is done by the caller as well:
  /// `filter` is a hint a server may ignore (gcplocal does).
  func list(zone: String, filter: String? = nil) throws(PluginError) -> [JSONValue] {
    var items: [JSONValue] = []
    var token: String?
    repeat {
      var url = zoneURL(zone) + "/instances?maxResults=500"
      if let filter { url += "&filter=" + GCSAPI.encode(filter) }
      if let token { url += "&pageToken=" + GCSAPI.encode(token) }
      let page = try send("list of instances in \(zone)", HTTPRequest("GET", url))
      if case .array(let found)? = page["items"] { items += found }
      token = page["nextPageToken"]?.stringValue
    } while token != nil
    return items
  }

  /// Deletes the instance; true when it existed, false when it was already gone.
  @discardableResult
  func delete(zone: String, name: String) throws(PluginError) -> Bool {
    let operation: JSONValue
    do {
      operation = try send("delete of instance \(name) in \(zone)", HTTPRequest("DELETE", instanceURL(zone, name)))
    } catch  where error.code == .notFound {
      return false
    }
    try wait(operation, zone: zone, what: "delete of instance \(name) in \(zone)")
    return true
  }

  /// Polls a zone operation until DONE, then surfaces its `error` as a mapped failure.
  func wait(_ operation: JSONValue, zone: String, what: String) throws(PluginError) {
    var current = operation
    let deadline = Date().addingTimeInterval(settings.operationTimeout)
    while current["status"]?.stringValue != "DONE" {
      guard let name = current["name"]?.stringValue else {
        throw PluginError(.internal, "\(what): the API answered an operation without a name: \(current)")
      }
      guard Date() < deadline else {
        throw PluginError(.timeout, "\(what): operation \(name) not done after \(Int(settings.operationTimeout)) s")
      }
      Thread.sleep(forTimeInterval: settings.operationPoll)
      current = try send("\(what) (operation \(name))", HTTPRequest("GET", zoneURL(zone) + "/operations/" + name))
    }
    if let error = current["error"], !error.isNull {
      throw ComputeError.map(
        operationError: error, httpStatus: current["httpErrorStatusCode"]?.intValue.map { Int($0) }, what: what)
    }
  }
}
