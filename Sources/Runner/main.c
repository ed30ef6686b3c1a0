/*
 * goldfish-runner: the supervisor of one local run.
 *
 *   goldfish-runner WORK_DIR CWD TIMEOUT_SECONDS -- PROGRAM [ARG...]
 *
 * It detaches (double fork + setsid) so the run outlives the goldfish process
 * that started it, runs PROGRAM in its own process group with stdout and stderr
 * appended to WORK_DIR/output.log, and records what happened in
 * WORK_DIR/status.json (written atomically, last). WORK_DIR/runner.json holds
 * the supervisor's pid and start time so a later goldfish can find it again
 * without ever mistaking a recycled pid for it.
 *
 * SIGTERM or SIGINT to the supervisor cancels the run; TIMEOUT_SECONDS > 0
 * bounds it. Either way the whole process group gets SIGTERM, then SIGKILL
 * after a grace period. The supervisor never signals pid 0 or a negative pid
 * other than the run's own group.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "process_tree.h"

#define GRACE_SECONDS 10

static volatile sig_atomic_t cancel_requested = 0;
static volatile sig_atomic_t timed_out = 0;

static void on_cancel(int sig) {
  (void)sig;
  cancel_requested = 1;
}

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
}

static void iso_now(char *out, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Field 22 of /proc/self/stat: start time in clock ticks since boot. */
static unsigned long long start_time_of(pid_t pid) {
  char path[64], buffer[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  char *p = strrchr(buffer, ')');
  if (!p) return 0;
  unsigned long long value = 0;
  int field = 2;
  for (p++; *p && field < 22; p++) {
    if (*p == ' ') field++;
  }
  if (field == 22) value = strtoull(p, NULL, 10);
  return value;
}

static int write_atomically(const char *dir, const char *name, const char *text) {
  char temp[4096], final_path[4096];
  snprintf(temp, sizeof temp, "%s/.%s.tmp", dir, name);
  snprintf(final_path, sizeof final_path, "%s/%s", dir, name);
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t length = strlen(text), done = 0;
  while (done < length) {
    ssize_t n = write(fd, text + done, length - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  fsync(fd);
  close(fd);
  return rename(temp, final_path);
}

static void fail_early(const char *work_dir, const char *message) {
  char started[32], text[2048];
  iso_now(started, sizeof started);
  snprintf(text, sizeof text,
           "{\"exit_code\":127,\"signal\":null,\"cause\":\"error\",\"message\":\"%s\","
           "\"started_at\":\"%s\",\"finished_at\":\"%s\"}\n",
           message, started, started);
  write_atomically(work_dir, "status.json", text);
}

/* As a subreaper, the supervisor inherits the run's orphaned descendants (a
 * sandbox's inner process, a daemonised helper); reaping them at once keeps a
 * finished group from looking alive as zombies. */
static pid_t watched = -1;      /* the run's own process */
static int watched_status = 0;
static int watched_reaped = 0;

static void reap_orphans(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == watched) {
      watched_status = status;
      watched_reaped = 1;
    }
  }
}

/* The run's own cgroup (v2), when this machine lets the supervisor make one: the
 * kernel then counts OOM kills of the run alone (memory.events) and can end the
 * whole tree at once (cgroup.kill). Empty when unavailable; everything still works
 * through the subreaper walk below. */
static char run_cgroup[4096] = "";

static int read_line_starting(const char *path, const char *prefix, char *out, size_t size) {
  FILE *file = fopen(path, "re");
  if (!file) return 0;
  char line[4096];
  int found = 0;
  size_t length = strlen(prefix);
  while (fgets(line, sizeof line, file)) {
    if (strncmp(line, prefix, length) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(out, size, "%s", line + length);
      found = 1;
      break;
    }
  }
  fclose(file);
  return found;
}

/* A supervisor killed outright (SIGKILL) leaves its empty cgroups behind: the next one
 * removes those of supervisors that are gone (rmdir refuses a cgroup with processes). */
static void remove_stale_siblings(const char *parent) {
  DIR *dir = opendir(parent);
  if (!dir) return;
  struct dirent *entry;
  while ((entry = readdir(dir))) {
    if (strncmp(entry->d_name, "goldfish-run-", 13) != 0) continue;
    char *end;
    long pid = strtol(entry->d_name + 13, &end, 10);
    if (*end != '\0' || pid <= 1) continue;
    int gone = kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    if (!gone) continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", parent, entry->d_name);
    rmdir(path);
  }
  closedir(dir);
}

static void make_run_cgroup(void) {
  const char *mounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
  char own[2048];
  if (!read_line_starting("/proc/self/cgroup", "0::", own, sizeof own)) return;
  if (strcmp(own, "/") == 0) own[0] = '\0';
  for (unsigned i = 0; i < sizeof mounts / sizeof mounts[0]; i++) {
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/cgroup.controllers", mounts[i]);
    if (access(probe, F_OK) != 0) continue;
    char parent[3072];
    snprintf(parent, sizeof parent, "%s%s", mounts[i], own);
    remove_stale_siblings(parent);
    snprintf(run_cgroup, sizeof run_cgroup, "%s%s/goldfish-run-%d", mounts[i], own, (int)getpid());
    if (mkdir(run_cgroup, 0755) == 0) return;
    run_cgroup[0] = '\0';
    return;
  }
}

/* On a hybrid hierarchy (cgroup v1 controllers beside the v2 tree) the memory
 * controller, and so the OOM killer's count, is in v1: the run gets a cgroup there too. */
static char run_memory_cgroup[4096] = "";

static void make_run_memory_cgroup(void) {
  if (access("/sys/fs/cgroup/memory/memory.oom_control", F_OK) != 0) return;
  FILE *file = fopen("/proc/self/cgroup", "re");
  if (!file) return;
  char line[4096], own[2048] = "";
  int found = 0;
  while (!found && fgets(line, sizeof line, file)) {
    line[strcspn(line, "\n")] = '\0';
    char *controllers = strchr(line, ':');
    char *path = controllers ? strchr(controllers + 1, ':') : NULL;
    if (!path) continue;
    *path = '\0';
    for (char *name = strtok(controllers + 1, ","); name; name = strtok(NULL, ","))
      if (strcmp(name, "memory") == 0) found = 1;
    if (found) snprintf(own, sizeof own, "%s", strcmp(path + 1, "/") == 0 ? "" : path + 1);
  }
  fclose(file);
  if (!found) return;
  char parent[3072];
  snprintf(parent, sizeof parent, "/sys/fs/cgroup/memory%s", own);
  remove_stale_siblings(parent);
  snprintf(run_memory_cgroup, sizeof run_memory_cgroup, "%s/goldfish-run-%d", parent, (int)getpid());
  if (mkdir(run_memory_cgroup, 0755) != 0) run_memory_cgroup[0] = '\0';
}

static void join(const char *cgroup) {
  if (!cgroup[0]) return;
  char path[4200];
  snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, "0", 1) < 0) { /* stays in the supervisor's cgroup */ }
  close(fd);
}

