/*
 * cdir.c - an example Goldfish plugin in plain C99 (libc only).
 *
 * It registers one object_storage service, "cdir", that keeps every object as
 * a plain file under a root directory:
 *
 *     cdir:///runs/r1/model.pt   is the file   <root>/runs/r1/model.pt
 *
 * It is the template for third-party plugins: copy it, rename things, and
 * replace the storage code. It shows what every plugin needs: the descriptor
 * and the one exported symbol, reading requests and writing responses and
 * errors with goldfish_json.h, logging through the host, and staying
 * thread-safe. The file-system helpers (SHA-256, temp files, copies) are in
 * cdir_files.h beside it.
 *
 * Build by hand (see README.md); goldfish_json.h sits beside goldfish_plugin.h:
 *   cc -std=c99 -shared -fPIC -fvisibility=hidden \
 *      -I Sources/PluginABI/include -o libcdir.so Examples/CPlugin/cdir.c
 *
 * Sections:
 *   1. Settings and reuse hooks       5. The service instance (open/close)
 *   2. Host and logging               6. Operations
 *   3. Errors and request fields      7. Descriptor and entry point
 *   4. Keys and URIs
 */

/* mkstemp, fsync, realpath, O_NOFOLLOW, O_CLOEXEC, strerror_r are POSIX.1-2008
 * + XSI; strict -std=c99 hides them unless we ask. This must come before any
 * #include, and the libc headers must come before goldfish_plugin.h: SwiftPM
 * builds with clang modules, where that header is a prebuilt module whose
 * <stdint.h> would otherwise settle libc's feature macros without ours. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
/* macOS hides O_NOFOLLOW once _XOPEN_SOURCE is set, unless we also ask for
 * its own extensions. */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
/* 64-bit off_t on 32-bit systems, so objects over 2 GiB work there too. */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "goldfish_json.h"
#include "goldfish_plugin.h"

#include "cdir_files.h"

/* ================================================================== */
/* 1. Settings and reuse hooks                                         */
/* ================================================================== */

/* Goldfish's own test fixtures compile this file again under other names (a
 * duplicate service, a deliberately broken one). A copy can delete these
 * #ifndef blocks and write the values in place. */
#ifndef CDIR_PLUGIN_NAME
#define CDIR_PLUGIN_NAME "example-cdir"
#endif
#ifndef CDIR_PLUGIN_DESCRIPTION
#define CDIR_PLUGIN_DESCRIPTION \
  "Example C plugin: object storage as plain files under a root directory"
#endif
#ifndef CDIR_SERVICE_NAME
#define CDIR_SERVICE_NAME "cdir"
#endif
#ifndef CDIR_SCHEME
#define CDIR_SCHEME "cdir"
#endif
/* How many bytes of an n-byte object get_bytes and get_file hand out. */
#ifndef CDIR_READ_LIMIT
#define CDIR_READ_LIMIT(n) (n)
#endif
/* Runs first thing in goldfish_plugin_entry. */
#ifndef CDIR_ENTRY_HOOK
#define CDIR_ENTRY_HOOK(host) ((void)(host))
#endif

#define CDIR_PLUGIN_VERSION "1.0.0"
#define CDIR_URI_PREFIX CDIR_SCHEME ":///"
#define CDIR_MAX_KEY 1024
#define CDIR_MAX_SEGMENT 255 /* NAME_MAX on common filesystems */
#define CDIR_DEFAULT_MAX_BYTES (1024 * 1024)
#define CDIR_DEFAULT_PAGE_SIZE 1000
#define CDIR_MAX_PAGE_SIZE 10000

#define CDIR_KEY_RULE                                                       \
  "a key is 1-1024 bytes of '/'-separated segments, each 1-255 characters " \
  "of [A-Za-z0-9._-] and not \".\" or \"..\", e.g. runs/stage-1/model.pt"

#if defined(__GNUC__) || defined(__clang__)
#define CDIR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CDIR_PRINTF(fmt, args)
#endif

/* ================================================================== */
/* 2. Host and logging                                                 */
/* ================================================================== */

/* The only global: written once by goldfish_plugin_entry on the host's main
 * thread before any service call, read-only afterwards. Everything else lives
 * in the instance or on the stack, which is what makes the service safe to
 * call from many threads at once ("concurrency": "parallel"). */
static const gf_host_api *g_host;

static void cdir_log(int32_t level, const char *fmt, ...) CDIR_PRINTF(2, 3);

static void cdir_log(int32_t level, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  if (g_host == NULL || g_host->log == NULL) return;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  /* Never printf: stdout is the MCP wire (rule 8). */
  g_host->log(CDIR_SERVICE_NAME, level, message);
}


/* ================================================================== */
/* 3. Errors and request fields                                        */
/* ================================================================== */

/* Sets *error_json to {"code", "retryable", "message", "detail"} (rule 5) and
 * returns GF_ERROR, so callers can `return fail(...)`. detail carries
 * whichever of uri, path and errno are known. If even this allocation fails,
 * *error_json stays NULL and the host reports "no detail". */
static int32_t fail(char **error_json, const char *code, int retryable, const char *uri,
                    const char *path, int err, const char *fmt, ...) CDIR_PRINTF(7, 8);

