#include <git2.h>
// Not part of <git2.h>: an in-memory object database (read-only diffs against a directory) and
// swapping a repository's configuration (to ignore ~/.gitconfig and /etc/gitconfig).
#include <git2/sys/odb_backend.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

// git_libgit2_opts is variadic, which Swift cannot call.
// Goldfish only inserts tree entries for objects it has just written (or, for read-only comparisons,
// only hashed into a throw-away tree): the existence check that strict mode adds per entry costs one
// stat per file and would forbid those hashed-only trees.
static inline int goldfish_git_disable_strict_object_creation(void) {
  return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
}

// Atomically exchanges two paths (Linux renameat2 RENAME_EXCHANGE). glibc only declares renameat2
// under _GNU_SOURCE, which Swift's Glibc module does not define, so go through syscall(2).
// Returns -1 with errno ENOSYS where the kernel or platform cannot do it; callers fall back.
static inline int goldfish_rename_exchange(const char *from, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
  return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 2u /* RENAME_EXCHANGE */);
#else
  (void)from; (void)to;
  errno = ENOSYS;
  return -1;
#endif
}
