import Foundation
import Host

/// The projects the server shows, each under a short id taken from its folder's name (with a
/// few characters of its path's hash when two folders share a name), opened on first use and
/// kept open: opening loads plugins, which a page must not pay for on every request.
final class ProjectCatalog: @unchecked Sendable {
  struct Entry: Sendable {
    var id: String
    var root: String
  }

  private let lock = NSLock()
  private var opened: [String: (Project, ExecutionServices)] = [:]
  /// Roots shown besides the registered ones (`goldfish web --project`, tests).
  private let extraRoots: [String]

  init(extraRoots: [String] = []) {
    self.extraRoots = extraRoots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
  }

  func entries() -> [Entry] {
    var roots = extraRoots
    for root in WebProjectRegistry.roots() where !roots.contains(root) { roots.append(root) }
    let names = roots.map { URL(fileURLWithPath: $0).lastPathComponent }
    return roots.enumerated().map { index, root in
      let name = names[index]
      let shared = names.filter { $0 == name }.count > 1
      return Entry(id: shared ? name + "-" + Self.shortHash(root) : name, root: root)
    }
  }

  /// The open project with id `id`; notFound naming the ids there are.
  func project(_ id: String) throws(GoldfishError) -> (Project, ExecutionServices) {
    let known = entries()
    guard let entry = known.first(where: { $0.id == id }) else {
      throw GoldfishError(
        .notFound, "no project \(id.prefix(100)) is known to this server",
        hint: known.isEmpty
          ? "open a project once with goldfish (e.g. goldfish status in it) so it registers"
          : "projects: " + known.prefix(20).map(\.id).joined(separator: ", "))
    }
    lock.lock()
    defer { lock.unlock() }
    if let open = opened[entry.root] { return open }
    let project = try Project.open(ProjectLocation(root: entry.root))
    let services = try ExecutionServices.open(project)
    opened[entry.root] = (project, services)
    return (project, services)
  }

  static func shortHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(String(hash, radix: 16).suffix(6))
  }
}
