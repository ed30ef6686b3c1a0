/* Fixture: a C storage with check_config (ABI 1.2). Its section is reported
 * back: {"level": 3} in effect; a section holding "bad" has a problem at
 * "level"; one holding "hang" never answers (the host must give up after
 * plugins.call_timeout_seconds, not hang `config validate`). The table is the
 * stub's: only the config check matters here. */
#define _GNU_SOURCE
#define STUB_SERVICE_NAME "cfgcheck"
#include <unistd.h>

#include "stub_service.h"

static int32_t check_config(const gf_service *service, const char *config_json, const char *context_json,
                            char **response_json, char **error_json) {
  (void)service, (void)context_json, (void)error_json;
  if (config_json && strstr(config_json, "hang")) {
    for (;;) sleep(3600);
  }
  const char *answer =
      config_json && strstr(config_json, "bad")
          ? "{\"effective\":{\"level\":3},\"problems\":[{\"key\":\"level\",\"message\":\"is too high\","
            "\"hint\":\"at most 5\"}]}"
          : "{\"effective\":{\"level\":3},\"problems\":[]}";
  *response_json = strdup(answer);
  return GF_OK;
}

static const gf_service services[] = {{
    sizeof(gf_service),
    GF_KIND_OBJECT_STORAGE,
    STUB_SERVICE_NAME,
    "{\"concurrency\":\"parallel\",\"implemented\":false,\"schemes\":[\"cfgcheck\"]}",
    stub_open,
    stub_close,
    &stub_table,
    NULL,
    check_config,
}};

static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR, "config-check", "1.0.0",
    "fixture: a C service that checks its own section", stub_free, 1, services};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
