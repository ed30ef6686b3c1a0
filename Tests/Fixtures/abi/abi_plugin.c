/* abi_plugin.c - the ABI growth fixture: a run backend ("abirun", each job a
 * detached process group whose exit code lands in its work_dir) and an object
 * storage ("abimem", objects held in memory), doing real work, so the
 * conformance suite can run against them. Built by
 * Tests/Fixtures/plugins/build.sh several times:
 *
 *   libabi_v1_0.so     against the frozen ABI 1.0 header (goldfish_plugin_v1_0.h):
 *                      what a plugin released at 1.0 looks like, forever.
 *   libabi_future.so   against goldfish_plugin_future.h: every struct has one
 *                      more field at its end, as a later 1.x appends them.
 *   libabi_defect_*.so with GF_FIXTURE_DEFECT: one size wrong, to be refused.
 *
 * Only fields present in ABI 1.0 are initialised by name, so the same source
 * compiles against every 1.x header. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef GF_FIXTURE_FUTURE
#include "goldfish_plugin_future.h"
#elif defined(GF_FIXTURE_HEADER)
#include GF_FIXTURE_HEADER
#else
#include "goldfish_plugin.h"
#endif

#ifndef GF_FIXTURE_DEFECT
#define GF_FIXTURE_DEFECT 0 /* 1: gf_service too small, 2: table too small, 3: absurd gf_service size */
#endif

/* ------------------------------------------------------------------ */
/* A small JSON reader (objects, arrays, strings, numbers, literals)   */
/* ------------------------------------------------------------------ */

typedef struct jv {
  char type; /* 'n' null, 'b' bool, 'd' number, 's' string, 'a' array, 'o' object */
  double number;
  char *text;           /* 's': the string; 'o': unused */
  struct jv *items;     /* 'a', 'o': children */
  char **keys;          /* 'o': key of each child */
  size_t count;
} jv;

static void jv_free(jv *v) {
  if (v == NULL) return;
  free(v->text);
  for (size_t i = 0; i < v->count; i++) {
    jv_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

static void skip_ws(const char **p) {
  while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static int parse_value(const char **p, jv *out, int depth);

static int parse_string(const char **p, char **out) {
  if (**p != '"') return -1;
  (*p)++;
  size_t cap = 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) return -1;
  while (**p && **p != '"') {
    char c = **p;
    if (c == '\\') {
      (*p)++;
      switch (**p) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u': {
        unsigned code = 0;
        for (int i = 1; i <= 4; i++) {
          char h = (*p)[i];
          code = code * 16 + (h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
        }
        *p += 4;
        c = code < 0x80 ? (char)code : '?'; /* this fixture only needs ASCII */
        break;
      }
      case '\0': free(buf); return -1;
      default: c = **p;
      }
    }
    if (len + 2 > cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) { free(buf); return -1; }
      buf = grown;
    }
    buf[len++] = c;
    (*p)++;
  }
  if (**p != '"') { free(buf); return -1; }
  (*p)++;
  buf[len] = '\0';
  *out = buf;
  return 0;
}

