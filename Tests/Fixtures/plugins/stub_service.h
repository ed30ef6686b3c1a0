/* stub_service.h - one minimal, well-formed object_storage service for the
 * refusal fixtures, so each fixture is wrong in exactly the one way its name
 * says and in no other. Every call fails with "not_implemented", which is
 * honest: the service declares "implemented": false. */
#ifndef STUB_SERVICE_H
#define STUB_SERVICE_H

#include <stdlib.h>
#include <string.h>

#include "goldfish_plugin.h"

#ifndef STUB_SERVICE_NAME
#define STUB_SERVICE_NAME "stubstore"
#endif

static int32_t stub_not_implemented(char **error_json) {
  static const char text[] =
      "{\"code\":\"not_implemented\",\"retryable\":false,"
      "\"message\":\"this fixture only exists to be refused\",\"detail\":{}}";
  if (error_json != NULL && (*error_json = malloc(sizeof text)) != NULL)
    memcpy(*error_json, text, sizeof text);
  return GF_ERROR;
}

static int32_t stub_open(const gf_service *service, const char *config_json,
                         const char *context_json, void **instance,
                         char **error_json) {
  (void)service, (void)config_json, (void)context_json, (void)error_json;
  *instance = NULL;
  return GF_OK;
}

static void stub_close(void *instance) { (void)instance; }

static int32_t stub_call(void *instance, const char *request_json,
                         char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)response_json;
  return stub_not_implemented(error_json);
}

static void stub_free(void *ptr) { free(ptr); }

static const gf_object_storage_v1 stub_table = {
    sizeof(gf_object_storage_v1),
    stub_call, /* put_file */
    stub_call, /* get_file */
    NULL,      /* put_bytes */
    NULL,      /* get_bytes */
    stub_call, /* stat */
    stub_call, /* exists */
    stub_call, /* list */
    stub_call, /* delete_object */
    NULL,      /* local_path */
    stub_call, /* uri_for */
};

static const gf_service stub_services[] = {{
    sizeof(gf_service),
    GF_KIND_OBJECT_STORAGE,
    STUB_SERVICE_NAME,
    "{\"concurrency\":\"parallel\",\"implemented\":false,\"schemes\":[\"" STUB_SERVICE_NAME
    "\"],\"local\":false,\"hash\":\"sha256\",\"resumable\":false,\"max_object_bytes\":null}",
    stub_open,
    stub_close,
    &stub_table,
    NULL,
}};

#endif
