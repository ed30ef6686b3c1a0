/* Fixture: "crashstore", a storage whose every function dereferences NULL
 * (SIGSEGV). `goldfish plugins check` on it dies in-process and reports each
 * case as crashed under --isolation process. */
#include <stdlib.h>

#include "goldfish_plugin.h"

static int32_t crash_open(const gf_service *service, const char *config_json,
                          const char *context_json, void **instance,
                          char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void crash_close(void *instance) { (void)instance; }

static void segfault(void) {
  volatile int *nowhere = NULL;
  *nowhere = 1;
}

static int32_t crash_call(void *instance, const char *request_json,
                          char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)response_json, (void)error_json;
  segfault();
  return GF_ERROR;
}

static int32_t crash_put_bytes(void *instance, const char *request_json,
                               const uint8_t *data, size_t len,
                               char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)data, (void)len,
      (void)response_json, (void)error_json;
  segfault();
  return GF_ERROR;
}

static int32_t crash_get_bytes(void *instance, const char *request_json,
                               uint8_t **data, size_t *len, char **error_json) {
  (void)instance, (void)request_json, (void)data, (void)len, (void)error_json;
  segfault();
  return GF_ERROR;
}

static void crash_free(void *ptr) { free(ptr); }

static const gf_object_storage_v1 crash_table = {
    sizeof(gf_object_storage_v1),
    crash_call,      /* put_file */
    crash_call,      /* get_file */
    crash_put_bytes, /* put_bytes */
    crash_get_bytes, /* get_bytes */
    crash_call,      /* stat */
    crash_call,      /* exists */
    crash_call,      /* list */
    crash_call,      /* delete_object */
    NULL,            /* local_path */
    crash_call,      /* uri_for */
};

static const gf_service crash_services[] = {{
    sizeof(gf_service), GF_KIND_OBJECT_STORAGE, "crashstore",
    "{\"concurrency\":\"parallel\",\"implemented\":true,\"schemes\":[\"crash\"],"
    "\"local\":false,\"hash\":\"sha256\"}",
    crash_open, crash_close, &crash_table, NULL,
}};

static const gf_plugin_descriptor crash_descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR,
    "crash-storage", "1.0.0", "fixture: every call crashes", crash_free, 1,
    crash_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &crash_descriptor;
}
