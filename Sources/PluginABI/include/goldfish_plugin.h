/*
 * goldfish_plugin.h - the Goldfish plugin ABI, version 1.
 *
 * This header is the whole contract between the Goldfish host and a backend
 * plugin. A plugin is a shared library (.so) that exports exactly one symbol,
 * goldfish_plugin_entry, and registers one or more services:
 *
 *   run_backend     runs a job (a stage run) somewhere: a process, a container,
 *                   a cloud VM; optionally a pool of reusable warm workers.
 *   object_storage  stores artifacts, datasets and logs (local disk, GCS, ...).
 *   image_builder   builds the container image a stage runs in.
 *
 * Rules that never change within a major version (see docs/plugins.md):
 *
 *  1. One exported symbol: goldfish_plugin_entry. Keep everything else hidden
 *     (static, or -fvisibility=hidden).
 *  2. The descriptor starts with GF_PLUGIN_MAGIC, its own struct_size and the
 *     ABI version the plugin was compiled against. The host refuses another
 *     major and reads a field only when struct_size says it is present.
 *  3. Every struct and function table is append-only. A released field is
 *     never moved, removed or retyped; new fields go at the end and are guarded
 *     by struct_size. A NULL function pointer means "not supported".
 *  4. Only C types cross: NUL-terminated UTF-8 JSON, byte buffers and local
 *     file paths. Every buffer a plugin returns (response JSON, error JSON,
 *     bytes) is released by the host with that plugin's descriptor->free.
 *     Everything the host passes in is borrowed for the duration of the call.
 *  5. Every call returns GF_OK or GF_ERROR. The host frees whatever the plugin
 *     put in any out-parameter, whichever it returned, so a plugin may leave
 *     them NULL or set them. On GF_ERROR the plugin sets
 *     *error_json (may be left NULL, the host then reports "no detail") to
 *        {"code": "not_found", "retryable": false,
 *         "message": "object runs/r1/out.npy does not exist",
 *         "detail": {"uri": "file:///..."}}
 *     code is one of GF_ERROR_CODES below; unknown codes are treated as
 *     "internal". retryable is true only when the same call may succeed
 *     later unchanged (capacity, quota, preemption, 5xx, dropped connection).
 *     A full disk is "io" with retryable false: it needs a person.
 *  6. Long work is a handle: launch returns a JSON handle that the host
 *     persists before it does anything else; status/logs/cancel/cleanup/
 *     recover take that handle, also after the host restarted. Calls return
 *     promptly (seconds, not minutes); the host never blocks its MCP loop on
 *     them.
 *  7. Threading: the host may call one service instance from several threads
 *     at once for different handles, unless the service declares
 *     "concurrency": "serial" in its capabilities, in which case the host
 *     serialises every call into it.
 *  8. Plugins never write to stdout: it is the MCP wire. The host redirects fd
 *     1 while a plugin loads and refuses a plugin that wrote to it. Use
 *     host->log.
 *  9. Each service receives its own goldfish.yaml section as JSON in open(),
 *     and owns it: check_config (ABI 1.2) reports its effective values and
 *     its problems to `goldfish config validate` and `config show`.
 * 10. The host loads plugins with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and
 *     never unloads them. There is no unload hook; use close() per instance.
 */
#ifndef GOLDFISH_PLUGIN_H
#define GOLDFISH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Versioning                                                          */
/* ------------------------------------------------------------------ */

#define GF_PLUGIN_MAGIC 0x474F4C44u /* "GOLD" */
#define GF_ABI_MAJOR 1
/* Minor versions only ever append (see "Growth" below):
 *   1.0  the first release.
 *   1.1  list_runs appended to gf_run_backend_v1.
 *   1.2  check_config appended to gf_service.
 *   1.3  request_stop appended to gf_run_backend_v1.
 *   1.4  diagnose appended to gf_run_backend_v1.
 * A 1.0 plugin loads in every 1.x host. A plugin built against a later 1.x
 * header loads in any host of 1.2 or later, which ignores what it does not
 * know. Hosts before 1.2 stepped through the services array by their own
 * sizeof(gf_service): there a 1.2 plugin loads only when it registers a
 * single service. */
#define GF_ABI_MINOR 4

