/* Refusal fixture: a well-formed plugin built for ABI major 99. The host
 * must refuse it and name both majors. */
#define STUB_SERVICE_NAME "wrongmajor"
#include "stub_service.h"

static const gf_plugin_descriptor descriptor = {
    GF_PLUGIN_MAGIC,
    sizeof(gf_plugin_descriptor),
    99, /* abi_major: the defect; GF_ABI_MAJOR is 1 */
    0,
    "wrong-major",
    "1.0.0",
    "fixture: claims ABI 99.0",
    stub_free,
    1,
    stub_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &descriptor;
}