static int32_t fail(char **error_json, const char *code, int retryable, const char *uri,
                    const char *path, int err, const char *fmt, ...) {
  gfj_writer w;
  char *message;
  va_list ap;
  va_start(ap, fmt);
  message = gfj_vformat(fmt, ap);
  va_end(ap);
  gfj_error_begin(&w, code, retryable,
                  message ? message : "(out of memory while describing the error)");
  free(message);
  if (uri != NULL) gfj_w_key_string(&w, "uri", uri);
  if (path != NULL) gfj_w_key_string(&w, "path", path);
  if (err > 0) gfj_w_key_int(&w, "errno", err);
  gfj_error_end(&w, error_json);
  return GF_ERROR;
}

static int32_t fail_oom(char **error_json) {
  return fail(error_json, "internal", 1, NULL, NULL, ENOMEM, "out of memory");
}

/* A failed system call, mapped to the closest stable code. The message is
 * "<what we were doing>: <strerror>", e.g. "disk full: writing cdir:///a:
 * No space left on device". */
static int32_t fail_errno(char **error_json, int err, const char *uri, const char *path,
                          const char *doing) {
  char text[256];
  const char *code = "io", *lead = "";
  int retryable = 0;
  switch (err) {
  case CDIR_CHANGED:
    return fail(error_json, "io", 1, uri, path, 0, "%s: the file changed while it was read",
                doing);
  case ENOENT: code = "not_found"; break;
  case EACCES:
  case EPERM: code = "permission_denied"; break;
  case ENOSPC: lead = "disk full: "; break;
#ifdef EDQUOT
  case EDQUOT: lead = "disk quota exceeded: "; break;
#endif
  /* Transient: the same call may well succeed in a moment. */
  case EINTR:
  case EAGAIN:
  case EBUSY:
  case EMFILE:
  case ENFILE:
  case ENOMEM: retryable = 1; break;
  default: break;
  }
  errno_text(err, text, sizeof text);
  return fail(error_json, code, retryable, uri, path, err, "%s%s: %s", lead, doing, text);
}

/* Request fields come from goldfish_json.h (gfj_want_string, gfj_want_int):
 * each returns 1, or 0 with *error_json set. Local paths come from the host,
 * whose working directory is not ours to rely on, so they must be absolute. */
static int want_abs_path(const gfj_value *req, const char *name, const char **out,
                         char **error_json) {
  if (!gfj_want_string(req, name, 1, out, error_json)) return 0;
  if ((*out)[0] == '/') return 1;
  return fail(error_json, "invalid_argument", 0, NULL, *out, 0,
              "\"%s\" must be an absolute path, got \"%s\"", name, *out), 0;
}

/* ================================================================== */
/* 4. Keys and URIs                                                    */
/* ================================================================== */

/* NULL when s[0..n) is a valid segment, else why not. Not isalnum: that
 * depends on the locale. */
static const char *segment_problem(const char *s, size_t n) {
  size_t k;
  if (n == 0) return "it has an empty segment";
  if (n > CDIR_MAX_SEGMENT) return "it has a segment longer than 255 bytes";
  if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
    return "it has a \".\" or \"..\" segment";
  for (k = 0; k < n; k++) {
    char c = s[k];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return "it has a character outside [A-Za-z0-9._-] in a segment";
  }
  return NULL;
}

/* NULL when key is valid, else why not. The rule keeps every key a plain
 * relative path below the root: no "..", no absolute path, nothing that a
 * shell or a URI would need to escape. */
static const char *key_problem(const char *key) {
  size_t len = strlen(key), start = 0, k;
  const char *why;
  if (len == 0) return "it is empty";
  if (len > CDIR_MAX_KEY) return "it is longer than 1024 bytes";
  if (key[0] == '/') return "it starts with '/'";
  for (k = 0; k <= len; k++)
    if (key[k] == '/' || key[k] == '\0') {
      if ((why = segment_problem(key + start, k - start)) != NULL) return why;
      start = k + 1;
    }
  return NULL;
}

/* Finds the key inside a URI of this storage (*key points into uri). */
static int parse_uri(const char *uri, const char **key, char **error_json) {
  const char *why;
  size_t plen = strlen(CDIR_URI_PREFIX);
  if (strncmp(uri, CDIR_URI_PREFIX, plen) != 0)
    return fail(error_json, "invalid_argument", 0, uri, NULL, 0,
                "\"%s\" is not a URI of this storage: it serves " CDIR_URI_PREFIX
                "<key> URIs, where " CDIR_KEY_RULE, uri), 0;
  *key = uri + plen;
  if ((why = key_problem(*key)) != NULL)
    return fail(error_json, "invalid_argument", 0, uri, NULL, 0,
                "invalid URI \"%s\": %s; URIs are " CDIR_URI_PREFIX "<key> and " CDIR_KEY_RULE,
                uri, why), 0;
  return 1;
}


/* ================================================================== */
/* 5. The service instance                                             */
/* ================================================================== */

/* Immutable after open, so concurrent calls need no lock. */
typedef struct {
  char *root; /* absolute, canonical, no trailing '/' */
} cdir_store;

