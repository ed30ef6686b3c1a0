#define _GNU_SOURCE
#include <dlfcn.h>
#include "plugin_support.h"

const char *gf_support_object_path(const void *address) {
  Dl_info info;
  if (dladdr(address, &info) == 0) return 0;
  return info.dli_fname;
}

const char *gf_support_own_path(void) {
  return gf_support_object_path((const void *)&gf_support_own_path);
}
