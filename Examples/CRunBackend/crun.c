/*
 * crun.c - an example Goldfish run backend in plain C99 (libc only).
 *
 * It registers one run_backend service, "crun", that runs each job as a local
 * process group. It does not supervise the job itself: it execs
 * goldfish-runner, the supervisor that ships with Goldfish (docs/plugins.md,
 * "goldfish-runner: a supervisor you may exec"), which detaches, runs the
 * command in its own process group, enforces timeout_seconds, and records the
 * outcome in files of the run's work_dir:
 *
 *   runner.json   {"pid": 4242, "start_time": 123456}   written before launch returns
 *   output.log    the job's stdout and stderr
 *   status.json   {"exit_code", "signal", "cause", "message", "started_at",
 *                  "finished_at"}                        written last, atomically
 *
 * So this file is only the plugin: parse the request, spawn the runner, read
 * its files back, signal it to cancel. No fork in a multithreaded host, no
 * async-signal-safe code, no double fork.
 *
 * Build (goldfish_plugin.h and goldfish_json.h in <include>):
 *   cc -std=c99 -shared -fPIC -I <include> crun.c -o libcrun.so
 *
 * Configure (goldfish.yaml):
 *   plugins: {paths: [./libcrun.so]}
 *   jobs: {backend: crun}
 *   crun: {runner: /usr/local/bin/goldfish-runner}   # optional, see find_runner
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* posix_spawn, pread, readlink, strdup */
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "goldfish_json.h"
#include "goldfish_plugin.h"

#define CRUN_PLUGIN_NAME "example-crun"
#define CRUN_SERVICE_NAME "crun"
#define CRUN_LOG_MAX_BYTES (64 * 1024)      /* logs: default max_bytes */
#define CRUN_LOG_MAX_MAX_BYTES (4 << 20)    /* and its ceiling */
#define CRUN_TAIL_WINDOW (1 << 20)          /* logs by tail read at most this much */

extern char **environ;

/* Written once by goldfish_plugin_entry before any call; read-only after. */
static const gf_host_api *g_host;

static void crun_log(int32_t level, const char *message) {
  if (g_host != NULL && g_host->log != NULL) g_host->log(CRUN_SERVICE_NAME, level, message);
}

/* ================================================================== */
/* Small file helpers                                                  */
/* ================================================================== */

static int file_exists(const char *dir, const char *name) {
  char path[4096];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0;
}

/* The whole of dir/name (at most 64 KiB), parsed as JSON; NULL if absent or
 * not (yet) valid. goldfish-runner writes its files atomically. */