static char *current_dir(void) {
  size_t cap;
  for (cap = 256;; cap *= 2) {
    char *buf = malloc(cap);
    if (buf == NULL || getcwd(buf, cap) != NULL) return buf;
    free(buf);
    if (errno != ERANGE) return NULL;
  }
}

static int32_t cdir_open(const gf_service *service, const char *config_json,
                         const char *context_json, void **instance, char **error_json) {
  gfj_value *config = NULL, *context = NULL;
  const char *root, *project;
  char why[160], *base = NULL, *joined = NULL, *canonical = NULL;
  cdir_store *store;
  int32_t rc = GF_ERROR;
  int err;
  size_t k;
  (void)service; /* one service per open function here; see user_data */
  if (error_json != NULL) *error_json = NULL;
  if (instance == NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "instance is NULL");
  *instance = NULL;
  config = gfj_parse(config_json ? config_json : "{}", why, sizeof why);
  if (gfj_type_of(config) != GFJ_OBJECT) {
    rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
              "the " CDIR_SERVICE_NAME " config is not a JSON object%s%s", config ? "" : ": ",
              config ? "" : why);
    goto done;
  }
  context = gfj_parse(context_json ? context_json : "{}", why, sizeof why);
  if (gfj_type_of(context) != GFJ_OBJECT) {
    rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
              "context_json is not a JSON object%s%s", context ? "" : ": ", context ? "" : why);
    goto done;
  }
  /* Unknown keys are usually typos ("rot:"); say so rather than ignore. */
  for (k = 0; k < gfj_count(config); k++)
    if (strcmp(gfj_key(gfj_at(config, k)), "root") != 0)
      cdir_log(GF_LOG_WARNING, "ignoring unknown config key \"%s\"; cdir only reads \"root\"",
               gfj_key(gfj_at(config, k)));
  root = gfj_string(gfj_get(config, "root"));
  if (root == NULL || root[0] == '\0') {
    rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
              "cdir needs \"root\": the directory that holds the objects, "
              "e.g. {\"root\": \"/var/lib/goldfish/objects\"}");
    goto done;
  }
  if (root[0] == '/') {
    joined = strdup(root);
  } else {
    /* Relative to the project, not to wherever the host happens to run. */
    project = gfj_string(gfj_get(context, "project_root"));
    base = project && project[0] ? strdup(project) : current_dir();
    joined = base ? path_join(base, root) : NULL;
  }
  if (joined == NULL) {
    rc = fail_oom(error_json);
  } else if ((err = make_dirs(joined, 0)) != 0) {
    rc = fail_errno(error_json, err, NULL, joined, "creating the cdir root");
  } else if ((canonical = realpath(joined, NULL)) == NULL) {
    /* Canonical, so messages and local_path show the real location. */
    rc = fail_errno(error_json, errno, NULL, joined, "resolving the cdir root");
  } else if ((store = malloc(sizeof *store)) == NULL) {
    rc = fail_oom(error_json);
  } else {
    if (access(canonical, W_OK | X_OK) != 0)
      cdir_log(GF_LOG_WARNING, "root %s is not writable: only reads will work", canonical);
    store->root = canonical;
    canonical = NULL;
    *instance = store;
    cdir_log(GF_LOG_DEBUG, "opened with root %s", store->root);
    rc = GF_OK;
  }
done:
  gfj_free(config);
  gfj_free(context);
  free(base);
  free(joined);
  free(canonical);
  return rc;
}

/* One entry of check_config's "problems": key NULL for the section as a whole. */
static void config_problem(gfj_writer *w, const char *key, const char *message, const char *hint) {
  gfj_w_begin_object(w);
  if (key != NULL)
    gfj_w_key_string(w, "key", key);
  else
    gfj_w_key_null(w, "key");
  gfj_w_key_string(w, "message", message);
  gfj_w_key_string(w, "hint", hint);
  gfj_w_end_object(w);
}

/* check_config (ABI 1.2): the rules of cdir_open, reported instead of refused,
 * with nothing created: `goldfish config validate` and `config show` call it.
 * The effective root is the configured one made absolute (not resolved: the
 * folder may not exist yet, and a check creates nothing). */