/* Growth. Every struct below starts with (or, for the descriptor, has at a
 * fixed place) its own struct_size, set to sizeof(the struct) as the plugin
 * was compiled. The host:
 *  - refuses a struct smaller than its ABI 1.0 size (GF_*_SIZE_V1_0 below),
 *    and one larger than GF_STRUCT_SIZE_MAX, which only garbage is;
 *  - reads a field only when struct_size covers it, so a field appended
 *    after 1.0 that the plugin lacks reads as NULL ("not supported");
 *  - ignores fields past the ones it knows, so a plugin built against a newer
 *    1.x header loads in an older host;
 *  - walks the services array with services[0].struct_size as the stride,
 *    never its own sizeof(gf_service): every entry of one array has the same
 *    size, the one the plugin was compiled with.
 * The sizes below are those of ABI 1.0 on LP64 (64-bit Linux and macOS);
 * they never change. */
#define GF_PLUGIN_DESCRIPTOR_SIZE_V1_0 64u
#define GF_SERVICE_SIZE_V1_0 56u
#define GF_RUN_BACKEND_SIZE_V1_0 88u /* launch .. list_workers */
/* ABI 1.1 appended list_runs: where request_stop (1.3) starts. */
#define GF_RUN_BACKEND_SIZE_V1_1 96u
/* ABI 1.3 appended request_stop: where diagnose (1.4) starts. */
#define GF_RUN_BACKEND_SIZE_V1_3 104u
#define GF_OBJECT_STORAGE_SIZE_V1_0 88u
#define GF_IMAGE_BUILDER_SIZE_V1_0 48u
#define GF_HOST_API_SIZE_V1_0 24u
/* No struct of this ABI will ever come near it: a larger struct_size is
 * garbage (an uninitialised field, a wrong pointer) and is refused. */
#define GF_STRUCT_SIZE_MAX 4096u

#define GF_OK 0
#define GF_ERROR 1

/* Stable error codes for the "code" field of error JSON. */
#define GF_ERROR_CODES                                                        \
  "invalid_argument, not_found, already_exists, permission_denied, "         \
  "unauthenticated, unavailable, capacity, quota, preempted, timeout, "      \
  "conflict, io, unsupported, not_implemented, internal"

/* Log levels for gf_host_api.log. */
#define GF_LOG_TRACE 0
#define GF_LOG_DEBUG 1
#define GF_LOG_INFO 2
#define GF_LOG_WARNING 3
#define GF_LOG_ERROR 4

/* Service kinds. */
#define GF_KIND_RUN_BACKEND 1
#define GF_KIND_OBJECT_STORAGE 2
#define GF_KIND_IMAGE_BUILDER 3

/* ------------------------------------------------------------------ */
/* Host -> plugin                                                      */
/* ------------------------------------------------------------------ */

/* Services the host offers. Passed to goldfish_plugin_entry; valid for the
 * life of the process. Append-only: check struct_size before reading a field
 * added after ABI 1.0. */
typedef struct gf_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Version of the goldfish host, e.g. "0.1.0". */
  const char *host_version;
  /* Log a message through the host (stderr / the host's log sink). Never NULL.
   * source: the plugin or service name; level: GF_LOG_*; message: UTF-8.
   * Thread-safe. Never write to stdout. */
  void (*log)(const char *source, int32_t level, const char *message);
} gf_host_api;

/* ------------------------------------------------------------------ */
/* The uniform call shape                                              */
/* ------------------------------------------------------------------ */

/* Every JSON-in/JSON-out operation has this shape.
 *   instance       what open() returned
 *   request_json   borrowed, NUL-terminated UTF-8 JSON object
 *   response_json  on GF_OK: set to a JSON object allocated by the plugin
 *                  (the host frees it with descriptor->free); may be NULL,
 *                  meaning {}
 *   error_json     on GF_ERROR: set to an error object (rule 5)
 */
typedef int32_t (*gf_call_fn)(void *instance, const char *request_json,
                              char **response_json, char **error_json);

/* ------------------------------------------------------------------ */
/* RunBackend v1                                                       */
/* ------------------------------------------------------------------ */

