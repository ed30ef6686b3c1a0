/* Refusal fixture: a valid plugin that exports its entry under an old name,
 * goldfish_plugin_entry_v0, and not goldfish_plugin_entry. */
#define STUB_SERVICE_NAME "noentry"
#include "stub_service.h"

static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR,
    "no-entry",      "1.0.0",
    "fixture: entry exported under the wrong name",
    stub_free,       1,
    stub_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry_v0(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry_v0(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