static int32_t cdir_check_config(const gf_service *service, const char *config_json,
                                 const char *context_json, char **response_json, char **error_json) {
  char why[160], *base = NULL, *absolute = NULL;
  gfj_value *config = gfj_parse(config_json ? config_json : "{}", why, sizeof why);
  gfj_value *context = gfj_parse(context_json ? context_json : "{}", why, sizeof why);
  const char *root = gfj_string(gfj_get(config, "root")), *project, *key;
  gfj_writer w;
  size_t k;
  (void)service;
  if (error_json != NULL) *error_json = NULL;
  if (root != NULL && root[0] == '/') {
    absolute = strdup(root);
  } else if (root != NULL && root[0] != '\0') {
    project = gfj_string(gfj_get(context, "project_root"));
    base = project && project[0] ? strdup(project) : current_dir();
    absolute = base ? path_join(base, root) : NULL;
  }
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key(&w, "effective");
  gfj_w_begin_object(&w);
  if (absolute != NULL) gfj_w_key_string(&w, "root", absolute);
  gfj_w_end_object(&w);
  gfj_w_key(&w, "problems");
  gfj_w_begin_array(&w);
  if (gfj_type_of(config) != GFJ_OBJECT) {
    config_problem(&w, NULL, "the " CDIR_SERVICE_NAME " section is not a mapping",
                   "write it as " CDIR_SERVICE_NAME ": {root: ./objects}");
  } else {
    if (root == NULL || root[0] == '\0')
      config_problem(&w, "root", "cdir needs \"root\": the directory that holds the objects",
                     "e.g. root: ./objects (relative to the project)");
    for (k = 0; k < gfj_count(config); k++) {
      key = gfj_key(gfj_at(config, k));
      if (strcmp(key, "root") == 0) continue;
      gfj_w_begin_object(&w);
      gfj_w_key_string(&w, "key", key);
      gfj_w_key(&w, "message");
      gfj_w_stringf(&w, "unknown key \"%s\"", key);
      gfj_w_key_string(&w, "hint", "allowed: root");
      gfj_w_end_object(&w);
    }
  }
  gfj_w_end_array(&w);
  gfj_w_key(&w, "notes");
  gfj_w_begin_array(&w);
  gfj_w_end_array(&w);
  gfj_w_end_object(&w);
  gfj_free(config);
  gfj_free(context);
  free(base);
  free(absolute);
  if ((*response_json = gfj_w_finish(&w)) == NULL) return fail_oom(error_json);
  return GF_OK;
}

static void cdir_close(void *instance) {
  cdir_store *store = instance;
  if (store != NULL) free(store->root), free(store);
}

/* ================================================================== */
/* 6. Operations                                                       */
/* ================================================================== */

/* What every operation starts with. */
typedef struct {
  cdir_store *store;
  gfj_value *req;
  const char *uri, *key; /* the request's "uri" and the key inside it */
  char *path;            /* the object's file: <root>/<key> */
} call;

/* Clears the out-pointers so the host never frees garbage, then parses the
 * request and, when the operation names an object, its "uri". Returns 1, or
 * 0 with *error_json set. Always pair with call_end. */
static int call_begin(call *c, void *instance, const char *request_json, int names_object,
                      char **response_json, char **error_json) {
  memset(c, 0, sizeof *c);
  if (response_json != NULL) *response_json = NULL;
  if (error_json != NULL) *error_json = NULL;
  if ((c->store = instance) == NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "called without an instance"), 0;
  if ((c->req = gfj_parse_request(request_json, error_json)) == NULL) return 0;
  if (!names_object) return 1;
  if (!gfj_want_string(c->req, "uri", 1, &c->uri, error_json) ||
      !parse_uri(c->uri, &c->key, error_json))
    return 0;
  if ((c->path = path_join(c->store->root, c->key)) == NULL) return fail_oom(error_json), 0;
  return 1;
}

static int32_t call_end(call *c, int32_t rc) {
  gfj_free(c->req);
  free(c->path);
  return rc;
}

/* Hands a finished writer to the host as the response. */
static int32_t respond(gfj_writer *w, char **response_json, char **error_json) {
  if ((*response_json = gfj_w_finish(w)) == NULL) return fail_oom(error_json);
  return GF_OK;
}

/* {"size": n, "hash": {"sha256": "..."}}, the answer of every put. */
static int32_t respond_hash(char **response_json, char **error_json, long long size,
                            sha256_ctx *hash) {
  gfj_writer w;
  char hex[65];
  sha256_hex(hash, hex);
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_int(&w, "size", size);
  gfj_w_key(&w, "hash");
  gfj_w_begin_object(&w);
  gfj_w_key_string(&w, "sha256", hex);
  gfj_w_end_object(&w);
  gfj_w_end_object(&w);
  return respond(&w, response_json, error_json);
}

/* {"<key>": true|false}, the answer of exists and delete_object. */
static int32_t respond_bool(char **response_json, char **error_json, const char *key, int value) {
  gfj_writer w;
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_bool(&w, key, value);
  gfj_w_end_object(&w);
  return respond(&w, response_json, error_json);
}

static int32_t fail_missing(char **error_json, int err, const call *c) {
  if (err == ENOENT)
    return fail(error_json, "not_found", 0, c->uri, NULL, 0, "object %s does not exist", c->uri);
  return fail_errno(error_json, err, c->uri, c->path, "opening the object");
}

static int32_t fail_conflict(char **error_json, const call *c) {
  return fail(error_json, "conflict", 0, c->uri, c->path, 0,
              "cannot store %s: a key cannot be both an object and a prefix of other keys "
              "(\"a\" and \"a/b\"), and this one would be", c->uri);
}

/* put_file (src_fd >= 0) and put_bytes (data, len): write a temp file next
 * to the object, then rename it into place. */