/* Capabilities JSON of a run_backend service (declared, never probed):
 *   {"concurrency": "parallel",            // or "serial" (rule 7)
 *    "implemented": true,                  // false: a placeholder service
 *    "isolation": "process",               // process | container | vm
 *    "gpu": false, "spot": false,
 *    "network_policy": true,               // honours profile.network
 *    "resource_limits": ["memory_mb", "cpus", "pids"],
 *    "logs": "offset",                     // offset | tail | none
 *    "recover": true,                      // handles survive a host restart
 *    "warm_reuse": false,                  // deliver/probe/delete_worker
 *    "warm_match": ["image"],              // optional: spec fields a warm worker is
 *                                          // bound to, matched exactly by the host's pool
 *    "needs_image": false}                 // spec.image required
 */
typedef struct gf_run_backend_v1 {
  uint32_t struct_size;

  /* launch: start a job. Request (the run spec; every field is specified in
   * docs/schemas/run-spec.schema.json, the lifecycle in docs/plugins.md
   * "Run backend lifecycle"), e.g.
   *   {"run_id": "stage-7f3a9c21", "workspace": "baseline", "version": "v3",
   *    "stage": "train",
   *    "command": ["python3", "-m", "goldfish.io.bootstrap", "modules.train"],
   *                                                      // argv, never a shell string
   *    "env": {"GOLDFISH_RUN_ID": "stage-7f3a9c21"},     // keys [A-Za-z_][A-Za-z0-9_]*
   *    "code_dir": "/abs/path/code",                     // read-only; the job's cwd
   *    "work_dir": "/abs/path/runs/stage-7f3a9c21",      // private to this run; the
   *                                                      // backend creates it (and
   *                                                      // outputs_dir) if missing
   *    "inputs": [{"name": "features", "type": "npy",
   *                "uri": "file:///...", "local_path": "/abs/..."}],
   *    "outputs_dir": "/abs/path/runs/stage-7f3a9c21/outputs",
   *    "image": "goldfish/stage:abc123",                 // when needs_image
   *    "profile": {"name": "h100-spot", "cpus": 2, "memory_mb": 4096,
   *                "pids": 512, "network": false,        // each key absent when
   *                "gpu": {"type": "h100", "count": 1},  // not asked for
   *                "spot": false,                        // true: spot capacity only
   *                "machine_type": "a3-highgpu-1g",
   *                "definition": {...the whole resolved profile: zones,
   *                               boot_disk, gpu.accelerator, ...}},
   *    "timeout_seconds": 3600,                          // 0 = no limit is
   *                                                      // never implied: absent = none
   *    "labels": {"goldfish-project": "demo", "goldfish-run": "stage-7f3a9c21"},
   *    "worker": {"keep_warm": true, "idle_timeout_seconds": 1800,  // warm_reuse
   *               "lifetime_seconds": 86400, "preserve_paths": [],  // only
   *               "worker_id": "w-3c1f"}}
   * Response: the handle, an object the host persists verbatim and passes back
   *   {"run_id": "stage-7f3a9c21", "backend": "process",
   *    "pid": 4242, "start_time": 123456, "work_dir": "/abs/..."}
   * Fields besides run_id and backend are the backend's own. */
  gf_call_fn launch;

  /* status: {"handle": {...}} ->
   *   {"state": "running",        // pending | preparing | running | completed |
   *                               // failed | canceled | terminated | unknown
   *    "exit_code": null,         // integer once known
   *    "termination_cause": null, // null | "exit" | "user" | "timeout" | "oom" |
   *                               // "preemption" | "lost" | "error"
   *    "message": "",
   *    "started_at": "2026-11-29T07:00:00Z", "finished_at": null} */
  gf_call_fn status;

  /* logs: {"handle": {...}, "offset": 0, "max_bytes": 65536}
   *    or {"handle": {...}, "tail": 100}              // last N lines
   *   -> {"text": "...", "next_offset": 1234, "complete": false}
   * Text is UTF-8 (invalid bytes replaced). complete: true once the job ended
   * and everything was returned. */
  gf_call_fn logs;

  /* cancel: {"handle": {...}, "reason": "user"} -> {}. Stops the job (and
   * only that job). Idempotent: canceling a finished job succeeds. */
  gf_call_fn cancel;

  /* cleanup: {"handle": {...}} -> {}. Releases everything the job held
   * (processes, containers, temp files); idempotent; must work on a handle
   * from a previous host process. */
  gf_call_fn cleanup;

  /* recover: {"handle": {...}} -> {"handle": {...}, "status": {...}}.
   * Re-attaches after a host restart. The returned handle replaces the
   * stored one (it may be the same). */
  gf_call_fn recover;

  /* Warm-pool mechanics; NULL unless capabilities.warm_reuse.
   * deliver_job: {"worker": {...worker handle...}, "spec": {...run spec...}}
   *   -> {"handle": {...run handle...}}. Fails with code "conflict" when
   *   the worker is not idle.
   * probe_worker: {"worker": {...}} ->
   *   {"liveness": "alive" | "dead" | "not_found" | "error",
   *    "state": "idle" | "busy" | "starting" | "stopping",
   *    "run_id": "stage-..." | null, "exit_code": null | 0,
   *    "message": ""}
   * delete_worker: {"worker": {...}} -> {"confirmed": true} once gone;
   *   {"confirmed": false} while deletion is in progress. Idempotent.
   * list_workers: {"labels": {...}} -> {"workers": [{...}, ...]}; used by
   *   emergency cleanup to find workers the host lost track of. */
  gf_call_fn deliver_job;
  gf_call_fn probe_worker;
  gf_call_fn delete_worker;
  gf_call_fn list_workers;

  /* Appended in ABI 1.1: the host reads it only when struct_size covers it,
   * and a plugin built against the 1.0 header is still accepted.
   * list_runs: {"labels": {"goldfish-project": "demo"}} ->
   *   {"runs": [{"handle": {...run handle...}, "labels": {...},
   *              "state": "running"}]}
   * The jobs this backend still holds (running, or ended and not cleaned up)
   * whose launch labels include every given one. The host uses it to find
   * jobs it lost track of (a host killed between launch answering and the
   * handle being stored): it adopts those of runs still launching and stops
   * and cleans up the others. NULL: unsupported. */
  gf_call_fn list_runs;

  /* Appended in ABI 1.3 (read only when struct_size covers it).
   * request_stop: {"handle": {...run handle...}, "reason": "loss is NaN"}
   *   -> {"delivered": true}
   * Asks the job to stop cleanly at its next check, unlike cancel, which stops
   * it: the backend makes the file <outputs_dir>/.goldfish/stop_requested
   * (its content: the reason) appear where the job sees it; goldfish.io's
   * should_stop() reads it and the stage saves what it has and exits. The
   * host records the request before calling and ends the run `terminated`
   * with cause `ai_stop` when the job exits. {"delivered": false} when the job
   * had already ended. Idempotent. NULL: the host writes the file itself
   * into outputs_dir, which works only when outputs_dir is on the host. */
  gf_call_fn request_stop;

  /* Appended in ABI 1.4 (read only when struct_size covers it).
   * diagnose: {"profiles": [{...resolved profile, as spec.profile...}],
   *            "image_involved": true}
   *   -> {"checks": [{"name": "bucket", "status": "failed",
   *                   "detail": "gs://b does not exist",
   *                   "fix": "create it: gcloud storage buckets create gs://b"}]}
   * Checks, before any run, that what the backend needs exists and is allowed
   * (APIs, permissions, buckets, images, quotas); status is ok | failed |
   * warning | skipped. Changes nothing the backend does not own (a probe object
   * it writes is deleted again). NULL: nothing to check. */
  gf_call_fn diagnose;
} gf_run_backend_v1;

