/* SwiftPM needs one C file in a C target; this one checks the header compiles
 * as C99 and pins the layout facts that third parties rely on. */
#include "goldfish_plugin.h"

_Static_assert(sizeof(uint32_t) == 4, "uint32_t");
_Static_assert(offsetof(gf_plugin_descriptor, magic) == 0,
               "magic must be the first field");
_Static_assert(offsetof(gf_plugin_descriptor, struct_size) == 4,
               "struct_size must follow magic");

/* The frozen ABI 1.0 sizes (LP64): each equals where the first field appended
 * since 1.0 starts, or the whole struct where nothing was appended yet. A
 * change that moves one of these breaks every released plugin. */
#if defined(__LP64__) || defined(_LP64)
_Static_assert(sizeof(gf_plugin_descriptor) >= GF_PLUGIN_DESCRIPTOR_SIZE_V1_0 &&
                   offsetof(gf_plugin_descriptor, services) + sizeof(void *) ==
                       GF_PLUGIN_DESCRIPTOR_SIZE_V1_0,
               "descriptor 1.0 size");
_Static_assert(offsetof(gf_service, check_config) == GF_SERVICE_SIZE_V1_0,
               "gf_service 1.0 size");
_Static_assert(offsetof(gf_run_backend_v1, list_runs) ==
                   GF_RUN_BACKEND_SIZE_V1_0,
               "run backend 1.0 size");
_Static_assert(offsetof(gf_run_backend_v1, request_stop) ==
                   GF_RUN_BACKEND_SIZE_V1_1,
               "run backend 1.1 size");
_Static_assert(offsetof(gf_run_backend_v1, diagnose) ==
                   GF_RUN_BACKEND_SIZE_V1_3,
               "run backend 1.3 size");
_Static_assert(sizeof(gf_object_storage_v1) == GF_OBJECT_STORAGE_SIZE_V1_0,
               "object storage 1.0 size");
_Static_assert(sizeof(gf_image_builder_v1) == GF_IMAGE_BUILDER_SIZE_V1_0,
               "image builder 1.0 size");
_Static_assert(sizeof(gf_host_api) == GF_HOST_API_SIZE_V1_0,
               "host api 1.0 size");
#endif