static int32_t store_object(const call *c, int src_fd, const uint8_t *data, size_t len,
                            char **response_json, char **error_json) {
  char *dir = dir_of(c->path), *tmp = NULL;
  sha256_ctx hash;
  long long size = (long long)len;
  int fd = -1, err = ENOMEM, attempt;
  int32_t rc;
  /* A concurrent delete may remove the (then empty) parent directory between
   * our mkdir and mkstemp; making it again is all that is needed. */
  for (attempt = 0; dir != NULL && attempt < 100; attempt++) {
    if ((err = make_dirs(dir, strlen(c->store->root))) == 0) {
      if ((fd = open_temp(dir, &tmp)) >= 0) break;
      err = errno;
    }
    if (err != ENOENT) break;
  }
  if (fd < 0) {
    rc = err == ENOTDIR ? fail_conflict(error_json, c)
                        : fail_errno(error_json, err, c->uri, dir, "creating a temp file");
  } else {
    sha256_init(&hash);
    if (src_fd >= 0) {
      err = pump(src_fd, fd, -1, &hash, &size);
    } else {
      sha256_update(&hash, data, len);
      err = len > 0 ? write_all(fd, data, len) : 0;
    }
    err = finish_temp(fd, tmp, c->path, dir, err);
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) rc = fail_conflict(error_json, c);
    else if (err != 0) rc = fail_errno(error_json, err, c->uri, c->path, "storing the object");
    else rc = respond_hash(response_json, error_json, size, &hash);
  }
  if (rc != GF_OK && dir != NULL) remove_empty_dirs(c->store->root, dir);
  free(dir);
  free(tmp);
  return rc;
}

static int32_t cdir_put_file(void *instance, const char *request_json, char **response_json,
                             char **error_json) {
  call c;
  const char *src;
  struct stat st;
  int fd;
  int32_t rc;
  /* "content_type" is accepted and ignored: a plain file has nowhere to keep
   * it. */
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json) ||
      !want_abs_path(c.req, "path", &src, error_json))
    return call_end(&c, GF_ERROR);
  if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
    return call_end(&c, errno == ENOENT ? fail(error_json, "not_found", 0, c.uri, src, 0,
                                               "local file %s does not exist", src)
                                        : fail_errno(error_json, errno, c.uri, src,
                                                     "opening the local file"));
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    rc = fail(error_json, "invalid_argument", 0, c.uri, src, 0,
              "\"path\" %s is a directory, not a file", src);
  else
    rc = store_object(&c, fd, NULL, 0, response_json, error_json);
  close(fd);
  return call_end(&c, rc);
}

static int32_t cdir_put_bytes(void *instance, const char *request_json, const uint8_t *data,
                              size_t len, char **response_json, char **error_json) {
  call c;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if (data == NULL && len > 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
                             "data is NULL but len is %lu", (unsigned long)len));
  return call_end(&c, store_object(&c, -1, data, len, response_json, error_json));
}