/* ------------------------------------------------------------------ */
/* ObjectStorage v1                                                    */
/* ------------------------------------------------------------------ */

/* Capabilities JSON of an object_storage service:
 *   {"concurrency": "parallel", "implemented": true,
 *    "schemes": ["gs"],            // URI schemes it serves
 *    "local": false,               // local_path supported
 *    "hash": "crc32c",             // what stat returns: md5 | crc32c | sha256
 *    "resumable": true, "max_object_bytes": null}
 * URIs are the storage's own (gs://bucket/prefix/key, file:///abs/root/key,
 * cdir:///key); the host obtains them from uri_for and never builds one. A
 * storage refuses URIs outside its root/bucket with "invalid_argument".
 * A list prefix is a plain string prefix of URIs, not a directory. */
typedef struct gf_object_storage_v1 {
  uint32_t struct_size;

  /* put_file: {"uri": "...", "path": "/abs/local/file",
   *            "content_type": "application/octet-stream"}
   *   -> {"size": 123, "hash": {"sha256": "..."}}. Streams; atomic: readers
   *   see the old object or the whole new one, never a part. */
  gf_call_fn put_file;

  /* get_file: {"uri": "...", "path": "/abs/local/file"} -> {"size": 123}.
   * Streams into path atomically (temp file + rename). not_found if absent. */
  gf_call_fn get_file;

  /* put_bytes: small objects held in memory. request as put_file without
   * "path"; the bytes are data[0..len). */
  int32_t (*put_bytes)(void *instance, const char *request_json,
                       const uint8_t *data, size_t len, char **response_json,
                       char **error_json);

  /* get_bytes: {"uri": "...", "max_bytes": 1048576}. On GF_OK *data (freed
   * with descriptor->free; may be NULL when *len is 0) and *len are set.
   * Fails with code "invalid_argument" when the object exceeds max_bytes. */
  int32_t (*get_bytes)(void *instance, const char *request_json,
                       uint8_t **data, size_t *len, char **error_json);

  /* stat: {"uri": "..."} -> {"size": 123, "hash": {"md5": "..."},
   *   "etag": "...", "updated_at": "2026-11-29T07:00:00Z"}; not_found if
   *   absent. "hash" holds at least the algorithm capabilities.hash names;
   *   updated_at is RFC 3339 UTC; etag is opaque. */
  gf_call_fn stat;

  /* exists: {"uri": "..."} -> {"exists": true} */
  gf_call_fn exists;

  /* list: {"prefix": "gs://bucket/runs/", "page_token": null, "page_size": 1000}
   *   -> {"objects": [{"uri": "...", "size": 1}], "next_page_token": null}
   * Objects come in byte-wise lexicographic URI order; a page holds at most
   * page_size (1..10000, default 1000). page_token is opaque: pass back what
   * the previous page returned. A prefix of another storage is
   * invalid_argument. */
  gf_call_fn list;

  /* delete: {"uri": "..."} -> {"deleted": true|false}. Deleting a missing
   * object succeeds with deleted: false. */
  gf_call_fn delete_object;

  /* local_path: {"uri": "..."} -> {"path": "/abs/..."} for storages whose
   * objects are local files (capabilities.local); NULL otherwise. not_found
   * when the object does not exist. */
  gf_call_fn local_path;

  /* uri_for: {"key": "runs/stage-7f3a9c21/outputs/model.pt"}
   *   -> {"uri": "gs://bucket/goldfish/runs/stage-7f3a9c21/outputs/model.pt"}
   * Maps a storage-relative key to this storage's URI, applying its
   * configured bucket, root and prefixes. The host names every object
   * through it. A key is 1..1024 bytes of segments joined by "/"; each
   * segment is 1..255 bytes of [A-Za-z0-9._-] and is not "." or "..";
   * no leading, trailing or doubled "/". Anything else: invalid_argument. */
  gf_call_fn uri_for;
} gf_object_storage_v1;

