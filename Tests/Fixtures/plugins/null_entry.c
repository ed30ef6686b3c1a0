/* Refusal fixture: the entry declines to run and says why through the host
 * log, as a plugin does when, say, a required tool is missing. */
#include <stddef.h>

#include "goldfish_plugin.h"

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  if (host != NULL && host->struct_size >= offsetof(gf_host_api, log) + sizeof host->log &&
      host->log != NULL)
    host->log("null-entry", GF_LOG_ERROR,
              "null-entry cannot run here: this fixture always declines");
  return NULL;
}
