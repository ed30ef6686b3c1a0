/* Refusal fixture: the descriptor claims to be 8 bytes, i.e. only magic and
 * struct_size. The host must not read any further field. */
#define STUB_SERVICE_NAME "smallstruct"
#include "stub_service.h"

static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC,
    8, /* struct_size: the defect; sizeof(gf_plugin_descriptor) is larger */
    GF_ABI_MAJOR,
    GF_ABI_MINOR,
    "small-struct",
    "1.0.0",
    "fixture: truncated descriptor",
    stub_free,
    1,
    stub_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
