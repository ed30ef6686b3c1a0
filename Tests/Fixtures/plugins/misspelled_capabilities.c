/* misspelled_capabilities.c - a run backend whose capabilities JSON has a
 * misspelled key ("gpus" for "gpu") and a key of the wrong type
 * ("recover": "yes"). The plugin loads; `goldfish plugins check` and
 * `plugins inspect` report both keys with what is allowed. It declares
 * "implemented": false, so nothing else is checked: every call fails with
 * "not_implemented". */
#include <stdlib.h>
#include <string.h>

#include "goldfish_plugin.h"

static int32_t misspelled_refuse(void *instance, const char *request_json,
                                 char **response_json, char **error_json) {
  static const char text[] =
      "{\"code\":\"not_implemented\",\"retryable\":false,"
      "\"message\":\"this fixture only declares capabilities\",\"detail\":{}}";
  (void)instance, (void)request_json, (void)response_json;
  if (error_json != NULL && (*error_json = malloc(sizeof text)) != NULL)
    memcpy(*error_json, text, sizeof text);
  return GF_ERROR;
}

static int32_t misspelled_open(const gf_service *service,
                               const char *config_json,
                               const char *context_json, void **instance,
                               char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void misspelled_close(void *instance) { (void)instance; }

static void misspelled_free(void *ptr) { free(ptr); }

static const gf_run_backend_v1 misspelled_table = {
    .struct_size = sizeof(gf_run_backend_v1),
    .launch = misspelled_refuse,
    .status = misspelled_refuse,
    .logs = misspelled_refuse,
    .cancel = misspelled_refuse,
    .cleanup = misspelled_refuse,
    .recover = misspelled_refuse,
};

static const gf_service misspelled_services[] = {{
    .struct_size = sizeof(gf_service),
    .kind = GF_KIND_RUN_BACKEND,
    .name = "misspelled",
    .capabilities_json =
        "{\"concurrency\":\"parallel\",\"implemented\":false,\"isolation\":\"process\","
        "\"gpus\":true,\"recover\":\"yes\",\"logs\":\"offset\"}",
    .open = misspelled_open,
    .close = misspelled_close,
    .table = &misspelled_table,
}};

static const gf_plugin_descriptor misspelled_descriptor = {
    .magic = GF_PLUGIN_MAGIC,
    .struct_size = sizeof(gf_plugin_descriptor),
    .abi_major = GF_ABI_MAJOR,
    .abi_minor = GF_ABI_MINOR,
    .name = "misspelled-capabilities",
    .version = "1.0.0",
    .description = "declares a misspelled and a wrongly typed capability",
    .free = misspelled_free,
    .service_count = 1,
    .services = misspelled_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(
    const gf_host_api *host) {
  (void)host;
  return &misspelled_descriptor;
}