static int32_t cdir_get_file(void *instance, const char *request_json, char **response_json,
                             char **error_json) {
  call c;
  const char *dest;
  char *dir = NULL, *tmp = NULL;
  struct stat st;
  sha256_ctx hash;
  long long copied = 0;
  int src, fd, err;
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json) ||
      !want_abs_path(c.req, "path", &dest, error_json))
    return call_end(&c, GF_ERROR);
  if (dest[strlen(dest) - 1] == '/')
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, dest, 0,
                             "\"path\" %s names a directory; give the file to create", dest));
  /* Look for the object before touching the destination at all. */
  if ((err = open_object(c.path, &src, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  if ((dir = dir_of(dest)) == NULL) {
    rc = fail_oom(error_json);
  } else if ((err = make_dirs(dir, 1)) != 0) {
    rc = fail_errno(error_json, err, c.uri, dir, "creating the destination directory");
  } else if ((fd = open_temp(dir, &tmp)) < 0) {
    rc = fail_errno(error_json, errno, c.uri, dir, "creating a temp file for the copy");
  } else {
    sha256_init(&hash);
    err = pump(src, fd, CDIR_READ_LIMIT((long long)st.st_size), &hash, &copied);
    if ((err = finish_temp(fd, tmp, dest, dir, err)) != 0)
      rc = fail_errno(error_json, err, c.uri, dest, "copying the object to \"path\"");
    else
      rc = respond_hash(response_json, error_json, copied, &hash);
  }
  close(src);
  free(dir);
  free(tmp);
  return call_end(&c, rc);
}

static int32_t cdir_get_bytes(void *instance, const char *request_json, uint8_t **data,
                              size_t *len, char **error_json) {
  call c;
  struct stat st;
  int64_t max_bytes;
  long long want;
  uint8_t *buf = NULL;
  int fd, err;
  int32_t rc = GF_ERROR;
  if (data == NULL || len == NULL) {
    if (error_json != NULL) *error_json = NULL;
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "data or len is NULL");
  }
  *data = NULL, *len = 0;
  if (!call_begin(&c, instance, request_json, 1, NULL, error_json) ||
      !gfj_want_int(c.req, "max_bytes", CDIR_DEFAULT_MAX_BYTES, &max_bytes, error_json))
    return call_end(&c, GF_ERROR);
  if (max_bytes < 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
                             "\"max_bytes\" must not be negative, got %lld", (long long)max_bytes));
  if ((err = open_object(c.path, &fd, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  want = CDIR_READ_LIMIT((long long)st.st_size);
  if ((long long)st.st_size > max_bytes)
    rc = fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
              "object %s is %lld bytes, more than max_bytes %lld; use get_file for large "
              "objects", c.uri, (long long)st.st_size, (long long)max_bytes);
  else if (want > 0 && ((unsigned long long)want > SIZE_MAX || !(buf = malloc((size_t)want))))
    rc = fail_oom(error_json);
  else if (want > 0 && (err = read_exact(fd, buf, (size_t)want)) != 0)
    rc = fail_errno(error_json, err, c.uri, c.path, "reading the object");
  else
    *data = buf, *len = (size_t)want, buf = NULL, rc = GF_OK;
  close(fd);
  free(buf);
  return call_end(&c, rc);
}

static int32_t cdir_stat(void *instance, const char *request_json, char **response_json,
                         char **error_json) {
  call c;
  struct stat st;
  struct tm tm;
  sha256_ctx hash;
  char hex[65], when[32] = "1970-01-01T00:00:00Z";
  gfj_writer w;
  long long copied;
  int fd, err;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((err = open_object(c.path, &fd, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  /* Size and hash come through one descriptor, so they always describe the
   * same version of the object. A plain file keeps no hash, so stat reads
   * it all; a real backend would store the hash at put time. */
  sha256_init(&hash);
  err = pump(fd, -1, (long long)st.st_size, &hash, &copied);
  close(fd);
  if (err != 0)
    return call_end(&c, fail_errno(error_json, err, c.uri, c.path, "reading the object"));
  sha256_hex(&hash, hex);
  if (gmtime_r(&st.st_mtime, &tm) != NULL)
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_int(&w, "size", copied);
  gfj_w_key(&w, "hash");
  gfj_w_begin_object(&w);
  gfj_w_key_string(&w, "sha256", hex);
  gfj_w_end_object(&w);
  /* The content hash doubles as a strong etag. */
  gfj_w_key_string(&w, "etag", hex);
  gfj_w_key_string(&w, "updated_at", when);
  gfj_w_end_object(&w);
  return call_end(&c, respond(&w, response_json, error_json));
}

static int32_t cdir_exists(void *instance, const char *request_json, char **response_json,
                           char **error_json) {
  call c;
  int found;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) < 0)
    return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "looking for the object"));
  return call_end(&c, respond_bool(response_json, error_json, "exists", found));
}

/* ---- list --------------------------------------------------------- */

typedef struct {
  char *key;
  long long size;
} listed;

typedef struct {
  const char *root;
  const char *prefix; /* key prefix: "runs/r" for "cdir:///runs/r" */
  size_t prefix_len;
  const char *after; /* only keys after this one (the page token's) */
  size_t keep;       /* page_size + 1: the extra one says "there is more" */
  listed *v;
  size_t n, cap;
  int err;
  char *err_path;
  char key[CDIR_MAX_KEY + 2]; /* the key being built during the walk */
} walker;

static int listed_cmp(const void *a, const void *b) {
  return strcmp(((const listed *)a)->key, ((const listed *)b)->key);
}

/* Keeps the `keep` smallest keys, so memory stays O(page_size) however many
 * objects match. strcmp order is the byte order the ABI asks for. */
static void walker_trim(walker *w) {
  size_t k;
  if (w->n > 1) qsort(w->v, w->n, sizeof *w->v, listed_cmp);
  for (k = w->keep; k < w->n; k++) free(w->v[k].key);
  if (w->n > w->keep) w->n = w->keep;
}

static int walker_add(walker *w, long long size) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    listed *grown = realloc(w->v, cap * sizeof *grown);
    if (grown == NULL) return w->err = ENOMEM, -1;
    w->v = grown, w->cap = cap;
  }
  if ((w->v[w->n].key = strdup(w->key)) == NULL) return w->err = ENOMEM, -1;
  w->v[w->n++].size = size;
  if (w->n >= 2 * w->keep) walker_trim(w);
  return 0;
}

/* Walks the directory of keys starting "<w->key>/" (key_len bytes; 0 for
 * the root). Names are read and the directory closed before recursing, so
 * the walk holds one descriptor whatever the depth. */
