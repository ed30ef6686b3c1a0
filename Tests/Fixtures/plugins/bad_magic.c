/* Refusal fixture: everything right except the magic number, as if the
 * entry returned a pointer to something that is not a descriptor. */
#define STUB_SERVICE_NAME "badmagic"
#include "stub_service.h"

static const gf_plugin_descriptor descriptor = {
    0xDEADBEEFu, /* magic: the defect; GF_PLUGIN_MAGIC is 0x474F4C44 */
    sizeof(gf_plugin_descriptor),
    GF_ABI_MAJOR,
    GF_ABI_MINOR,
    "bad-magic",
    "1.0.0",
    "fixture: wrong magic",
    stub_free,
    1,
    stub_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