/* In the child, before exec: join the run's cgroups (best effort). */
static void join_run_cgroup(void) {
  join(run_cgroup);
  join(run_memory_cgroup);
}

/* How many times the kernel's OOM killer struck inside the run's cgroups; 0 when
 * unknown (no cgroup, or no memory controller in it). */
static long run_cgroup_oom_kills(void) {
  char path[4200], value[64];
  long kills = 0;
  if (run_cgroup[0]) {
    snprintf(path, sizeof path, "%s/memory.events", run_cgroup);
    if (read_line_starting(path, "oom_kill ", value, sizeof value)) kills += strtol(value, NULL, 10);
  }
  if (run_memory_cgroup[0]) {
    snprintf(path, sizeof path, "%s/memory.oom_control", run_memory_cgroup);
    if (read_line_starting(path, "oom_kill ", value, sizeof value)) kills += strtol(value, NULL, 10);
  }
  return kills;
}

static void remove_cgroup(const char *cgroup) {
  for (int i = 0; cgroup[0] && i < 100 && rmdir(cgroup) != 0 && errno == EBUSY; i++) {
    reap_orphans();
    struct timespec pause = {0, 20000000L};
    nanosleep(&pause, NULL);
  }
}

static void remove_run_cgroup(void) {
  if (run_cgroup[0]) {
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.kill", run_cgroup);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write(fd, "1", 1) < 0) { /* older kernel: the subreaper walk does it */ }
      close(fd);
    }
  }
  remove_cgroup(run_cgroup);
  remove_cgroup(run_memory_cgroup);
}

/* Ends every descendant the run left behind (SIGTERM, SIGKILL after a short grace),
 * so nothing a stage started outlives its run. */
static void end_descendants(int grace_ms) { gf_end_descendants(grace_ms, reap_orphans); }

/* SIGTERM to the run's group, SIGKILL after the grace period. Reaps the
 * leader as it goes (a zombie still counts as a group member) and returns
 * whether it was reaped, with its status. */
