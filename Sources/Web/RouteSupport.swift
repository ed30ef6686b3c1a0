import Foundation
import Host
import Hummingbird

/// What every route needs: the catalog, the query's values, and a way to run Host's blocking
/// calls off the server's threads.
struct RouteSupport: Sendable {
  let catalog: ProjectCatalog
  let series = SeriesCache()

  /// Runs Host's synchronous reads on a dispatch thread, so SQLite and git never stall the
  /// threads that serve other requests, and answers a GoldfishError as `page` (HTML) or JSON.
  func answer(page: Bool, _ body: @escaping @Sendable () throws -> Response) async -> Response {
    await withCheckedContinuation { continuation in
      DispatchQueue.global(qos: .userInitiated).async {
        do {
          continuation.resume(returning: try body())
        } catch let error as GoldfishError {
          continuation.resume(returning: WebResponse.error(error, page: page))
        } catch {
          let wrapped = GoldfishError(.ioFailed, "the web server failed: \(error)")
          continuation.resume(returning: WebResponse.error(wrapped, page: page))
        }
      }
    }
  }

  func parameter(_ context: some RequestContext, _ name: String) throws(GoldfishError) -> String {
    guard let value = context.parameters.get(name), !value.isEmpty else {
      throw GoldfishError(.invalidArgument, "the address has no \(name)")
    }
    return value.removingPercentEncoding ?? value
  }
}

extension Request {
  func query(_ name: String) -> String? {
    uri.queryParameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
  }

  func intQuery(_ name: String, default fallback: Int) throws(GoldfishError) -> Int {
    guard let text = query(name) else { return fallback }
    guard let value = Int(text) else {
      throw GoldfishError(
        .invalidArgument, "\(name) is \"\(text.prefix(40))\", not a whole number", hint: "e.g. \(name)=\(fallback)")
    }
    return value
  }
}
