/* SwiftPM needs one C file in a C target; this one checks the header compiles
 * as C99 and pins the layout facts that third parties rely on. */
#include "goldfish_plugin.h"

_Static_assert(sizeof(uint32_t) == 4, "uint32_t");
_Static_assert(offsetof(gf_plugin_descriptor, magic) == 0,
               "magic must be the first field");
_Static_assert(offsetof(gf_plugin_descriptor, struct_size) == 4,
               "struct_size must follow magic");