static int parse_value(const char **p, jv *out, int depth) {
  memset(out, 0, sizeof *out);
  if (depth > 64) return -1;
  skip_ws(p);
  if (**p == '{' || **p == '[') {
    int object = **p == '{';
    out->type = object ? 'o' : 'a';
    (*p)++;
    skip_ws(p);
    if (**p == (object ? '}' : ']')) { (*p)++; return 0; }
    for (;;) {
      char *key = NULL;
      if (object) {
        skip_ws(p);
        if (parse_string(p, &key) != 0) return -1;
        skip_ws(p);
        if (**p != ':') { free(key); return -1; }
        (*p)++;
      }
      jv *items = realloc(out->items, (out->count + 1) * sizeof *items);
      if (!items) { free(key); return -1; }
      out->items = items;
      if (object) {
        char **keys = realloc(out->keys, (out->count + 1) * sizeof *keys);
        if (!keys) { free(key); return -1; }
        out->keys = keys;
        out->keys[out->count] = key;
      }
      if (parse_value(p, &out->items[out->count], depth + 1) != 0) { out->count++; return -1; }
      out->count++;
      skip_ws(p);
      if (**p == ',') { (*p)++; continue; }
      if (**p == (object ? '}' : ']')) { (*p)++; return 0; }
      return -1;
    }
  }
  if (**p == '"') { out->type = 's'; return parse_string(p, &out->text); }
  if (strncmp(*p, "null", 4) == 0) { out->type = 'n'; *p += 4; return 0; }
  if (strncmp(*p, "true", 4) == 0) { out->type = 'b'; out->number = 1; *p += 4; return 0; }
  if (strncmp(*p, "false", 5) == 0) { out->type = 'b'; *p += 5; return 0; }
  char *end = NULL;
  out->number = strtod(*p, &end);
  if (end == *p) return -1;
  out->type = 'd';
  *p = end;
  return 0;
}

static int jv_parse(const char *text, jv *out) {
  const char *p = text ? text : "{}";
  if (parse_value(&p, out, 0) != 0) { jv_free(out); return -1; }
  return out->type == 'o' ? 0 : -1;
}

static const jv *jv_get(const jv *object, const char *key) {
  if (object == NULL || object->type != 'o') return NULL;
  for (size_t i = 0; i < object->count; i++)
    if (strcmp(object->keys[i], key) == 0) return &object->items[i];
  return NULL;
}

static const char *jv_str(const jv *object, const char *key) {
  const jv *v = jv_get(object, key);
  return v && v->type == 's' ? v->text : NULL;
}

static long long jv_int(const jv *object, const char *key, long long fallback) {
  const jv *v = jv_get(object, key);
  return v && v->type == 'd' ? (long long)v->number : fallback;
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

typedef struct { char *data; size_t len, cap; } sbuf;

static void sb_add(sbuf *b, const char *text, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + len + 1) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) abort();
    b->data = grown, b->cap = cap;
  }
  memcpy(b->data + b->len, text, len);
  b->len += len;
  b->data[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *format, ...) {
  char small[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (n > 0) sb_add(b, small, (size_t)n < sizeof small ? (size_t)n : sizeof small - 1);
}

/* A JSON string literal of bytes; bytes outside ASCII become '?' (logs are UTF-8 only). */
static void sb_quote(sbuf *b, const char *text, size_t len) {
  sb_add(b, "\"", 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\', esc[1] = (char)c; sb_add(b, esc, 2); }
    else if (c == '\n') sb_add(b, "\\n", 2);
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); sb_add(b, esc, 6); }
    else if (c >= 0x80) sb_add(b, "?", 1);
    else sb_add(b, (const char *)&c, 1);
  }
  sb_add(b, "\"", 1);
}

static int32_t ok(char **response_json, sbuf *b) {
  *response_json = b->data ? b->data : strdup("{}");
  return GF_OK;
}

static int32_t fail(char **error_json, const char *code, const char *message) {
  sbuf b = {0};
  sb_printf(&b, "{\"code\":\"%s\",\"retryable\":false,\"message\":", code);
  sb_quote(&b, message, strlen(message));
  sb_add(&b, ",\"detail\":{}}", 13);
  *error_json = b.data;
  return GF_ERROR;
}

static void plugin_free(void *ptr) { free(ptr); }

/* ------------------------------------------------------------------ */
/* Run backend "abirun"                                                */
/* ------------------------------------------------------------------ */