static gfj_value *read_json(const char *dir, const char *name) {
  char path[4096], text[65536];
  ssize_t n, total = 0;
  int fd;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return NULL;
  while (total < (ssize_t)sizeof text - 1 &&
         (n = read(fd, text + total, sizeof text - 1 - (size_t)total)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    total += n;
  }
  close(fd);
  text[total] = '\0';
  return gfj_parse(text, NULL, 0);
}

/* mkdir -p. Returns 0 or an errno. */
static int make_dirs(const char *path) {
  char buf[4096];
  size_t k, len = strlen(path);
  if (len >= sizeof buf) return ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  for (k = 1; k <= len; k++) {
    if (buf[k] != '/' && buf[k] != '\0') continue;
    buf[k] = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return errno;
    buf[k] = path[k];
  }
  return 0;
}

/* ================================================================== */
/* The supervisor's identity: pid and start time, so a recycled pid     */
/* is never mistaken for it                                            */
/* ================================================================== */

/* Field 22 of /proc/<pid>/stat (start time in clock ticks), and whether the
 * process is a zombie; 0 when there is no such process. */
static unsigned long long start_time_of(long pid, int *zombie) {
  char path[64], buf[1024], *p;
  ssize_t n;
  int fd, field;
  *zombie = 0;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 0;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ') return 0;
  *zombie = p[2] == 'Z';
  for (p++, field = 2; *p && field < 22; p++)
    if (*p == ' ') field++;
  return field == 22 ? strtoull(p, NULL, 10) : 0;
}

/* 1 when the supervisor named by runner.json still runs. */
static int supervisor_alive(const char *work_dir, long *pid_out) {
  gfj_value *runner = read_json(work_dir, "runner.json");
  long pid = (long)gfj_int(gfj_get(runner, "pid"), 0);
  unsigned long long start = (unsigned long long)gfj_int(gfj_get(runner, "start_time"), 0);
  int zombie, alive;
  gfj_free(runner);
  *pid_out = pid;
  alive = pid > 1 && start_time_of(pid, &zombie) == start && !zombie;
  return alive;
}

/* ================================================================== */
/* The service instance                                                */
/* ================================================================== */

typedef struct {
  char *runner; /* absolute path of goldfish-runner; immutable after open */
} crun_backend;

/* goldfish-runner: crun.runner in goldfish.yaml, else $GOLDFISH_RUNNER, else
 * next to the goldfish executable (where install.sh puts both). */
static char *find_runner(const char *configured) {
  char exe[4096], *slash;
  const char *env = getenv("GOLDFISH_RUNNER");
  ssize_t n;
  if (configured != NULL && configured[0] != '\0') return strdup(configured);
  if (env != NULL && env[0] != '\0') return strdup(env);
  if ((n = readlink("/proc/self/exe", exe, sizeof exe - 32)) <= 0) return NULL;
  exe[n] = '\0';
  if ((slash = strrchr(exe, '/')) == NULL) return NULL;
  strcpy(slash + 1, "goldfish-runner");
  return strdup(exe);
}

static int32_t crun_open(const gf_service *service, const char *config_json,
                         const char *context_json, void **instance, char **error_json) {
  char why[160];
  gfj_value *config = gfj_parse(config_json ? config_json : "{}", why, sizeof why);
  const char *configured = NULL;
  crun_backend *backend;
  char *runner;
  (void)service, (void)context_json;
  *instance = NULL;
  if (gfj_type_of(config) != GFJ_OBJECT) {
    gfj_free(config);
    return gfj_failf(error_json, "invalid_argument", 0, "the crun section of goldfish.yaml is not an object%s%s",
                     config ? "" : ": ", config ? "" : why);
  }
  if (!gfj_want_string(config, "runner", 0, &configured, error_json)) return gfj_free(config), GF_ERROR;
  runner = find_runner(configured);
  gfj_free(config);
  if (runner == NULL || access(runner, X_OK) != 0) {
    gfj_writer e;
    gfj_error_begin(&e, "invalid_argument", 0,
                    "cannot find goldfish-runner, which supervises crun's jobs; install it next "
                    "to goldfish, set GOLDFISH_RUNNER, or set crun.runner in goldfish.yaml");
    gfj_w_key_string(&e, "runner", runner);
    free(runner);
    return gfj_error_end(&e, error_json);
  }
  if ((backend = malloc(sizeof *backend)) == NULL) return free(runner), gfj_fail(error_json, "internal", 1, "out of memory");
  backend->runner = runner;
  *instance = backend;
  return GF_OK;
}

/* One entry of check_config's "problems" or "notes". */
static void config_problem(gfj_writer *w, const char *key, const char *message, const char *hint) {
  gfj_w_begin_object(w);
  gfj_w_key_string(w, "key", key);
  gfj_w_key_string(w, "message", message);
  gfj_w_key_string(w, "hint", hint);
  gfj_w_end_object(w);
}

/* check_config (ABI 1.2): the rules of crun_open, reported instead of refused.
 * Its one key, "runner", is in effect as found (configured, $GOLDFISH_RUNNER,
 * or next to goldfish); a runner that is not there is a problem, since open
 * would refuse it. Starts nothing and writes nothing. */
static int32_t crun_check_config(const gf_service *service, const char *config_json,
                                 const char *context_json, char **response_json, char **error_json) {
  char why[160], *runner = NULL;
  gfj_value *config = gfj_parse(config_json ? config_json : "{}", why, sizeof why);
  const gfj_value *configured = gfj_get(config, "runner");
  const char *key;
  gfj_writer w;
  size_t k;
  (void)service, (void)context_json;
  *error_json = NULL;
  if (gfj_type_of(configured) == GFJ_STRING || configured == NULL) runner = find_runner(gfj_string(configured));
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key(&w, "effective");
  gfj_w_begin_object(&w);
  if (runner != NULL)
    gfj_w_key_string(&w, "runner", runner);
  else
    gfj_w_key_null(&w, "runner");
  gfj_w_end_object(&w);
  gfj_w_key(&w, "problems");
  gfj_w_begin_array(&w);
  if (gfj_type_of(config) != GFJ_OBJECT) {
    gfj_w_begin_object(&w);
    gfj_w_key_null(&w, "key");
    gfj_w_key_string(&w, "message", "the crun section is not a mapping");
    gfj_w_key_string(&w, "hint", "write it as crun: {runner: /path/to/goldfish-runner}, or leave it out");
    gfj_w_end_object(&w);
  } else {
    if (configured != NULL && gfj_type_of(configured) != GFJ_STRING)
      config_problem(&w, "runner", "runner must be a string: the path of goldfish-runner",
                     "e.g. runner: /usr/local/bin/goldfish-runner");
    else if (runner == NULL || access(runner, X_OK) != 0)
      config_problem(&w, "runner", "cannot find goldfish-runner, which supervises crun's jobs",
                     "install it next to goldfish, set GOLDFISH_RUNNER, or set crun.runner");
    for (k = 0; k < gfj_count(config); k++) {
      key = gfj_key(gfj_at(config, k));
      if (strcmp(key, "runner") == 0) continue;
      gfj_w_begin_object(&w);
      gfj_w_key_string(&w, "key", key);
      gfj_w_key(&w, "message");
      gfj_w_stringf(&w, "unknown key \"%s\"", key);
      gfj_w_key_string(&w, "hint", "allowed: runner");
      gfj_w_end_object(&w);
    }
  }
  gfj_w_end_array(&w);
  gfj_w_key(&w, "notes");
  gfj_w_begin_array(&w);
  gfj_w_end_array(&w);
  gfj_w_end_object(&w);
  gfj_free(config);
  free(runner);
  if ((*response_json = gfj_w_finish(&w)) == NULL) return gfj_fail(error_json, "internal", 1, "out of memory");
  return GF_OK;
}

static void crun_close(void *instance) {
  crun_backend *backend = instance;
  if (backend != NULL) free(backend->runner), free(backend);
}

/* ================================================================== */
/* launch                                                              */
/* ================================================================== */

static int valid_env_key(const char *key) {
  size_t k;
  if (!((key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z') || key[0] == '_')) return 0;
  for (k = 1; key[k]; k++)
    if (!((key[k] >= 'A' && key[k] <= 'Z') || (key[k] >= 'a' && key[k] <= 'z') ||
          (key[k] >= '0' && key[k] <= '9') || key[k] == '_'))
      return 0;
  return 1;
}

/* The job's environment: a few variables of the host's own, HOME and TMPDIR
 * inside its work_dir, then the spec's env (which wins). NULL-terminated,
 * every string malloc'd. */
static char **job_environment(const char *work_dir, const gfj_value *env) {
  static const char *inherited[] = {"PATH", "LANG", "LC_ALL", "TZ"};
  size_t k, n = 0, count = gfj_count(env);
  char **envp = calloc(count + 8, sizeof *envp);
  if (envp == NULL) return NULL;
  for (k = 0; k < sizeof inherited / sizeof inherited[0]; k++)
    if (getenv(inherited[k]) != NULL) envp[n++] = gfj_format("%s=%s", inherited[k], getenv(inherited[k]));
  envp[n++] = gfj_format("HOME=%s/home", work_dir);
  envp[n++] = gfj_format("TMPDIR=%s/tmp", work_dir);
  for (k = 0; k < count; k++) {
    const gfj_value *member = gfj_at(env, k);
    size_t j, key_len = strlen(gfj_key(member));
    for (j = 0; j < n; j++) /* the spec overrides a base variable */
      if (envp[j] && strncmp(envp[j], gfj_key(member), key_len) == 0 && envp[j][key_len] == '=') {
        free(envp[j]);
        envp[j] = envp[--n];
        envp[n] = NULL;
        break;
      }
    envp[n++] = gfj_format("%s=%s", gfj_key(member), gfj_string(member));
  }
  for (k = 0; k < n; k++)
    if (envp[k] == NULL) break;
  if (k < n) { /* out of memory somewhere */
    for (k = 0; k < n; k++) free(envp[k]);
    free(envp);
    return NULL;
  }
  return envp;
}

static void free_strings(char **strings) {
  size_t k;
  if (strings == NULL) return;
  for (k = 0; strings[k]; k++) free(strings[k]);
  free(strings);
}

/* Checks the spec; returns 1, or 0 with *error_json set. */
static int check_spec(const gfj_value *spec, const gfj_value *command, const gfj_value *env,
                      const char *work_dir, int64_t timeout, char **error_json) {
  size_t k;
  if (work_dir[0] != '/')
    return gfj_failf(error_json, "invalid_argument", 0, "work_dir must be an absolute path, got \"%s\"", work_dir), 0;
  if (gfj_count(command) == 0)
    return gfj_fail(error_json, "invalid_argument", 0, "the run spec has an empty command"), 0;
  for (k = 0; k < gfj_count(command); k++)
    if (gfj_string(gfj_at(command, k)) == NULL || (k == 0 && gfj_string(gfj_at(command, 0))[0] == '\0'))
      return gfj_failf(error_json, "invalid_argument", 0, "command[%lu] must be a non-empty string without NUL",
                       (unsigned long)k), 0;
  for (k = 0; k < gfj_count(env); k++)
    if (!valid_env_key(gfj_key(gfj_at(env, k))) || gfj_string(gfj_at(env, k)) == NULL)
      return gfj_failf(error_json, "invalid_argument", 0,
                       "env key \"%s\" is not [A-Za-z_][A-Za-z0-9_]* with a string value",
                       gfj_key(gfj_at(env, k))), 0;
  if (!gfj_is_null(gfj_get(spec, "timeout_seconds")) && timeout <= 0)
    return gfj_failf(error_json, "invalid_argument", 0,
                     "timeout_seconds must be positive, got %lld; leave it out for no limit", (long long)timeout), 0;
  return 1;
}

static int32_t crun_launch(void *instance, const char *request_json, char **response_json,
                           char **error_json) {
  crun_backend *backend = instance;
  gfj_value *spec = gfj_parse_request(request_json, error_json), *runner_record;
  const gfj_value *command, *env;
  const char *run_id, *work_dir, *code_dir, *outputs_dir;
  char timeout_text[32], **argv = NULL, **envp = NULL;
  int64_t timeout;
  size_t k, argc;
  pid_t pid;
  int status, err;
  int32_t rc = GF_ERROR;
  gfj_writer w;
  if (spec == NULL) return GF_ERROR;
  if (!gfj_want_string(spec, "run_id", 1, &run_id, error_json) ||
      !gfj_want(spec, "command", GFJ_ARRAY, 1, &command, error_json) ||
      !gfj_want_string(spec, "work_dir", 1, &work_dir, error_json) ||
      !gfj_want_string(spec, "code_dir", 0, &code_dir, error_json) ||
      !gfj_want_string(spec, "outputs_dir", 0, &outputs_dir, error_json) ||
      !gfj_want(spec, "env", GFJ_OBJECT, 0, &env, error_json) ||
      !gfj_want_int(spec, "timeout_seconds", 0, &timeout, error_json) ||
      !check_spec(spec, command, env, work_dir, timeout, error_json))
    goto done;
  /* launch is not repeated by the host, but a second launch into the same
   * work_dir must not start a second job. */
  if (file_exists(work_dir, "runner.json")) {
    gfj_failf(error_json, "already_exists", 0, "run %s was already launched in %s", run_id, work_dir);
    goto done;
  }
  {
    char home[4096], tmp[4096];
    snprintf(home, sizeof home, "%s/home", work_dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", work_dir);
    if ((err = make_dirs(work_dir)) != 0 || (err = make_dirs(home)) != 0 || (err = make_dirs(tmp)) != 0 ||
        (outputs_dir != NULL && (err = make_dirs(outputs_dir)) != 0)) {
      gfj_failf(error_json, err == EACCES ? "permission_denied" : "io", 0, "cannot create the folders of run %s in %s: %s",
                run_id, work_dir, strerror(err));
      goto done;
    }
  }
  /* goldfish-runner WORK_DIR CWD TIMEOUT_SECONDS -- PROGRAM [ARG...] */
  argc = 5 + gfj_count(command);
  if ((argv = calloc(argc + 1, sizeof *argv)) == NULL || (envp = job_environment(work_dir, env)) == NULL) {
    gfj_fail(error_json, "internal", 1, "out of memory");
    goto done;
  }
  snprintf(timeout_text, sizeof timeout_text, "%lld", (long long)timeout);
  argv[0] = backend->runner;
  argv[1] = (char *)work_dir;
  argv[2] = (char *)(code_dir != NULL ? code_dir : work_dir);
  argv[3] = timeout_text;
  argv[4] = (char *)"--";
  for (k = 0; k < gfj_count(command); k++) argv[5 + k] = (char *)gfj_string(gfj_at(command, k));
  /* posix_spawn, not fork: the host is multithreaded. The runner returns as
   * soon as its detached supervisor has written runner.json. */
  if ((err = posix_spawn(&pid, backend->runner, NULL, NULL, argv, envp)) != 0) {
    gfj_failf(error_json, "internal", 0, "cannot start %s: %s", backend->runner, strerror(err));
    goto done;
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  runner_record = read_json(work_dir, "runner.json");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || runner_record == NULL) {
    gfj_failf(error_json, "internal", 0, "the supervisor %s did not start run %s (see %s/output.log)",
              backend->runner, run_id, work_dir);
    gfj_free(runner_record);
    goto done;
  }
  /* The handle: enough to find the run again from any process. */
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_string(&w, "run_id", run_id);
  gfj_w_key_string(&w, "backend", CRUN_SERVICE_NAME);
  gfj_w_key_string(&w, "work_dir", work_dir);
  gfj_w_key_int(&w, "pid", gfj_int(gfj_get(runner_record, "pid"), 0));
  gfj_w_key_int(&w, "start_time", gfj_int(gfj_get(runner_record, "start_time"), 0));
  gfj_w_end_object(&w);
  gfj_free(runner_record);
  if ((*response_json = gfj_w_finish(&w)) == NULL) gfj_fail(error_json, "internal", 1, "out of memory");
  else rc = GF_OK;
done:
  free(argv);
  free_strings(envp);
  gfj_free(spec);
  return rc;
}

/* ================================================================== */
/* status, recover                                                     */
/* ================================================================== */

/* The handle of a request, and the work_dir inside it. */
static gfj_value *parse_handle(const char *request_json, const char **work_dir, char **error_json) {
  gfj_value *req = gfj_parse_request(request_json, error_json);
  const gfj_value *handle;
  if (req == NULL) return NULL;
  if (!gfj_want(req, "handle", GFJ_OBJECT, 1, &handle, error_json) ||
      !gfj_want_string(handle, "work_dir", 1, work_dir, error_json))
    return gfj_free(req), (gfj_value *)NULL;
  if ((*work_dir)[0] != '/') {
    gfj_fail(error_json, "invalid_argument", 0, "the handle's work_dir is not an absolute path");
    return gfj_free(req), (gfj_value *)NULL;
  }
  return req;
}

/* status.json's "cause" as the ABI's state and termination_cause. */
static void map_cause(const char *cause, int64_t exit_code, const char **state, const char **termination) {
  *termination = "exit";
  if (strcmp(cause, "user") == 0) *state = "canceled", *termination = "user";
  else if (strcmp(cause, "timeout") == 0) *state = "terminated", *termination = "timeout";
  else if (strcmp(cause, "oom") == 0) *state = "terminated", *termination = "oom";
  else if (strcmp(cause, "error") == 0) *state = "failed", *termination = "error";
  else *state = exit_code == 0 ? "completed" : "failed";
}

/* Writes the status object of the run in work_dir into w. Returns 1, or 0
 * with *error_json set (not_found: nothing was ever launched there). */
static int write_status(gfj_writer *w, const char *work_dir, int *final, char **error_json) {
  gfj_value *record = read_json(work_dir, "status.json");
  long pid;
  *final = 1;
  if (record == NULL) {
    if (!file_exists(work_dir, "runner.json")) {
      gfj_writer e;
      gfj_error_begin(&e, "not_found", 0, "no run was launched in this work_dir");
      gfj_w_key_string(&e, "work_dir", work_dir);
      gfj_error_end(&e, error_json);
      return 0;
    }
    if (supervisor_alive(work_dir, &pid)) {
      *final = 0;
      gfj_w_begin_object(w);
      gfj_w_key_string(w, "state", "running");
      gfj_w_key_null(w, "exit_code");
      gfj_w_key_null(w, "termination_cause");
      gfj_w_key_string(w, "message", "");
      gfj_w_end_object(w);
      return 1;
    }
    /* It may have finished between the two reads. */
    record = read_json(work_dir, "status.json");
  }
  gfj_w_begin_object(w);
  if (record == NULL) {
    gfj_w_key_string(w, "state", "failed");
    gfj_w_key_null(w, "exit_code");
    gfj_w_key_string(w, "termination_cause", "lost");
    gfj_w_key_string(w, "message", "the run's supervisor stopped without recording how the run ended");
  } else {
    const char *cause = gfj_string(gfj_get(record, "cause")), *state, *termination;
    int64_t code = gfj_int(gfj_get(record, "exit_code"), -1);
    map_cause(cause ? cause : "exit", code, &state, &termination);
    gfj_w_key_string(w, "state", state);
    gfj_w_key(w, "exit_code");
    gfj_w_value(w, gfj_get(record, "exit_code"));
    gfj_w_key_string(w, "termination_cause", termination);
    gfj_w_key_string(w, "message", gfj_string(gfj_get(record, "message")) ? gfj_string(gfj_get(record, "message")) : "");
    gfj_w_key(w, "started_at");
    gfj_w_value(w, gfj_get(record, "started_at"));
    gfj_w_key(w, "finished_at");
    gfj_w_value(w, gfj_get(record, "finished_at"));
  }
  gfj_w_end_object(w);
  gfj_free(record);
  return 1;
}

static int32_t crun_status(void *instance, const char *request_json, char **response_json,
                           char **error_json) {
  const char *work_dir;
  gfj_value *req = parse_handle(request_json, &work_dir, error_json);
  gfj_writer w;
  int final;
  (void)instance;
  if (req == NULL) return GF_ERROR;
  gfj_w_init(&w);
  if (!write_status(&w, work_dir, &final, error_json)) return gfj_w_discard(&w), gfj_free(req), GF_ERROR;
  gfj_free(req);
  if ((*response_json = gfj_w_finish(&w)) == NULL) return gfj_fail(error_json, "internal", 1, "out of memory");
  return GF_OK;
}

/* The handle holds all there is to know, so recovering is reading status. */
static int32_t crun_recover(void *instance, const char *request_json, char **response_json,
                            char **error_json) {
  const char *work_dir;
  gfj_value *req = parse_handle(request_json, &work_dir, error_json);
  gfj_writer w;
  int final;
  (void)instance;
  if (req == NULL) return GF_ERROR;
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key(&w, "handle");
  gfj_w_value(&w, gfj_get(req, "handle"));
  gfj_w_key(&w, "status");
  if (!write_status(&w, work_dir, &final, error_json)) return gfj_w_discard(&w), gfj_free(req), GF_ERROR;
  gfj_w_end_object(&w);
  gfj_free(req);
  if ((*response_json = gfj_w_finish(&w)) == NULL) return gfj_fail(error_json, "internal", 1, "out of memory");
  return GF_OK;
}

/* ================================================================== */
/* logs                                                                */
/* ================================================================== */

/* Bytes [offset, offset + count) of fd into a malloc'd buffer; *got says
 * how many there were. */
static char *read_range(int fd, int64_t offset, size_t count, size_t *got) {
  char *buf = malloc(count + 1);
  ssize_t n;
  *got = 0;
  if (buf == NULL) return NULL;
  while (*got < count) {
    n = pread(fd, buf + *got, count - *got, (off_t)(offset + (int64_t)*got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    *got += (size_t)n;
  }
  return buf;
}

/* Leaves out a UTF-8 character cut in two at the end of buf[0..len). */
static size_t whole_utf8(const char *buf, size_t len) {
  size_t k = len, back = 0;
  unsigned char lead;
  while (k > 0 && back < 3 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80) k--, back++;
  if (k == 0) return len;
  lead = (unsigned char)buf[k - 1];
  if ((lead >= 0xF0 && back < 3) || (lead >= 0xE0 && lead < 0xF0 && back < 2) || (lead >= 0xC0 && lead < 0xE0 && back < 1))
    return k - 1;
  return len;
}

static int32_t crun_logs(void *instance, const char *request_json, char **response_json,
                         char **error_json) {
  const char *work_dir;
  gfj_value *req = parse_handle(request_json, &work_dir, error_json);
  int64_t offset, max_bytes, tail, size, next;
  char path[4096], *buf = NULL;
  size_t got = 0, text_len, start = 0;
  struct stat st;
  gfj_writer w;
  int fd, finished;
  long pid;
  (void)instance;
  if (req == NULL) return GF_ERROR;
  if (!gfj_want_int(req, "offset", 0, &offset, error_json) ||
      !gfj_want_int(req, "max_bytes", CRUN_LOG_MAX_BYTES, &max_bytes, error_json) ||
      !gfj_want_int(req, "tail", 0, &tail, error_json))
    return gfj_free(req), GF_ERROR;
  if (offset < 0 || (!gfj_is_null(gfj_get(req, "tail")) && tail < 1))
    return gfj_free(req), gfj_fail(error_json, "invalid_argument", 0, "offset must be >= 0 and tail >= 1");
  if (max_bytes < 4) max_bytes = 4; /* one whole UTF-8 character always fits */
  if (max_bytes > CRUN_LOG_MAX_MAX_BYTES) max_bytes = CRUN_LOG_MAX_MAX_BYTES;
  /* Decide "finished" before reading, so nothing written after is missed. */
  finished = file_exists(work_dir, "status.json") || !supervisor_alive(work_dir, &pid);
  snprintf(path, sizeof path, "%s/output.log", work_dir);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  size = fd >= 0 && fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
  if (tail > 0) {
    int64_t from = size > CRUN_TAIL_WINDOW ? size - CRUN_TAIL_WINDOW : 0;
    size_t lines = 0;
    buf = fd >= 0 ? read_range(fd, from, (size_t)(size - from), &got) : NULL;
    text_len = got;
    /* Walk back over the last `tail` lines (a final newline ends a line). */
    for (start = got; start > 0; start--)
      if (buf[start - 1] == '\n' && start != got && ++lines == (size_t)tail) break;
    text_len = got - start;
    next = size;
  } else {
    int64_t count = size - offset < max_bytes ? size - offset : max_bytes;
    buf = fd >= 0 && count > 0 ? read_range(fd, offset, (size_t)count, &got) : NULL;
    text_len = offset + (int64_t)got < size ? whole_utf8(buf, got) : got;
    next = offset + (int64_t)text_len;
  }
  if (fd >= 0) close(fd);
  gfj_free(req);
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key(&w, "text");
  gfj_w_string_n(&w, buf ? buf + start : "", buf ? text_len : 0); /* invalid UTF-8 is replaced */
  gfj_w_key_int(&w, "next_offset", next);
  gfj_w_key_bool(&w, "complete", finished && next >= size);
  gfj_w_end_object(&w);
  free(buf);
  if ((*response_json = gfj_w_finish(&w)) == NULL) return gfj_fail(error_json, "internal", 1, "out of memory");
  return GF_OK;
}

/* ================================================================== */
/* cancel, cleanup                                                     */
/* ================================================================== */

/* SIGTERM to the supervisor: it ends the job's process group (SIGKILL after
 * a grace period) and records cause "user". Nothing to do once it ended. */
static int32_t stop(const char *request_json, char **error_json) {
  const char *work_dir;
  gfj_value *req = parse_handle(request_json, &work_dir, error_json);
  long pid;
  if (req == NULL) return GF_ERROR;
  if (!file_exists(work_dir, "status.json") && supervisor_alive(work_dir, &pid)) kill((pid_t)pid, SIGTERM);
  gfj_free(req);
  return GF_OK;
}

static int32_t crun_cancel(void *instance, const char *request_json, char **response_json,
                           char **error_json) {
  (void)instance, (void)response_json;
  return stop(request_json, error_json);
}

/* The runner removes everything it made when the job ends; the work_dir is
 * the host's. So cleanup only stops a job still running. */
static int32_t crun_cleanup(void *instance, const char *request_json, char **response_json,
                            char **error_json) {
  (void)instance, (void)response_json;
  return stop(request_json, error_json);
}

/* ================================================================== */
/* Descriptor and entry point                                          */
/* ================================================================== */

static const char crun_capabilities[] =
    "{\"concurrency\":\"parallel\",\"implemented\":true,\"isolation\":\"process\","
    "\"gpu\":false,\"spot\":false,\"network_policy\":false,\"resource_limits\":[],"
    "\"logs\":\"offset\",\"recover\":true,\"warm_reuse\":false,\"needs_image\":false}";

static const gf_run_backend_v1 crun_table = {
    .struct_size = sizeof(gf_run_backend_v1),
    .launch = crun_launch,
    .status = crun_status,
    .logs = crun_logs,
    .cancel = crun_cancel,
    .cleanup = crun_cleanup,
    .recover = crun_recover,
    /* deliver_job, probe_worker, delete_worker, list_workers (a warm pool) and
     * list_runs stay NULL: not supported. */
};

static const gf_service crun_services[] = {{
    .struct_size = sizeof(gf_service),
    .kind = GF_KIND_RUN_BACKEND,
    .name = CRUN_SERVICE_NAME,
    .capabilities_json = crun_capabilities,
    .open = crun_open,
    .close = crun_close,
    .table = &crun_table,
    .check_config = crun_check_config,
}};

static void crun_free(void *ptr) { free(ptr); }

static const gf_plugin_descriptor crun_descriptor = {
    .magic = GF_PLUGIN_MAGIC,
    .struct_size = sizeof(gf_plugin_descriptor),
    .abi_major = GF_ABI_MAJOR,
    .abi_minor = GF_ABI_MINOR,
    .name = CRUN_PLUGIN_NAME,
    .version = "1.0.0",
    .description = "Example C run backend: local process groups supervised by goldfish-runner",
    .free = crun_free,
    .service_count = 1,
    .services = crun_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  if (host == NULL || host->abi_major != GF_ABI_MAJOR) {
    if (host != NULL && host->log != NULL)
      host->log(CRUN_PLUGIN_NAME, GF_LOG_ERROR, "built for Goldfish plugin ABI 1; this host speaks another major version");
    return NULL;
  }
  g_host = host;
  crun_log(GF_LOG_DEBUG, CRUN_PLUGIN_NAME " loaded");
  return &crun_descriptor;
}
