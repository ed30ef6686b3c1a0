import Foundation

/// The project `initialize_project` created, which a server started outside any project then
/// serves (upstream re-initialises its context the same way). A server started with `--project`
/// or inside a project keeps serving that one.
final class AdoptedProject: @unchecked Sendable {
  private let lock = NSLock()
  private var root: String?

  var path: String? { lock.withLock { root } }

  func adopt(_ path: String) { lock.withLock { root = path } }
}