static int make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void path_in(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static int read_file(const char *path, char **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  sbuf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sb_add(&b, chunk, n);
  fclose(f);
  *data = b.data ? b.data : calloc(1, 1);
  *len = b.len;
  return 0;
}

static int32_t run_open(const gf_service *service, const char *config_json, const char *context_json,
                        void **instance, char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void run_close(void *instance) { (void)instance; }

static int32_t launch(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv spec;
  if (jv_parse(request_json, &spec) != 0) return fail(error_json, "invalid_argument", "the spec is not JSON");
  const char *run_id = jv_str(&spec, "run_id"), *work_dir = jv_str(&spec, "work_dir");
  const jv *command = jv_get(&spec, "command");
  if (!run_id || !work_dir || !command || command->type != 'a' || command->count == 0) {
    jv_free(&spec);
    return fail(error_json, "invalid_argument", "the spec needs run_id, work_dir and a non-empty command");
  }
  char exit_path[4096], log_path[4096];
  path_in(exit_path, sizeof exit_path, work_dir, "abirun.exit");
  path_in(log_path, sizeof log_path, work_dir, "abirun.log");
  if (make_dirs(work_dir) != 0 || access(log_path, F_OK) == 0) {
    jv_free(&spec);
    return fail(error_json, "already_exists", "the work_dir cannot be created or was already used");
  }
  const char *outputs = jv_str(&spec, "outputs_dir");
  if (outputs) make_dirs(outputs);
  char **argv = calloc(command->count + 1, sizeof *argv);
  for (size_t i = 0; i < command->count; i++) argv[i] = command->items[i].text;
  const jv *env = jv_get(&spec, "env");
  const char *cwd = jv_str(&spec, "code_dir") ? jv_str(&spec, "code_dir") : work_dir;
  long timeout = (long)jv_int(&spec, "timeout_seconds", 0);
  int pipefd[2];
  if (pipe(pipefd) != 0) { free(argv); jv_free(&spec); return fail(error_json, "io", "pipe failed"); }
  pid_t first = fork();
  if (first == 0) {
    /* The first child only forks the supervisor and exits, so the host never gets a zombie. */
    pid_t supervisor = fork();
    if (supervisor == 0) {
      setsid();
      /* Its pid names the job's process group only now: tell the host after setsid. */
      pid_t self = getpid();
      (void)!write(pipefd[1], &self, sizeof self);
      close(pipefd[1]);
      close(pipefd[0]);
      int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      /* The supervisor outlives the SIGTERM it sends its own group at the timeout. */
      signal(SIGTERM, SIG_IGN);
      pid_t job = fork();
      if (job == 0) {
        /* The host (a test process, a driver) may block signals: the job gets a clean mask. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGTERM, SIG_DFL);
        dup2(log, 1), dup2(log, 2);
        if (chdir(cwd) != 0) _exit(126);
        if (env && env->type == 'o')
          for (size_t i = 0; i < env->count; i++)
            if (env->items[i].type == 's') setenv(env->keys[i], env->items[i].text, 1);
        execvp(argv[0], argv);
        _exit(127);
      }
      int status = 0, timed_out = 0;
      time_t started = time(NULL), stopped = 0;
      for (;;) {
        pid_t done = waitpid(job, &status, WNOHANG);
        if (done == job || (done < 0 && errno != EINTR)) break;
        if (timeout > 0 && !timed_out && time(NULL) - started >= timeout) {
          timed_out = 1;
          stopped = time(NULL);
          kill(-getpgrp(), SIGTERM);
        } else if (timed_out && time(NULL) - stopped >= 5) {
          kill(job, SIGKILL);
        }
        usleep(50 * 1000);
      }
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      char tmp[4200];
      snprintf(tmp, sizeof tmp, "%s.tmp", exit_path);
      FILE *f = fopen(tmp, "w");
      if (f) { fprintf(f, "%d %s\n", code, timed_out ? "timeout" : "exit"); fclose(f); rename(tmp, exit_path); }
      _exit(0);
    }
    _exit(supervisor < 0 ? 1 : 0);
  }
  close(pipefd[1]);
  pid_t supervisor = -1;
  while (read(pipefd[0], &supervisor, sizeof supervisor) < 0 && errno == EINTR) {}
  close(pipefd[0]);
  waitpid(first, NULL, 0);
  free(argv);
  if (first < 0 || supervisor <= 0) {
    jv_free(&spec);
    return fail(error_json, "io", "the job could not be started");
  }
  sbuf b = {0};
  sb_add(&b, "{\"run_id\":", 10);
  sb_quote(&b, run_id, strlen(run_id));
  sb_add(&b, ",\"backend\":\"abirun\",\"work_dir\":", 31);
  sb_quote(&b, work_dir, strlen(work_dir));
  sb_printf(&b, ",\"pgid\":%d}", (int)supervisor);
  jv_free(&spec);
  return ok(response_json, &b);
}

/* The handle of a request, checked: work_dir and pgid. */
static int handle_of(const char *request_json, jv *request, const jv **handle, char **error_json) {
  if (jv_parse(request_json, request) != 0) return fail(error_json, "invalid_argument", "the request is not JSON");
  *handle = jv_get(request, "handle");
  if (!jv_str(*handle, "work_dir") || jv_int(*handle, "pgid", 0) <= 0) {
    jv_free(request);
    return fail(error_json, "invalid_argument", "the request has no abirun handle");
  }
  return GF_OK;
}

/* Appends the status object of a handle. Returns 1 when the job ended. */
static int status_of(const jv *handle, sbuf *b) {
  const char *work_dir = jv_str(handle, "work_dir");
  char exit_path[4096], cancel_path[4096];
  path_in(exit_path, sizeof exit_path, work_dir, "abirun.exit");
  path_in(cancel_path, sizeof cancel_path, work_dir, "abirun.canceled");
  int canceled = access(cancel_path, F_OK) == 0;
  FILE *f = fopen(exit_path, "r");
  int code = -1;
  char cause[16] = "exit";
  if (f) { if (fscanf(f, "%d %15s", &code, cause) < 1) code = -1; fclose(f); }
  pid_t group = (pid_t)jv_int(handle, "pgid", 0);
  int alive = kill(-group, 0) == 0;
  /* cancel SIGKILLs the whole group before it marks the run: nothing of it runs on. */
  if (canceled) {
    sb_add(b, "{\"state\":\"canceled\",\"exit_code\":null,\"termination_cause\":\"user\",\"message\":\"canceled\"}", 87);
    return 1;
  }
  if (code >= 0 && strcmp(cause, "timeout") == 0) {
    sb_printf(b, "{\"state\":\"terminated\",\"exit_code\":%d,\"termination_cause\":\"timeout\",\"message\":\"timed out\"}",
              code);
    return 1;
  }
  if (code >= 0) {
    sb_printf(b, "{\"state\":\"%s\",\"exit_code\":%d,\"termination_cause\":\"exit\",\"message\":\"\"}",
              code == 0 ? "completed" : "failed", code);
    return 1;
  }
  if (alive) {
    sb_add(b, "{\"state\":\"running\",\"exit_code\":null,\"termination_cause\":null,\"message\":\"\"}", 74);
    return 0;
  }
  sb_add(b, "{\"state\":\"failed\",\"exit_code\":null,\"termination_cause\":\"lost\",\"message\":\"the job is gone\"}", 90);
  return 1;
}

static int32_t status(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const jv *handle;
  if (handle_of(request_json, &request, &handle, error_json) != GF_OK) return GF_ERROR;
  sbuf b = {0};
  status_of(handle, &b);
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t logs(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const jv *handle;
  if (handle_of(request_json, &request, &handle, error_json) != GF_OK) return GF_ERROR;
  char log_path[4096];
  path_in(log_path, sizeof log_path, jv_str(handle, "work_dir"), "abirun.log");
  sbuf ignored = {0};
  int ended = status_of(handle, &ignored);
  free(ignored.data);
  char *data = NULL;
  size_t len = 0;
  if (read_file(log_path, &data, &len) != 0) data = calloc(1, 1), len = 0;
  size_t from, to = len;
  long long tail = jv_int(&request, "tail", -1);
  if (tail >= 0) {
    from = len;
    long long lines = 0;
    if (from > 0 && data[from - 1] == '\n') from--;
    while (from > 0 && !(data[from - 1] == '\n' && ++lines >= tail)) from--;
    if (tail == 0) from = len;
  } else {
    long long offset = jv_int(&request, "offset", 0), max = jv_int(&request, "max_bytes", 65536);
    from = offset < 0 ? 0 : (size_t)offset > len ? len : (size_t)offset;
    if (max > 0 && to - from > (size_t)max) to = from + (size_t)max;
  }
  sbuf b = {0};
  sb_add(&b, "{\"text\":", 8);
  sb_quote(&b, data + from, to - from);
  sb_printf(&b, ",\"next_offset\":%zu,\"complete\":%s}", to, ended && to == len ? "true" : "false");
  free(data);
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t cancel(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)response_json;
  jv request;
  const jv *handle;
  if (handle_of(request_json, &request, &handle, error_json) != GF_OK) return GF_ERROR;
  sbuf b = {0};
  if (!status_of(handle, &b)) {
    char cancel_path[4096];
    path_in(cancel_path, sizeof cancel_path, jv_str(handle, "work_dir"), "abirun.canceled");
    FILE *f = fopen(cancel_path, "w");
    if (f) fclose(f);
    kill(-(pid_t)jv_int(handle, "pgid", 0), SIGKILL);
  }
  free(b.data);
  jv_free(&request);
  return GF_OK;
}

static int32_t cleanup(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)response_json;
  jv request;
  const jv *handle;
  if (handle_of(request_json, &request, &handle, error_json) != GF_OK) return GF_ERROR;
  sbuf b = {0};
  if (!status_of(handle, &b)) kill(-(pid_t)jv_int(handle, "pgid", 0), SIGKILL);
  free(b.data);
  jv_free(&request);
  return GF_OK;
}

static int32_t recover(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const jv *handle;
  if (handle_of(request_json, &request, &handle, error_json) != GF_OK) return GF_ERROR;
  sbuf b = {0};
  sb_add(&b, "{\"handle\":{\"run_id\":", 20);
  const char *run_id = jv_str(handle, "run_id");
  sb_quote(&b, run_id ? run_id : "", run_id ? strlen(run_id) : 0);
  sb_add(&b, ",\"backend\":\"abirun\",\"work_dir\":", 31);
  sb_quote(&b, jv_str(handle, "work_dir"), strlen(jv_str(handle, "work_dir")));
  sb_printf(&b, ",\"pgid\":%lld},\"status\":", jv_int(handle, "pgid", 0));
  status_of(handle, &b);
  sb_add(&b, "}", 1);
  jv_free(&request);
  return ok(response_json, &b);
}

/* ------------------------------------------------------------------ */
/* Object storage "abimem"                                             */
/* ------------------------------------------------------------------ */

#define ROOT "abimem:///"

typedef struct object { char *uri; uint8_t *data; size_t len; uint32_t crc; } object;

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static object *objects;
static size_t object_count;

static uint32_t crc32c(const uint8_t *data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* Index of uri, or where it would go (objects stay sorted by URI). */
static size_t find(const char *uri, int *found) {
  size_t lo = 0, hi = object_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(objects[mid].uri, uri);
    if (c == 0) { *found = 1; return mid; }
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  *found = 0;
  return lo;
}

static void store(const char *uri, uint8_t *data, size_t len) {
  pthread_mutex_lock(&store_lock);
  int found;
  size_t at = find(uri, &found);
  if (found) {
    free(objects[at].data);
  } else {
    objects = realloc(objects, (object_count + 1) * sizeof *objects);
    memmove(&objects[at + 1], &objects[at], (object_count - at) * sizeof *objects);
    object_count++;
    objects[at].uri = strdup(uri);
  }
  objects[at].data = data, objects[at].len = len, objects[at].crc = crc32c(data, len);
  pthread_mutex_unlock(&store_lock);
}

/* A copy of an object's bytes, or -1 when absent. */
static int fetch(const char *uri, uint8_t **data, size_t *len, uint32_t *crc) {
  pthread_mutex_lock(&store_lock);
  int found;
  size_t at = find(uri, &found);
  if (found) {
    *len = objects[at].len;
    *data = malloc(*len ? *len : 1);
    memcpy(*data, objects[at].data, *len);
    if (crc) *crc = objects[at].crc;
  }
  pthread_mutex_unlock(&store_lock);
  return found ? 0 : -1;
}

static int valid_key(const char *key) {
  size_t len = strlen(key);
  if (len == 0 || len > 1024 || key[0] == '/' || key[len - 1] == '/') return 0;
  size_t segment = 0;
  for (size_t i = 0; i <= len; i++) {
    char c = key[i];
    if (c == '/' || c == '\0') {
      if (segment == 0 || segment > 255) return 0;
      if ((segment == 1 && key[i - 1] == '.') || (segment == 2 && key[i - 1] == '.' && key[i - 2] == '.')) return 0;
      segment = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return 0;
    segment++;
  }
  return 1;
}

/* The request's "uri", checked to be one of this storage. */
static const char *uri_of(const char *request_json, jv *request, char **error_json) {
  if (jv_parse(request_json, request) != 0) { fail(error_json, "invalid_argument", "the request is not JSON"); return NULL; }
  const char *uri = jv_str(request, "uri");
  if (!uri || strncmp(uri, ROOT, strlen(ROOT)) != 0 || !valid_key(uri + strlen(ROOT))) {
    jv_free(request);
    fail(error_json, "invalid_argument", "the uri is not an abimem:/// object URI");
    return NULL;
  }
  return uri;
}

static int32_t mem_open(const gf_service *service, const char *config_json, const char *context_json,
                        void **instance, char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void info_answer(sbuf *b, size_t len, uint32_t crc) {
  sb_printf(b, "{\"size\":%zu,\"hash\":{\"crc32c\":\"%08x\"},\"etag\":\"%08x-%zu\"}", len, crc, crc, len);
}

static int32_t put_file(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  char *data;
  size_t len;
  const char *path = jv_str(&request, "path");
  if (!path || read_file(path, &data, &len) != 0) {
    jv_free(&request);
    return fail(error_json, "not_found", "the local file cannot be read");
  }
  store(uri, (uint8_t *)data, len);
  sbuf b = {0};
  info_answer(&b, len, crc32c((uint8_t *)data, len));
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t get_file(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  const char *path = jv_str(&request, "path");
  uint8_t *data;
  size_t len;
  if (!path || fetch(uri, &data, &len, NULL) != 0) {
    jv_free(&request);
    return fail(error_json, "not_found", "no such object");
  }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.abimem-tmp", path);
  FILE *f = fopen(tmp, "wb");
  int written = f && fwrite(data, 1, len, f) == len;
  if (f) fclose(f);
  free(data);
  if (!written || rename(tmp, path) != 0) {
    unlink(tmp);
    jv_free(&request);
    return fail(error_json, "io", "cannot write the local file");
  }
  sbuf b = {0};
  sb_printf(&b, "{\"size\":%zu}", len);
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t put_bytes(void *instance, const char *request_json, const uint8_t *data, size_t len,
                         char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  uint8_t *copy = malloc(len ? len : 1);
  if (len) memcpy(copy, data, len);
  store(uri, copy, len);
  sbuf b = {0};
  info_answer(&b, len, crc32c(copy, len));
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t get_bytes(void *instance, const char *request_json, uint8_t **data, size_t *len, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  long long max = jv_int(&request, "max_bytes", 1 << 20);
  if (fetch(uri, data, len, NULL) != 0) { jv_free(&request); return fail(error_json, "not_found", "no such object"); }
  jv_free(&request);
  if ((long long)*len > max) {
    free(*data), *data = NULL, *len = 0;
    return fail(error_json, "invalid_argument", "the object is larger than max_bytes");
  }
  return GF_OK;
}

static int32_t stat_object(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  uint8_t *data;
  size_t len;
  uint32_t crc;
  if (fetch(uri, &data, &len, &crc) != 0) { jv_free(&request); return fail(error_json, "not_found", "no such object"); }
  free(data);
  sbuf b = {0};
  info_answer(&b, len, crc);
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t exists(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  pthread_mutex_lock(&store_lock);
  int found;
  find(uri, &found);
  pthread_mutex_unlock(&store_lock);
  jv_free(&request);
  *response_json = strdup(found ? "{\"exists\":true}" : "{\"exists\":false}");
  return GF_OK;
}

static int32_t list(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  if (jv_parse(request_json, &request) != 0) return fail(error_json, "invalid_argument", "the request is not JSON");
  const char *prefix = jv_str(&request, "prefix"), *token = jv_str(&request, "page_token");
  long long size = jv_int(&request, "page_size", 1000);
  if (!prefix || strncmp(prefix, ROOT, strlen(ROOT)) != 0 || size < 1 || size > 10000) {
    jv_free(&request);
    return fail(error_json, "invalid_argument", "list needs an abimem:/// prefix and a page_size of 1..10000");
  }
  sbuf b = {0};
  sb_add(&b, "{\"objects\":[", 12);
  pthread_mutex_lock(&store_lock);
  long long listed = 0;
  const char *last = NULL;
  int more = 0;
  for (size_t i = 0; i < object_count; i++) {
    if (strncmp(objects[i].uri, prefix, strlen(prefix)) != 0) continue;
    if (token && strcmp(objects[i].uri, token) <= 0) continue;
    if (listed == size) { more = 1; break; }
    if (listed++) sb_add(&b, ",", 1);
    sb_add(&b, "{\"uri\":", 7);
    sb_quote(&b, objects[i].uri, strlen(objects[i].uri));
    sb_printf(&b, ",\"size\":%zu}", objects[i].len);
    last = objects[i].uri;
  }
  sb_add(&b, "],\"next_page_token\":", 20);
  if (more && last) sb_quote(&b, last, strlen(last)); else sb_add(&b, "null", 4);
  sb_add(&b, "}", 1);
  pthread_mutex_unlock(&store_lock);
  jv_free(&request);
  return ok(response_json, &b);
}

static int32_t delete_object(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  const char *uri = uri_of(request_json, &request, error_json);
  if (!uri) return GF_ERROR;
  pthread_mutex_lock(&store_lock);
  int found;
  size_t at = find(uri, &found);
  if (found) {
    free(objects[at].uri), free(objects[at].data);
    memmove(&objects[at], &objects[at + 1], (object_count - at - 1) * sizeof *objects);
    object_count--;
  }
  pthread_mutex_unlock(&store_lock);
  jv_free(&request);
  *response_json = strdup(found ? "{\"deleted\":true}" : "{\"deleted\":false}");
  return GF_OK;
}

static int32_t uri_for(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance;
  jv request;
  if (jv_parse(request_json, &request) != 0) return fail(error_json, "invalid_argument", "the request is not JSON");
  const char *key = jv_str(&request, "key");
  if (!key || !valid_key(key)) {
    jv_free(&request);
    return fail(error_json, "invalid_argument", "the key is not a valid storage key");
  }
  sbuf b = {0};
  sb_add(&b, "{\"uri\":\"" ROOT, 8 + strlen(ROOT));
  sb_add(&b, key, strlen(key));
  sb_add(&b, "\"}", 2);
  jv_free(&request);
  return ok(response_json, &b);
}

#ifdef GF_FIXTURE_FUTURE
/* What a later minor version might add; today's host must never call it. */
static int32_t future_call(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)response_json, (void)error_json;
  abort();
}
#endif

/* ------------------------------------------------------------------ */
/* Tables and descriptor                                               */
/* ------------------------------------------------------------------ */

#define RUN_FIELDS                                                                                \
  .launch = launch, .status = status, .logs = logs, .cancel = cancel, .cleanup = cleanup,         \
  .recover = recover
#define STORAGE_FIELDS                                                                            \
  .put_file = put_file, .get_file = get_file, .put_bytes = put_bytes, .get_bytes = get_bytes,     \
  .stat = stat_object, .exists = exists, .list = list, .delete_object = delete_object,             \
  .uri_for = uri_for

#define RUN_CAPABILITIES                                                                          \
  "{\"concurrency\":\"parallel\",\"implemented\":true,\"isolation\":\"process\",\"gpu\":false,"   \
  "\"spot\":false,\"network_policy\":false,\"resource_limits\":[],\"logs\":\"offset\","           \
  "\"recover\":true,\"warm_reuse\":false,\"needs_image\":false}"
#define STORAGE_CAPABILITIES                                                                      \
  "{\"concurrency\":\"parallel\",\"implemented\":true,\"schemes\":[\"abimem\"],\"local\":false,"  \
  "\"hash\":\"crc32c\",\"resumable\":false,\"max_object_bytes\":null}"

#ifdef GF_FIXTURE_FUTURE

static const gf_run_backend_future run_table = {{sizeof(gf_run_backend_future), RUN_FIELDS}, future_call};
static const gf_object_storage_future storage_table = {
    {sizeof(gf_object_storage_future), STORAGE_FIELDS}, future_call};
static const gf_service_future services[] = {
    {{sizeof(gf_service_future), GF_KIND_RUN_BACKEND, "abirun", RUN_CAPABILITIES, run_open, run_close, &run_table,
      NULL},
     future_call},
    {{sizeof(gf_service_future), GF_KIND_OBJECT_STORAGE, "abimem", STORAGE_CAPABILITIES, mem_open, run_close,
      &storage_table, NULL},
     future_call},
};
static const gf_plugin_descriptor_future descriptor = {
    {GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor_future), GF_ABI_MAJOR, GF_ABI_MINOR_FUTURE, "abi-future", "1.99.0",
     "fixture: built against a header with a field appended to every struct", plugin_free, 2,
     (const gf_service *)services},
    "https://example.invalid/abi-future"};

#else

#if GF_FIXTURE_DEFECT == 2
#define STORAGE_TABLE_SIZE (sizeof(gf_object_storage_v1) - 8)
#else
#define STORAGE_TABLE_SIZE sizeof(gf_object_storage_v1)
#endif
#if GF_FIXTURE_DEFECT == 1
#define SERVICE_SIZE (GF_SERVICE_SIZE_V1_0 - 8)
#elif GF_FIXTURE_DEFECT == 3
#define SERVICE_SIZE 1000000
#else
#define SERVICE_SIZE sizeof(gf_service)
#endif

static const gf_run_backend_v1 run_table = {sizeof(gf_run_backend_v1), RUN_FIELDS};
static const gf_object_storage_v1 storage_table = {STORAGE_TABLE_SIZE, STORAGE_FIELDS};
static const gf_service services[] = {
    {SERVICE_SIZE, GF_KIND_RUN_BACKEND, "abirun", RUN_CAPABILITIES, run_open, run_close, &run_table, NULL},
    {SERVICE_SIZE, GF_KIND_OBJECT_STORAGE, "abimem", STORAGE_CAPABILITIES, mem_open, run_close, &storage_table, NULL},
};
static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR, "abi-v1-0", "1.0.0",
    "fixture: built against the frozen ABI 1.0 header", plugin_free, 2, services};

#endif

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  if (host == NULL || host->struct_size < 24) return NULL;
  return (const gf_plugin_descriptor *)&descriptor;
}