static int terminate_group(pid_t group, int *status) {
  if (group <= 1) return 0; /* never pid 0, 1 or "every process" */
  kill(-group, SIGTERM);
  for (int i = 0; i < GRACE_SECONDS * 20; i++) {
    reap_orphans();
    if (kill(-group, 0) != 0) break;
    struct timespec pause = {0, 50000000L};
    nanosleep(&pause, NULL);
  }
  if (kill(-group, 0) == 0) {
    kill(-group, SIGKILL);
    while (!watched_reaped && group == watched && waitpid(group, &watched_status, 0) == group) watched_reaped = 1;
    reap_orphans();
  }
  if (group == watched && watched_reaped) *status = watched_status;
  return group == watched && watched_reaped;
}

static void install_handlers(void) {
  struct sigaction cancel_action = {0};
  cancel_action.sa_handler = on_cancel;
  sigaction(SIGTERM, &cancel_action, NULL);
  sigaction(SIGINT, &cancel_action, NULL);
  struct sigaction alarm_action = {0};
  alarm_action.sa_handler = on_alarm;
  sigaction(SIGALRM, &alarm_action, NULL);
  signal(SIGHUP, SIG_IGN);
}

static int supervise(const char *work_dir, const char *cwd, long timeout,
                     char **argv) {
  char log_path[4096], started[32];
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  snprintf(log_path, sizeof log_path, "%s/output.log", work_dir);
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    fail_early(work_dir, "cannot open output.log");
    return 1;
  }

  iso_now(started, sizeof started);
  make_run_cgroup();
  make_run_memory_cgroup();
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    fail_early(work_dir, "cannot create a pipe");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    fail_early(work_dir, "cannot fork");
    return 1;
  }
  if (child == 0) {
    setpgid(0, 0);
    join_run_cgroup();
    signal(SIGALRM, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (chdir(cwd) != 0) {
      int code = errno;
      if (write(exec_pipe[1], &code, sizeof code) < 0) _exit(126);
      _exit(126);
    }
    execvp(argv[0], argv);
    int code = errno;
    if (write(exec_pipe[1], &code, sizeof code) < 0) _exit(127);
    _exit(127);
  }
  setpgid(child, child);
  watched = child;
  close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (got == (ssize_t)sizeof exec_errno) {
    char message[512];
    snprintf(message, sizeof message, "cannot start %s: %s", argv[0],
             strerror(exec_errno));
    for (char *c = message; *c; c++)
      if (*c == '"' || *c == '\\') *c = '\'';
    dprintf(log_fd, "goldfish: %s\n", message);
    waitpid(child, NULL, 0);
    remove_run_cgroup();
    fail_early(work_dir, message);
    return 0;
  }
  if (timeout > 0) alarm((unsigned)timeout);

  int status = 0;
  const char *cause = "exit";
  for (;;) {
    if (cancel_requested || timed_out) {
      cause = timed_out ? "timeout" : "user";
      alarm(0);
      if (terminate_group(child, &status)) break;
    }
    pid_t done = waitpid(child, &status, 0);
    if (done == child) {
      watched_reaped = 1;
      break;
    }
    if (done < 0 && errno != EINTR) break;
  }
  /* Whatever the run left behind in its group goes with it. */
  reap_orphans();
  if (kill(-child, 0) == 0) {
    int ignored;
    terminate_group(child, &ignored);
  }
  /* ... and so does whatever left the group (setsid, a double fork). */
  long oom_kills = run_cgroup_oom_kills();
  end_descendants(2000);
  remove_run_cgroup();
  reap_orphans();

  char finished[32], text[1024];
  iso_now(finished, sizeof finished);
  if (WIFEXITED(status)) {
    snprintf(text, sizeof text,
             "{\"exit_code\":%d,\"signal\":null,\"cause\":\"%s\",\"message\":\"\","
             "\"started_at\":\"%s\",\"finished_at\":\"%s\"}\n",
             WEXITSTATUS(status), cause, started, finished);
  } else {
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    /* Out of memory only when the kernel says so: its OOM killer counted a kill in
     * the run's own cgroup. A SIGKILL alone says nothing about memory. */
    int oom = strcmp(cause, "exit") == 0 && sig == SIGKILL && oom_kills > 0;
    if (oom) cause = "oom";
    const char *name = sigabbrev_np(sig);
    char message[160];
    if (oom)
      snprintf(message, sizeof message, "out of memory: the kernel's OOM killer ended it (signal 9, SIGKILL)");
    else
      snprintf(message, sizeof message, "killed by signal %d (SIG%s)", sig, name ? name : "?");
    snprintf(text, sizeof text,
             "{\"exit_code\":%d,\"signal\":%d,\"cause\":\"%s\",\"message\":\"%s\","
             "\"started_at\":\"%s\",\"finished_at\":\"%s\"}\n",
             128 + sig, sig, cause, message, started, finished);
  }
  close(log_fd);
  return write_atomically(work_dir, "status.json", text) == 0 ? 0 : 1;
}

