import Foundation
import Host
import Hummingbird
import PluginKit

/// Server-Sent Events: a run's stream pushes `log` (new log text), `metrics` (points were
/// logged), `state` (the run moved on) and `end` (it settled and its log is complete); a
/// project's stream pushes `changed` when a run starts or changes state. The server reads the
/// store a few times a second; the page only listens.
enum EventStreams {
  /// A stream ends after this long and the browser reconnects (carrying Last-Event-ID), so a
  /// forgotten tab never holds a connection for ever.
  static let streamLifetime: Duration = .seconds(300)
  static let runTick: Duration = .milliseconds(250)
  static let projectTick: Duration = .seconds(1)

  static func headers() -> HTTPFields {
    [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
  }

  static func event(_ name: String, _ data: [String: String], id: String? = nil) -> ByteBuffer {
    let json = (try? WebResponse.encoder.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    return ByteBuffer(string: (id.map { "id: \($0)\n" } ?? "") + "event: \(name)\ndata: \(json)\n\n")
  }

  static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try body() }) }
    }
  }

  static func run(support: RouteSupport, project: String, run: String, request: Request) -> Response {
    let startOffset = Int64(request.headers[HeaderName.lastEventID] ?? request.query("offset") ?? "") ?? 0
    return Response(
      status: .ok, headers: headers(),
      body: ResponseBody { writer in
        try await writer.write(ByteBuffer(string: ": goldfish run events\nretry: 1000\n\n"))
        var offset = startOffset
        var last: RunWatchMark?
        let started = ContinuousClock.now
        while !Task.isCancelled, !WebServer.stopping.isSet, ContinuousClock.now - started < streamLifetime {
          let from = offset
          let (mark, chunk) = try await offload {
            let (_, services) = try support.catalog.project(project)
            let mark = try services.project.store.runWatchMark(run)
            let chunk = try? RunQueries(services: services).logs(run, offset: from)
            return (mark, chunk)
          }
          guard let mark else {
            try await writer.write(event("missing", ["message": "no run \(run)"]))
            break
          }
          if let chunk, !chunk.text.isEmpty {
            offset = chunk.nextOffset
            try await writer.write(event("log", ["text": chunk.text], id: String(offset)))
          }
          if last?.state != mark.state || last?.stateEnteredAt != mark.stateEnteredAt, last != nil {
            try await writer.write(event("state", ["state": mark.state]))
          }
          if let last, last.metricPoints != mark.metricPoints {
            try await writer.write(event("metrics", ["points": String(mark.metricPoints)]))
          }
          last = mark
          let settled = StageRunState(rawValue: mark.state)?.isSettled ?? true
          if settled && (chunk?.complete ?? true) {
            try await writer.write(event("end", ["state": mark.state]))
            break
          }
          try await Task.sleep(for: runTick)
        }
        try await writer.finish(nil)
      })
  }

  static func project(support: RouteSupport, project: String) -> Response {
    Response(
      status: .ok, headers: headers(),
      body: ResponseBody { writer in
        try await writer.write(ByteBuffer(string: ": goldfish project events\nretry: 2000\n\n"))
        var first: String?
        let started = ContinuousClock.now
        while !Task.isCancelled, !WebServer.stopping.isSet, ContinuousClock.now - started < streamLifetime {
          let mark = try await offload {
            try support.catalog.project(project).0.store.projectWatchMark()
          }
          if let first, first != mark {
            try await writer.write(event("changed", [:]))
            break
          }
          first = first ?? mark
          try await Task.sleep(for: projectTick)
        }
        try await writer.finish(nil)
      })
  }
}
