/* Fixture: "overflowstore", a storage whose uri_for writes one byte past the buffer it
 * allocated (the classic strlen without + 1). Without a sanitizer it usually passes; built
 * with -fsanitize=address and checked with libasan preloaded, plugins check stops at it.
 * Every other function answers not_implemented. Compiled only by the ASan test. */
#include <stdlib.h>
#include <string.h>

#include "goldfish_plugin.h"

static int32_t refuse(char **error_json) {
  static const char text[] =
      "{\"code\":\"not_implemented\",\"retryable\":false,\"message\":\"only uri_for exists\",\"detail\":{}}";
  if (error_json && (*error_json = malloc(sizeof text)) != NULL) memcpy(*error_json, text, sizeof text);
  return GF_ERROR;
}

static int32_t uri_for(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)error_json;
  size_t length = strlen(request_json);
  char *copy = malloc(length); /* the bug: no room for the terminating NUL */
  if (!copy) return refuse(error_json);
  strcpy(copy, request_json);
  free(copy);
  static const char answer[] = "{\"uri\":\"overflow:///x\"}";
  *response_json = malloc(sizeof answer);
  if (*response_json) memcpy(*response_json, answer, sizeof answer);
  return GF_OK;
}

static int32_t other(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)response_json;
  return refuse(error_json);
}

static int32_t open_service(const gf_service *service, const char *config_json, const char *context_json,
                            void **instance, char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void close_service(void *instance) { (void)instance; }
static void release(void *pointer) { free(pointer); }

static const gf_object_storage_v1 table = {
    sizeof(gf_object_storage_v1), other, other, NULL, NULL, other, other, other, other, NULL, uri_for,
};

static const gf_service services[] = {{
    sizeof(gf_service), GF_KIND_OBJECT_STORAGE, "overflowstore",
    "{\"concurrency\":\"parallel\",\"implemented\":true,\"schemes\":[\"overflow\"],\"local\":false,"
    "\"hash\":\"sha256\",\"resumable\":false,\"max_object_bytes\":null}",
    open_service, close_service, &table, NULL,
}};

static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR, "overflow-storage", "1.0.0",
    "Fixture: a heap overflow for AddressSanitizer to find", release, 1, services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