/* A run must not keep its launcher's descriptors open: a pipe inherited from a
 * caller would keep that caller waiting for the whole run. */
static void close_inherited_descriptors(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return;
  int own = dirfd(dir);
  int fds[1024];
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) && count < 1024) {
    int fd = atoi(entry->d_name);
    if (fd > 2 && fd != own) fds[count++] = fd;
  }
  closedir(dir);
  for (int i = 0; i < count; i++) close(fds[i]);
}

/* The CLI is a stable contract: third-party run backends exec this program
 * (docs/plugins.md, "goldfish-runner: a supervisor you may exec"). */
static const char usage_text[] =
    "usage: goldfish-runner WORK_DIR CWD TIMEOUT_SECONDS -- PROGRAM [ARG...]\n"
    "\n"
    "Supervises one run: detaches (it returns as soon as the supervisor is up),\n"
    "runs PROGRAM with ARGs in CWD, in a process group of its own, with stdin\n"
    "from /dev/null and stdout and stderr appended to WORK_DIR/output.log. PROGRAM\n"
    "is looked up in PATH; the environment is passed on as it is.\n"
    "\n"
    "  WORK_DIR          an existing folder for the files below\n"
    "  CWD               the job's working directory\n"
    "  TIMEOUT_SECONDS   > 0: end the job after that long (cause \"timeout\");\n"
    "                    0: no limit\n"
    "\n"
    "SIGTERM or SIGINT to the supervisor cancels the run (cause \"user\"). To end\n"
    "a run, the whole process group gets SIGTERM, then SIGKILL 10 s later, and so\n"
    "does anything it started that left the group.\n"
    "\n"
    "Files in WORK_DIR:\n"
    "  runner.json   {\"pid\": N, \"start_time\": T}: the supervisor, written before\n"
    "                goldfish-runner returns; T is field 22 of /proc/N/stat, so a\n"
    "                recycled pid is never taken for it\n"
    "  output.log    the job's stdout and stderr\n"
    "  status.json   written last, atomically, once the run is over:\n"
    "                {\"exit_code\": 0, \"signal\": null, \"cause\": \"exit\",\n"
    "                 \"message\": \"\", \"started_at\": \"2026-01-01T00:00:00Z\",\n"
    "                 \"finished_at\": \"2026-01-01T00:00:05Z\"}\n"
    "                cause: exit | user | timeout | oom | error (PROGRAM could\n"
    "                not start, or CWD is unusable: exit_code 127); a job\n"
    "                ended by a signal has exit_code 128 + signal\n"
    "\n"
    "Exit status: 0 once the supervisor runs, 1 if it could not start, 2 on a\n"
    "usage error.\n";

int main(int argc, char **argv) {
  close_inherited_descriptors();
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fputs(usage_text, stderr);
    return 2;
  }
  /* A parent may have blocked or ignored signals; cancel and timeout need them. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  const char *work_dir = argv[1];
  const char *cwd = argv[2];
  long timeout = strtol(argv[3], NULL, 10);

  /* Detach: the intermediate child exits at once so the caller can reap it,
   * and the supervisor is adopted by init (or the nearest subreaper). */
  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t middle = fork();
  if (middle < 0) return 1;
  if (middle > 0) {
    close(ready[1]);
    char byte;
    ssize_t n;
    do {
      n = read(ready[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : 1;
  }
  close(ready[0]);
  setsid();
  pid_t supervisor = fork();
  if (supervisor < 0) _exit(1);
  if (supervisor > 0) _exit(0);
  /* A cancel may arrive as soon as runner.json names this process. */
  install_handlers();
  /* runner.json must exist before the caller reads it: signal after writing. */
  int fd = open("/dev/null", O_RDWR);
  if (fd >= 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
  }
  int rc;
  {
    char runner[256];
    snprintf(runner, sizeof runner, "{\"pid\":%d,\"start_time\":%llu}\n",
             (int)getpid(), start_time_of(getpid()));
    if (write_atomically(work_dir, "runner.json", runner) != 0) {
      _exit(1);
    }
    char byte = 1;
    if (write(ready[1], &byte, 1) < 0) _exit(1);
    close(ready[1]);
    rc = supervise(work_dir, cwd, timeout, argv + 5);
  }
  return rc;
}
