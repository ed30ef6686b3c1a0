/* Fixture: "faultstore", a storage whose functions each misbehave in one way,
 * so the reliability tests can aim at one fault at a time:
 *
 *   uri_for, exists  answer correctly (the "next call still works" probe);
 *                    exists also reports the pid of the process it runs in,
 *                    the config it was opened with, and how many buffers it
 *                    handed out that nobody released yet; uri_for also prints
 *                    to stdout (which must never reach goldfish's stdout)
 *   stat             dereferences NULL (SIGSEGV)
 *   list             answers text that is not JSON
 *   local_path       answers valid JSON that is not an object
 *   put_file         answers an object of the wrong shape ("size" is a string)
 *   get_file         leaks 4 MiB per call, and writes to it unchecked: once
 *                    memory runs out it crashes, as leaky code does
 *   delete_object    fails, setting both *response_json and *error_json
 *   get_bytes        never returns
 *   put_bytes        never returns
 *
 * "Leak" is made observable by counting: every buffer this plugin returns is
 * counted in copy() and uncounted in fault_free(), so a host that forgets to
 * release a response or an error through descriptor->free makes the count grow. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "goldfish_plugin.h"

static long outstanding = 0; /* calls are serialised: "concurrency": "serial" */

static char *copy(const char *text) {
  size_t size = strlen(text) + 1;
  char *out = malloc(size);
  if (out) {
    memcpy(out, text, size);
    outstanding++;
  }
  return out;
}

static void fault_free(void *ptr) {
  if (ptr) outstanding--;
  free(ptr);
}

static int32_t fault_open(const gf_service *service, const char *config_json,
                          const char *context_json, void **instance,
                          char **error_json) {
  (void)service, (void)context_json, (void)error_json;
  size_t size = strlen(config_json) + 1;
  char *config = malloc(size); /* the instance: the config, echoed by exists */
  if (config == NULL) return GF_ERROR;
  memcpy(config, config_json, size);
  *instance = config;
  return GF_OK;
}

static void fault_close(void *instance) { free(instance); }

static void sleep_an_hour(void) {
  struct timespec hour = {3600, 0};
  nanosleep(&hour, NULL);
}

static int32_t uri_for(void *instance, const char *request_json,
                       char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  printf("noise from faultstore on stdout\n");
  fflush(stdout);
  *response_json = copy("{\"uri\":\"fault:///object\"}");
  return GF_OK;
}

static int32_t exists(void *instance, const char *request_json,
                      char **response_json, char **error_json) {
  (void)request_json, (void)error_json;
  const char *config = instance;
  size_t size = strlen(config) + 128;
  char *text = malloc(size);
  if (text == NULL) return GF_ERROR;
  snprintf(text, size, "{\"exists\":false,\"pid\":%ld,\"outstanding\":%ld,\"config\":%s}",
           (long)getpid(), outstanding, config);
  *response_json = copy(text);
  free(text);
  return GF_OK;
}

static int32_t crash(void *instance, const char *request_json,
                     char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)response_json, (void)error_json;
  volatile int *nowhere = NULL;
  *nowhere = 1;
  return GF_OK;
}

static int32_t not_json(void *instance, const char *request_json,
                        char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  *response_json = copy("{\"objects\": [ this is not JSON");
  return GF_OK;
}

static int32_t not_an_object(void *instance, const char *request_json,
                             char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  *response_json = copy("[\"a\", \"list\"]");
  return GF_OK;
}

static int32_t wrong_shape(void *instance, const char *request_json,
                           char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  *response_json = copy("{\"size\":\"quite big\",\"hash\":[]}");
  return GF_OK;
}

static int32_t fail_with_both(void *instance, const char *request_json,
                              char **response_json, char **error_json) {
  (void)instance, (void)request_json;
  *response_json = copy("{\"deleted\":false}");
  *error_json = copy("{\"code\":\"unavailable\",\"retryable\":true,"
                     "\"message\":\"the fault fixture always fails here\",\"detail\":{}}");
  return GF_ERROR;
}

static int32_t leak(void *instance, const char *request_json,
                    char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  size_t size = 4u << 20;
  volatile char *lost = malloc(size);
  for (size_t i = 0; i < size; i += 4096) lost[i] = 1; /* touched: really used */
  *response_json = copy("{\"size\":0}");
  return GF_OK;
}

static int32_t put_bytes_forever(void *instance, const char *request_json,
                                 const uint8_t *data, size_t len,
                                 char **response_json, char **error_json) {
  (void)instance, (void)request_json, (void)data, (void)len, (void)error_json;
  sleep_an_hour();
  *response_json = copy("{}");
  return GF_OK;
}

static int32_t get_bytes_forever(void *instance, const char *request_json,
                                 uint8_t **data, size_t *len, char **error_json) {
  (void)instance, (void)request_json, (void)error_json;
  sleep_an_hour();
  *data = NULL;
  *len = 0;
  return GF_OK;
}

static const gf_object_storage_v1 fault_table = {
    sizeof(gf_object_storage_v1),
    wrong_shape,       /* put_file */
    leak,              /* get_file */
    put_bytes_forever, /* put_bytes */
    get_bytes_forever, /* get_bytes */
    crash,             /* stat */
    exists,            /* exists */
    not_json,          /* list */
    fail_with_both,    /* delete_object */
    not_an_object,     /* local_path */
    uri_for,           /* uri_for */
};

static const gf_service fault_services[] = {{
    sizeof(gf_service), GF_KIND_OBJECT_STORAGE, "faultstore",
    "{\"concurrency\":\"serial\",\"implemented\":true,\"schemes\":[\"fault\"],"
    "\"local\":true,\"hash\":\"sha256\"}",
    fault_open, fault_close, &fault_table, NULL,
}};

static const gf_plugin_descriptor fault_descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR,
    "fault-storage", "1.0.0", "fixture: every function misbehaves in its own way",
    fault_free, 1, fault_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &fault_descriptor;
}