static int walk(walker *w, size_t key_len) {
  char *dir_path = key_len ? path_join(w->root, w->key) : strdup(w->root), **names = NULL;
  size_t count = 0, cap = 0, k;
  struct dirent *e;
  DIR *d;
  int rc = 0;
  if (dir_path == NULL) return w->err = ENOMEM, -1;
  if ((d = opendir(dir_path)) == NULL) {
    /* Gone or replaced since we saw it: nothing to list there. */
    if (errno == ENOENT || errno == ENOTDIR) return free(dir_path), 0;
    return w->err = errno, w->err_path = dir_path, -1;
  }
  while (rc == 0 && (e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    /* Skips ".", "..", temp files and any name that could not be a key. */
    if (segment_problem(e->d_name, n) != NULL || key_len + 1 + n > CDIR_MAX_KEY) continue;
    if (count == cap) {
      char **grown = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *grown);
      if (grown == NULL) rc = -1;
      else names = grown;
    }
    if (rc == 0 && (names[count] = strdup(e->d_name)) == NULL) rc = -1;
    if (rc == 0) count++;
  }
  closedir(d);
  free(dir_path);
  if (rc != 0) w->err = ENOMEM;
  for (k = 0; k < count && rc == 0; k++) {
    size_t n = strlen(names[k]), child_len = key_len + (key_len ? 1 : 0) + n;
    size_t common = child_len < w->prefix_len ? child_len : w->prefix_len;
    struct stat st;
    char *child;
    if (key_len) w->key[key_len] = '/';
    memcpy(w->key + child_len - n, names[k], n + 1);
    /* Skip subtrees that cannot hold a match before touching the disk. */
    if (memcmp(w->key, w->prefix, common) != 0) continue;
    if ((child = path_join(w->root, w->key)) == NULL) {
      w->err = ENOMEM, rc = -1;
      break;
    }
    if (lstat(child, &st) != 0) st.st_mode = 0; /* deleted meanwhile */
    free(child);
    if (S_ISDIR(st.st_mode))
      rc = walk(w, child_len);
    else if (S_ISREG(st.st_mode) && child_len >= w->prefix_len &&
             (w->after == NULL || strcmp(w->key, w->after) > 0))
      rc = walker_add(w, (long long)st.st_size);
  }
  w->key[key_len] = '\0';
  for (k = 0; k < count; k++) free(names[k]);
  free(names);
  return rc;
}

static int32_t cdir_list(void *instance, const char *request_json, char **response_json,
                         char **error_json) {
  call c;
  const char *prefix, *token;
  size_t plen = strlen(CDIR_URI_PREFIX), k, shown;
  int64_t page_size;
  walker *w;
  gfj_writer b;
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 0, response_json, error_json) ||
      !gfj_want_string(c.req, "prefix", 0, &prefix, error_json) ||
      !gfj_want_string(c.req, "page_token", 0, &token, error_json) ||
      !gfj_want_int(c.req, "page_size", CDIR_DEFAULT_PAGE_SIZE, &page_size, error_json))
    return call_end(&c, GF_ERROR);
  if (page_size < 1)
    return call_end(&c, fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                             "\"page_size\" must be at least 1, got %lld", (long long)page_size));
  /* Like cloud stores, a too-large page is quietly made smaller. */
  if (page_size > CDIR_MAX_PAGE_SIZE) page_size = CDIR_MAX_PAGE_SIZE;
  /* A prefix is a string prefix of URIs: "", "cdir:" and "cdir:///" match
   * everything, "cdir:///runs/r" the keys that start "runs/r". */
  if (prefix == NULL) prefix = "";
  if (strlen(prefix) <= plen ? strncmp(CDIR_URI_PREFIX, prefix, strlen(prefix)) != 0
                             : strncmp(prefix, CDIR_URI_PREFIX, plen) != 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, prefix, NULL, 0,
                             "prefix \"%s\" is outside this storage: its URIs start with "
                             CDIR_URI_PREFIX, prefix));
  if ((w = calloc(1, sizeof *w)) == NULL) return call_end(&c, fail_oom(error_json));
  w->root = c.store->root;
  w->prefix = strlen(prefix) <= plen ? "" : prefix + plen;
  w->prefix_len = strlen(w->prefix);
  w->keep = (size_t)page_size + 1;
  /* The token is the last URI of the previous page; resume after it. An
   * empty string is taken as "no token", like null. */
  if (token != NULL && token[0] != '\0' && !parse_uri(token, &w->after, error_json))
    rc = GF_ERROR;
  else if (w->prefix_len <= CDIR_MAX_KEY && walk(w, 0) != 0)
    rc = w->err == ENOMEM ? fail_oom(error_json)
                          : fail_errno(error_json, w->err, prefix, w->err_path, "listing");
  else
    rc = GF_OK;
  if (rc == GF_OK) {
    walker_trim(w);
    shown = w->n < (size_t)page_size ? w->n : (size_t)page_size;
    gfj_w_init(&b);
    gfj_w_begin_object(&b);
    gfj_w_key(&b, "objects");
    gfj_w_begin_array(&b);
    for (k = 0; k < shown; k++) {
      gfj_w_begin_object(&b);
      gfj_w_key(&b, "uri");
      gfj_w_stringf(&b, CDIR_URI_PREFIX "%s", w->v[k].key);
      gfj_w_key_int(&b, "size", w->v[k].size);
      gfj_w_end_object(&b);
    }
    gfj_w_end_array(&b);
    gfj_w_key(&b, "next_page_token");
    if (w->n > shown) gfj_w_stringf(&b, CDIR_URI_PREFIX "%s", w->v[shown - 1].key);
    else gfj_w_null(&b);
    gfj_w_end_object(&b);
    rc = respond(&b, response_json, error_json);
  }
  for (k = 0; k < w->n; k++) free(w->v[k].key);
  free(w->v);
  free(w->err_path);
  free(w);
  return call_end(&c, rc);
}

/* ---- delete, local_path, uri_for ----------------------------------- */

