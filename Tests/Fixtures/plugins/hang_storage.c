/* Fixture: "hangstore", a storage whose stat never answers (it sleeps for an
 * hour) while exists answers at once, so the host's call timeout can be seen
 * to bound the one and leave the other working. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goldfish_plugin.h"

static char *copy(const char *text) {
  size_t size = strlen(text) + 1;
  char *out = malloc(size);
  if (out) memcpy(out, text, size);
  return out;
}

static int32_t hang_open(const gf_service *service, const char *config_json,
                         const char *context_json, void **instance,
                         char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void hang_close(void *instance) { (void)instance; }

static int32_t hang_forever(void *instance, const char *request_json,
                            char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  struct timespec hour = {3600, 0};
  nanosleep(&hour, NULL);
  *response_json = copy("{\"size\":0,\"hash\":{}}");
  return GF_OK;
}

static int32_t answer_now(void *instance, const char *request_json,
                          char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  *response_json = copy("{\"exists\":false}");
  return GF_OK;
}

static void hang_free(void *ptr) { free(ptr); }

static const gf_object_storage_v1 hang_table = {
    sizeof(gf_object_storage_v1),
    NULL,         /* put_file */
    NULL,         /* get_file */
    NULL,         /* put_bytes */
    NULL,         /* get_bytes */
    hang_forever, /* stat */
    answer_now,   /* exists */
    NULL,         /* list */
    NULL,         /* delete_object */
    NULL,         /* local_path */
    NULL,         /* uri_for */
};

static const gf_service hang_services[] = {{
    sizeof(gf_service), GF_KIND_OBJECT_STORAGE, "hangstore",
    "{\"concurrency\":\"parallel\",\"implemented\":true}", hang_open, hang_close,
    &hang_table, NULL,
}};

static const gf_plugin_descriptor hang_descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR,
    "hang-storage", "1.0.0", "fixture: stat never answers", hang_free, 1,
    hang_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &hang_descriptor;
}
