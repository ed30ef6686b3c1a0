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

  char finished[32], text[1024];
  iso_now(finished, sizeof finished);
  if (WIFEXITED(status)) {
    snprintf(text, sizeof text,
             "{\"exit_code\":%d,\"signal\":null,\"cause\":\"%s\",\"message\":\"\","
             "\"started_at\":\"%s\",\"finished_at\":\"%s\"}\n",
             WEXITSTATUS(status), cause, started, finished);
  } else {
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (strcmp(cause, "exit") == 0 && sig == SIGKILL) cause = "oom";
    snprintf(text, sizeof text,
             "{\"exit_code\":%d,\"signal\":%d,\"cause\":\"%s\",\"message\":\"killed by "
             "signal %d\",\"started_at\":\"%s\",\"finished_at\":\"%s\"}\n",
             128 + sig, sig, cause, sig, started, finished);
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

int main(int argc, char **argv) {
  close_inherited_descriptors();
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr,
            "usage: goldfish-runner WORK_DIR CWD TIMEOUT_SECONDS -- PROGRAM [ARG...]\n");
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