static int32_t cdir_delete_object(void *instance, const char *request_json,
                                  char **response_json, char **error_json) {
  call c;
  int found, deleted = 0;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) < 0)
    return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "looking for the object"));
  if (found && unlink(c.path) != 0) {
    if (errno != ENOENT)
      return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "deleting the object"));
    found = 0; /* a racing delete won */
  }
  if (found) {
    deleted = 1;
    *strrchr(c.path, '/') = '\0';
    remove_empty_dirs(c.store->root, c.path);
  }
  return call_end(&c, respond_bool(response_json, error_json, "deleted", deleted));
}

/* The object's own file, for the host to read in place (capabilities
 * "local"). Writing to it would break put's atomicity: use put_file. */
static int32_t cdir_local_path(void *instance, const char *request_json, char **response_json,
                               char **error_json) {
  call c;
  gfj_writer w;
  int found;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) <= 0)
    return call_end(&c, found == 0 ? fail_missing(error_json, ENOENT, &c)
                                   : fail_errno(error_json, errno, c.uri, c.path,
                                                "looking for the object"));
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_string(&w, "path", c.path);
  gfj_w_end_object(&w);
  return call_end(&c, respond(&w, response_json, error_json));
}

static int32_t cdir_uri_for(void *instance, const char *request_json, char **response_json,
                            char **error_json) {
  call c;
  const char *key, *why;
  gfj_writer w;
  char *shown;
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 0, response_json, error_json) ||
      !gfj_want_string(c.req, "key", 1, &key, error_json))
    return call_end(&c, GF_ERROR);
  gfj_w_init(&w);
  if ((why = key_problem(key)) == NULL) {
    gfj_w_begin_object(&w);
    gfj_w_key(&w, "uri");
    gfj_w_stringf(&w, CDIR_URI_PREFIX "%s", key);
    gfj_w_end_object(&w);
    return call_end(&c, respond(&w, response_json, error_json));
  }
  /* Quoted as JSON, so a newline or a stray byte in the key shows as such. */
  gfj_w_string(&w, key);
  shown = gfj_w_finish(&w);
  rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
            "invalid key %s: %s; " CDIR_KEY_RULE, shown ? shown : "?", why);
  free(shown);
  return call_end(&c, rc);
}

/* ================================================================== */
/* 7. Descriptor and entry point                                       */
/* ================================================================== */

static const char cdir_capabilities[] =
    "{\"concurrency\":\"parallel\",\"implemented\":true,"
    "\"schemes\":[\"" CDIR_SCHEME "\"],\"local\":true,\"hash\":\"sha256\","
    "\"resumable\":false,\"max_object_bytes\":null}";

static const gf_object_storage_v1 cdir_table = {
    .struct_size = sizeof(gf_object_storage_v1),
    .put_file = cdir_put_file,
    .get_file = cdir_get_file,
    .put_bytes = cdir_put_bytes,
    .get_bytes = cdir_get_bytes,
    .stat = cdir_stat,
    .exists = cdir_exists,
    .list = cdir_list,
    .delete_object = cdir_delete_object,
    .local_path = cdir_local_path,
    .uri_for = cdir_uri_for,
};

static const gf_service cdir_services[] = {{
    .struct_size = sizeof(gf_service),
    .kind = GF_KIND_OBJECT_STORAGE,
    .name = CDIR_SERVICE_NAME,
    .capabilities_json = cdir_capabilities,
    .open = cdir_open,
    .close = cdir_close,
    .table = &cdir_table,
    .user_data = NULL,
    .check_config = cdir_check_config,
}};

/* Every buffer we return came from this library's malloc, so the host must
 * release it with this library's free (rule 4). */
static void cdir_free(void *ptr) { free(ptr); }

static const gf_plugin_descriptor cdir_descriptor = {
    .magic = GF_PLUGIN_MAGIC,
    .struct_size = sizeof(gf_plugin_descriptor),
    .abi_major = GF_ABI_MAJOR,
    .abi_minor = GF_ABI_MINOR,
    .name = CDIR_PLUGIN_NAME,
    .version = CDIR_PLUGIN_VERSION,
    .description = CDIR_PLUGIN_DESCRIPTION,
    .free = cdir_free,
    .service_count = sizeof cdir_services / sizeof cdir_services[0],
    .services = cdir_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  CDIR_ENTRY_HOOK(host);
  /* Touch host->log only if this host's struct is new enough to have it. */
  if (host == NULL || host->struct_size < offsetof(gf_host_api, log) + sizeof host->log)
    return NULL;
  if (host->abi_major != GF_ABI_MAJOR) {
    if (host->log != NULL)
      host->log(CDIR_PLUGIN_NAME, GF_LOG_ERROR,
                "built for Goldfish plugin ABI 1; this host speaks another major version");
    return NULL;
  }
  g_host = host;
  cdir_log(GF_LOG_DEBUG, "%s %s loaded: %s serves " CDIR_URI_PREFIX "<key> (host %s)",
           CDIR_PLUGIN_NAME, CDIR_PLUGIN_VERSION, CDIR_SERVICE_NAME,
           host->host_version ? host->host_version : "unknown");
  return &cdir_descriptor;
}
