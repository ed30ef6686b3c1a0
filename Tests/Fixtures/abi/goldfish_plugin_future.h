/* goldfish_plugin_future.h - a "1.x" header of the future, for the growth test.
 *
 * It is the current goldfish_plugin.h with one more field appended at the end
 * of the descriptor, of gf_service and of every function table, as a later
 * minor version would append them. A plugin built against it must load in
 * today's host, which ignores what it does not know (goldfish_plugin.h,
 * "Growth"). The extended structs embed today's structs first, so their
 * leading fields are laid out exactly as today's header lays them out. */
#ifndef GOLDFISH_PLUGIN_FUTURE_H
#define GOLDFISH_PLUGIN_FUTURE_H

#include "goldfish_plugin.h"

#define GF_ABI_MINOR_FUTURE 99

typedef struct gf_plugin_descriptor_future {
  gf_plugin_descriptor base;
  const char *future_homepage; /* appended in "1.99" */
} gf_plugin_descriptor_future;

typedef struct gf_service_future {
  gf_service base;
  gf_call_fn future_describe; /* appended in "1.99" */
} gf_service_future;

typedef struct gf_run_backend_future {
  gf_run_backend_v1 base;
  gf_call_fn future_pause; /* appended in "1.99" */
} gf_run_backend_future;

typedef struct gf_object_storage_future {
  gf_object_storage_v1 base;
  gf_call_fn future_copy; /* appended in "1.99" */
} gf_object_storage_future;

#endif