/* ------------------------------------------------------------------ */
/* ImageBuilder v1                                                     */
/* ------------------------------------------------------------------ */

/* Capabilities JSON of an image_builder service:
 *   {"concurrency": "parallel", "implemented": true,
 *    "registry": false,      // push/exists talk to a registry
 *    "cache": "content"}     // images cached by content hash */
typedef struct gf_image_builder_v1 {
  uint32_t struct_size;

  /* build: {"context_dir": "/abs/dir", "dockerfile": "Dockerfile",
   *         "tag": "goldfish/stage:abc123", "build_args": {"BASE": "python:3"},
   *         "labels": {}} -> {"build_id": "..."} (returns promptly) */
  gf_call_fn build;

  /* build_status: {"build_id": "..."} ->
   *   {"state": "running" | "succeeded" | "failed" | "canceled",
   *    "image": "goldfish/stage:abc123", "image_id": "sha256:...",
   *    "message": ""} */
  gf_call_fn build_status;

  /* build_logs: {"build_id": "...", "offset": 0} ->
   *   {"text": "...", "next_offset": 10, "complete": false} */
  gf_call_fn build_logs;

  /* exists: {"tag": "..."} -> {"exists": true, "image_id": "sha256:..."} */
  gf_call_fn exists;

  /* push: {"tag": "...", "destination": "registry/name:tag"} -> {"digest": ...}.
   * NULL unless capabilities.registry. */
  gf_call_fn push;
} gf_image_builder_v1;

