import CGit2

/// libgit2 is initialised once per process; every git call goes through this module.
enum Git {
  static let initialized: Bool = {
    git_libgit2_init()
    return true
  }()

  static let blobMode: UInt32 = 0o100644
  static let executableMode: UInt32 = 0o100755
  static let linkMode: UInt32 = 0o120000
  static let treeMode: UInt32 = 0o040000

  /// libgit2's last message, kept for `detail["internal"]`: never shown as the message.
  static func lastError() -> String {
    guard let error = git_error_last(), let message = error.pointee.message else { return "unknown" }
    return String(cString: message)
  }

  /// A failure of the version store, worded for users; libgit2's words go to the detail.
  static func failure(_ action: String, _ code: Int32) -> GoldfishError {
    GoldfishError(
      .versionStoreFailed, "the version store could not \(action)",
      detail: ["internal": .string("libgit2 \(code): \(lastError())")])
  }

  static func check(_ code: Int32, _ action: @autoclosure () -> String) throws(GoldfishError) {
    if code < 0 { throw failure(action(), code) }
  }

  static func oid(_ commit: CommitID) throws(GoldfishError) -> git_oid {
    var oid = git_oid()
    guard git_oid_fromstr(&oid, commit.hex) == 0 else {
      throw GoldfishError(.invalidArgument, "\(commit.hex) is not a version id")
    }
    return oid
  }

  static func commitID(_ oid: git_oid) -> CommitID {
    var copy = oid
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&buffer, 41, &copy)
    return CommitID(hex: String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }
}
