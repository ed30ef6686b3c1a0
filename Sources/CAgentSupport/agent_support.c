#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "agent_support.h"

int gf_agent_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const char *cwd, int log_fd) {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  int rc = posix_spawnattr_init(&attr);
  if (rc != 0) return rc;
  rc = posix_spawn_file_actions_init(&actions);
  if (rc != 0) {
    posix_spawnattr_destroy(&attr);
    return rc;
  }
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  int reset[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD, SIGALRM};
  for (unsigned i = 0; i < sizeof reset / sizeof reset[0]; i++) sigaddset(&defaults, reset[i]);
  rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&actions, cwd);
  if (rc == 0) rc = posix_spawn(pid, path, &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

int gf_agent_become_subreaper(void) {
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

void gf_agent_install_stop_handler(void) {
  struct sigaction action = {0};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  /* A parent may have blocked them (goldfish-runner unblocks; a shell may not). */
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGHUP);
  sigprocmask(SIG_UNBLOCK, &stops, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int gf_agent_stop_requested(void) {
  return stop_requested != 0;
}

/* Every process whose parent chain leads to this supervisor. A stage that starts
 * something with setsid or a double fork leaves the run's process group, but not
 * this tree: a subreaper inherits every orphan below it. Returns how many it found
 * (at most `capacity` are stored). */
static int find_descendants(pid_t root, pid_t *found, int capacity) {
  enum { MAX_PROCESSES = 65536 };
  static pid_t pids[MAX_PROCESSES], parents[MAX_PROCESSES];
  static char zombie[MAX_PROCESSES];
  int count = 0;
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  struct dirent *entry;
  while ((entry = readdir(proc)) && count < MAX_PROCESSES) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 1) continue;
    char path[64], buffer[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    char *close_paren = strrchr(buffer, ')');
    char state;
    int parent;
    if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &parent) != 2) continue;
    pids[count] = (pid_t)pid;
    parents[count] = (pid_t)parent;
    /* A zombie needs reaping, not killing, but still links its children to the tree. */
    zombie[count] = state == 'Z';
    count++;
  }
  closedir(proc);
  int total = 0;
  for (int i = 0; i < count; i++) {
    if (zombie[i]) continue;
    /* Walk up at most 64 generations; a deeper chain is still found once its
     * upper part dies and it is reparented here. */
    pid_t ancestor = parents[i];
    for (int depth = 0; depth < 64 && ancestor > 1; depth++) {
      if (ancestor == root) {
        if (total < capacity) found[total] = pids[i];
        total++;
        break;
      }
      int next = -1;
      for (int j = 0; j < count; j++)
        if (pids[j] == ancestor) {
          next = j;
          break;
        }
      if (next < 0) break;
      ancestor = parents[next];
    }
  }
  return total;
}

static void reap_any(void) {
  int status;
  while (waitpid(-1, &status, WNOHANG) > 0) {
  }
}

void gf_agent_end_descendants(int grace_ms) {
  enum { CAPACITY = 4096 };
  static pid_t found[CAPACITY];
  pid_t self = getpid();
  reap_any();
  int count = find_descendants(self, found, CAPACITY);
  if (count == 0) return;
  for (int i = 0; i < count && i < CAPACITY; i++)
    if (found[i] > 1 && found[i] != self) kill(found[i], SIGTERM);
  for (int waited = 0; waited < grace_ms; waited += 50) {
    reap_any();
    if (find_descendants(self, found, CAPACITY) == 0) return;
    struct timespec pause = {0, 50000000L};
    nanosleep(&pause, NULL);
  }
  for (int round = 0; round < 200; round++) {
    count = find_descendants(self, found, CAPACITY);
    if (count == 0) return;
    for (int i = 0; i < count && i < CAPACITY; i++)
      if (found[i] > 1 && found[i] != self) kill(found[i], SIGKILL);
    struct timespec pause = {0, 10000000L};
    nanosleep(&pause, NULL);
    reap_any();
  }
}