/* ------------------------------------------------------------------ */
/* Plugin -> host                                                      */
/* ------------------------------------------------------------------ */

typedef struct gf_service {
  uint32_t struct_size;
  int32_t kind;                  /* GF_KIND_* */
  const char *name;              /* [a-z][a-z0-9_-]{0,31}, unique per kind */
  const char *capabilities_json; /* static JSON object, see each table */

  /* open: create an instance from the service's goldfish.yaml section.
   *   service       this very struct, so one open function can serve many
   *                 services (see user_data)
   *   config_json   the section as JSON ({} when absent)
   *   context_json  {"project_root": "/abs" | null, "state_dir": "/abs" | null,
   *                  "host_version": "0.1.0",
   *                  "object_storage": {"name": "gcs", "config": {...}} | absent}
   *                 object_storage: the project's storage.backend and its section,
   *                 for a backend that keeps files in the same store
   * On GF_OK *instance is set (may be NULL if the service keeps no state). */
  int32_t (*open)(const struct gf_service *service, const char *config_json,
                  const char *context_json, void **instance,
                  char **error_json);

  /* close: release an instance. Never called concurrently with a call on it. */
  void (*close)(void *instance);

  /* The function table for kind: gf_run_backend_v1, gf_object_storage_v1 or
   * gf_image_builder_v1. Starts with its own struct_size. */
  const void *table;

  /* The plugin's own pointer, never touched by the host. */
  const void *user_data;

  /* Appended in ABI 1.2 (the host reads it only when struct_size covers it).
   * check_config: check the service's goldfish.yaml section without using it.
   *   config_json, context_json  as for open()
   * On GF_OK *response_json is set to
   *   {"effective": {...every key of the section with the value in effect,
   *                  defaults filled in...},
   *    "problems": [{"key": "zone", "message": "is not a zone",
   *                  "hint": "e.g. us-central1-a"}]}
   * where key is the dotted path inside the section ("warm_pool.max_instances");
   * an unknown key is a problem whose hint lists the allowed keys. A valid
   * section answers "problems": []. It must be quick and side-effect free: no
   * connections, no files written, no processes. GF_ERROR is for the
   * plugin's own failure, not for a bad section. NULL: the host can only say
   * "this plugin does not check its config" (and open() still refuses what
   * it cannot use). */
  int32_t (*check_config)(const struct gf_service *service,
                          const char *config_json, const char *context_json,
                          char **response_json, char **error_json);
} gf_service;

typedef struct gf_plugin_descriptor {
  uint32_t magic;       /* GF_PLUGIN_MAGIC */
  uint32_t struct_size; /* sizeof(gf_plugin_descriptor) as compiled */
  uint16_t abi_major;   /* GF_ABI_MAJOR as compiled */
  uint16_t abi_minor;   /* GF_ABI_MINOR as compiled */
  const char *name;     /* plugin name, e.g. "goldfish-local" */
  const char *version;  /* plugin version, e.g. "1.2.0" */
  const char *description;
  /* Releases every buffer this plugin hands to the host. */
  void (*free)(void *ptr);
  uint32_t service_count;
  /* service_count entries, each services[0].struct_size bytes apart (the
   * stride rule under "Growth"). */
  const gf_service *services;
} gf_plugin_descriptor;

/* The one exported symbol. Called once, at load, on the host's main thread.
 * Returns a descriptor that stays valid for the life of the process, or NULL
 * when the plugin cannot run here (it should log why through host->log). */
typedef const gf_plugin_descriptor *(*gf_plugin_entry_fn)(
    const gf_host_api *host);

#define GF_PLUGIN_ENTRY_SYMBOL "goldfish_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define GF_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define GF_PLUGIN_EXPORT
#endif

/* Declare it in a plugin as:
 *   GF_PLUGIN_EXPORT const gf_plugin_descriptor *
 *   goldfish_plugin_entry(const gf_host_api *host) { ... } */

#ifdef __cplusplus
}
#endif

#endif /* GOLDFISH_PLUGIN_H */
