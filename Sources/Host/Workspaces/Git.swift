import CGit2

/// libgit2 is initialised once per process; every git call goes through this module.
enum Git {
  static let initialized: Bool = {
    git_libgit2_init()
    return true
  }()
}
