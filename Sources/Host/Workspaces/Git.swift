import CGit2
import Foundation
import PluginKit

/// libgit2 is initialised once per process; every git call goes through this module.
enum Git {
  static let initialized: Bool = {
    git_libgit2_init()
    _ = goldfish_git_disable_strict_object_creation()
    return true
  }()

  /// libgit2's own words for the last failure on this thread: for `detail["internal"]` only.
  static func lastMessage() -> String {
    guard let error = git_error_last(), let message = error.pointee.message else { return "unknown" }
    return String(cString: message)
  }

  /// A failure of the version store that the user cannot fix by changing their input.
  static func failure(_ rc: Int32, _ doing: String) -> GoldfishError {
    GoldfishError(
      .versionStoreFailed, "The project's version store failed while \(doing).",
      hint: "Retry; if it keeps failing, the project's hidden version store may be damaged.",
      detail: ["internal": .string(lastMessage()), "status": .int(Int64(rc))])
  }

  /// Throws `failure` when a libgit2 call returned an error status.
  @inline(__always)
  static func check(_ rc: Int32, _ doing: @autoclosure () -> String) throws(GoldfishError) {
    if rc < 0 { throw failure(rc, doing()) }
  }

  static let notFound = GIT_ENOTFOUND.rawValue
  static let exists = GIT_EEXISTS.rawValue
  static let modified = GIT_EMODIFIED.rawValue
  static let locked = GIT_ELOCKED.rawValue

  /// Parses 40 hex digits into an oid.
  static func oid(_ id: CommitID) -> git_oid {
    var oid = git_oid()
    _ = git_oid_fromstrn(&oid, id.hex, 40)  // CommitID guarantees 40 valid hex digits
    return oid
  }

  static func hex(_ oid: git_oid) -> String {
    var copy = oid
    return String(unsafeUninitializedCapacity: 40) { buffer in
      buffer.withMemoryRebound(to: CChar.self) { _ = git_oid_fmt($0.baseAddress, &copy) }
      return 40
    }
  }

  static func equal(_ a: git_oid, _ b: git_oid) -> Bool {
    var a = a
    var b = b
    return git_oid_equal(&a, &b) != 0
  }
}

extension CommitID {
  init(_ oid: git_oid) { self.init(validatedHex: Git.hex(oid)) }
}
