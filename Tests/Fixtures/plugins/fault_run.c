/* Fixture: "faultrun", a run backend whose status misbehaves on demand, so the
 * host can be seen to log plugin failures, bound them and end the run.
 *
 * Config (its goldfish.yaml section `faultrun:`), each key optional:
 *   status_fault: none | malformed | null | wrong_types | missing_error |
 *                 error | hang | slow | crash          (default none)
 *   slow_ms:      how long a slow status sleeps          (default 2000)
 *   recover_fault: none | not_found   (not_found: like a cloud backend that
 *                 cannot find a job from the host's provisional handle)
 *   calls_file:   required; every call appends "<function> <run_id>\n" to it
 *                 (launch also the project label). It is also the fixture's
 *                 memory, shared by every process: a run is canceled once a
 *                 cancel line names it, and held until a cleanup line does.
 *   spec_file:    optional; launch writes the run spec it got there, verbatim.
 * The environment variable FAULTRUN_STATUS_FAULT overrides status_fault.
 *
 * Jobs never execute anything: status answers "running" (fault none) until
 * cancel, logs answers one line, list_runs lists the launched runs not yet
 * cleaned up. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "goldfish_plugin.h"

typedef struct {
  char fault[32];
  char recover_fault[32];
  long slow_ms;
  char calls_file[1024];
  char spec_file[1024];
} fault_config;

static char *copy(const char *text) {
  size_t size = strlen(text) + 1;
  char *out = malloc(size);
  if (out) memcpy(out, text, size);
  return out;
}

/* The string value of "key" in a flat JSON text, copied into out (no escapes
 * are needed for the values this fixture reads). */
static int string_field(const char *json, const char *key, char *out, size_t size) {
  char pattern[80];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *at = json ? strstr(json, pattern) : NULL;
  if (!at) return 0;
  at += strlen(pattern);
  while (*at == ' ') at++;
  if (*at != '"') return 0;
  at++;
  size_t n = 0;
  while (at[n] && at[n] != '"' && n + 1 < size) n++;
  memcpy(out, at, n);
  out[n] = 0;
  return 1;
}

static long number_field(const char *json, const char *key, long fallback) {
  char pattern[80];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *at = json ? strstr(json, pattern) : NULL;
  return at ? strtol(at + strlen(pattern), NULL, 10) : fallback;
}

static void record3(const fault_config *config, const char *function, const char *run_id, const char *extra) {
  if (!config->calls_file[0]) return;
  int fd = open(config->calls_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  char line[512];
  int n = snprintf(line, sizeof line, "%s %s%s%s\n", function, run_id, extra ? " " : "", extra ? extra : "");
  if (n > 0) (void)!write(fd, line, (size_t)n);
  close(fd);
}

static void record(const fault_config *config, const char *function, const char *run_id) {
  record3(config, function, run_id, NULL);
}

/* The calls file as text (caller frees), or NULL. */
static char *read_calls(const fault_config *config) {
  FILE *file = fopen(config->calls_file, "r");
  if (!file) return NULL;
  size_t size = 0, used = 0;
  char *text = NULL;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) {
    if (used + n + 1 > size) {
      size = (used + n + 1) * 2;
      char *grown = realloc(text, size);
      if (!grown) break;
      text = grown;
    }
    memcpy(text + used, chunk, n);
    used += n;
  }
  fclose(file);
  if (text) text[used] = 0;
  return text;
}

/* Whether a line "<function> <run_id>" (optionally followed by more) was recorded. */
static int was_called(const fault_config *config, const char *function, const char *run_id) {
  char *text = read_calls(config);
  if (!text) return 0;
  char wanted[160];
  snprintf(wanted, sizeof wanted, "%s %s", function, run_id);
  size_t length = strlen(wanted);
  int found = 0;
  for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n"))
    found = strncmp(line, wanted, length) == 0 && (line[length] == 0 || line[length] == ' ');
  free(text);
  return found;
}

static int32_t fail(char **error_json, const char *code, const char *message) {
  char text[512];
  snprintf(text, sizeof text, "{\"code\":\"%s\",\"retryable\":false,\"message\":\"%s\",\"detail\":{}}", code,
           message);
  *error_json = copy(text);
  return GF_ERROR;
}

static void sleep_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

static int32_t fault_open(const gf_service *service, const char *config_json, const char *context_json,
                          void **instance, char **error_json) {
  (void)service, (void)context_json, (void)error_json;
  fault_config *config = calloc(1, sizeof *config);
  if (!config) return GF_ERROR;
  strcpy(config->fault, "none");
  strcpy(config->recover_fault, "none");
  string_field(config_json, "status_fault", config->fault, sizeof config->fault);
  string_field(config_json, "recover_fault", config->recover_fault, sizeof config->recover_fault);
  const char *override = getenv("FAULTRUN_STATUS_FAULT");
  if (override && *override) snprintf(config->fault, sizeof config->fault, "%s", override);
  config->slow_ms = number_field(config_json, "slow_ms", 2000);
  string_field(config_json, "calls_file", config->calls_file, sizeof config->calls_file);
  string_field(config_json, "spec_file", config->spec_file, sizeof config->spec_file);
  *instance = config;
  return GF_OK;
}

static void fault_close(void *instance) { free(instance); }

static int32_t fault_launch(void *instance, const char *request_json, char **response_json, char **error_json) {
  char run_id[64] = "", project[128] = "";
  if (!string_field(request_json, "run_id", run_id, sizeof run_id))
    return fail(error_json, "invalid_argument", "the spec has no run_id");
  string_field(request_json, "goldfish-project", project, sizeof project);
  record3(instance, "launch", run_id, project[0] ? project : "-");
  const fault_config *config = instance;
  if (config->spec_file[0]) {
    FILE *spec = fopen(config->spec_file, "w");
    if (spec) {
      fputs(request_json, spec);
      fclose(spec);
    }
  }
  char text[256];
  snprintf(text, sizeof text, "{\"run_id\":\"%s\",\"backend\":\"faultrun\",\"job\":\"job-%s\"}", run_id, run_id);
  *response_json = copy(text);
  return GF_OK;
}

static int32_t fault_status(void *instance, const char *request_json, char **response_json, char **error_json) {
  const fault_config *config = instance;
  char run_id[64] = "";
  string_field(request_json, "run_id", run_id, sizeof run_id);
  record(config, "status", run_id);
  const char *fault = config->fault;
  if (strcmp(fault, "malformed") == 0) {
    *response_json = copy("{\"state\": \"running\", oops");
    return GF_OK;
  }
  if (strcmp(fault, "null") == 0) return GF_OK; /* no response at all */
  if (strcmp(fault, "wrong_types") == 0) {
    *response_json = copy("{\"state\": 7, \"exit_code\": \"none\", \"message\": []}");
    return GF_OK;
  }
  if (strcmp(fault, "missing_error") == 0) return GF_ERROR; /* and no error object */
  if (strcmp(fault, "error") == 0) return fail(error_json, "internal", "faultrun status exploded");
  if (strcmp(fault, "hang") == 0) sleep_ms(3600L * 1000);
  if (strcmp(fault, "slow") == 0) sleep_ms(config->slow_ms);
  if (strcmp(fault, "crash") == 0) {
    volatile int *nowhere = NULL;
    *nowhere = 1;
  }
  int stopped = was_called(config, "cancel", run_id);
  *response_json = copy(stopped ? "{\"state\":\"canceled\",\"termination_cause\":\"user\",\"message\":\"\"}"
                                : "{\"state\":\"running\",\"message\":\"\"}");
  return GF_OK;
}

static int32_t fault_logs(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)instance, (void)error_json;
  char run_id[64] = "";
  string_field(request_json, "run_id", run_id, sizeof run_id);
  if (number_field(request_json, "offset", 0) > 0) {
    *response_json = copy("{\"text\":\"\",\"next_offset\":1,\"complete\":true}");
    return GF_OK;
  }
  char text[256];
  snprintf(text, sizeof text, "{\"text\":\"faultrun log of %s\\n\",\"next_offset\":1,\"complete\":true}", run_id);
  *response_json = copy(text);
  return GF_OK;
}

static int32_t mark(void *instance, const char *request_json, char **response_json, const char *function) {
  char run_id[64] = "";
  string_field(request_json, "run_id", run_id, sizeof run_id);
  record(instance, function, run_id);
  *response_json = copy("{}");
  return GF_OK;
}

static int32_t fault_cancel(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)error_json;
  return mark(instance, request_json, response_json, "cancel");
}

static int32_t fault_cleanup(void *instance, const char *request_json, char **response_json, char **error_json) {
  (void)error_json;
  return mark(instance, request_json, response_json, "cleanup");
}

static int32_t fault_recover(void *instance, const char *request_json, char **response_json, char **error_json) {
  const fault_config *config = instance;
  char run_id[64] = "";
  string_field(request_json, "run_id", run_id, sizeof run_id);
  record(config, "recover", run_id);
  if (strcmp(config->recover_fault, "not_found") == 0 || !was_called(config, "launch", run_id))
    return fail(error_json, "not_found", "faultrun knows no job for this handle");
  char text[256];
  snprintf(text, sizeof text,
           "{\"handle\":{\"run_id\":\"%s\",\"backend\":\"faultrun\",\"job\":\"job-%s\"},"
           "\"status\":{\"state\":\"running\"}}",
           run_id, run_id);
  *response_json = copy(text);
  return GF_OK;
}

/* list_runs: the runs launched and not cleaned up, filtered by the labels
 * goldfish-run and goldfish-project when the request gives them. */
static int32_t fault_list_runs(void *instance, const char *request_json, char **response_json, char **error_json) {
  const fault_config *config = instance;
  (void)error_json;
  char want_run[64] = "", want_project[128] = "";
  string_field(request_json, "goldfish-run", want_run, sizeof want_run);
  string_field(request_json, "goldfish-project", want_project, sizeof want_project);
  char *text = read_calls(config);
  size_t size = 256 + (text ? strlen(text) * 10 : 0);
  char *out = malloc(size);
  if (!out) {
    free(text);
    return GF_ERROR;
  }
  strcpy(out, "{\"runs\":[");
  int first = 1;
  char *copy_text = text ? copy(text) : NULL;
  for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
    char run_id[64], project[128];
    if (sscanf(line, "launch %63s %127s", run_id, project) != 2) continue;
    if (want_run[0] && strcmp(want_run, run_id) != 0) continue;
    if (want_project[0] && strcmp(want_project, project) != 0) continue;
    char cleaned[96];
    snprintf(cleaned, sizeof cleaned, "\ncleanup %s\n", run_id);
    if (copy_text && strstr(copy_text, cleaned)) continue;
    char entry[512];
    snprintf(entry, sizeof entry,
             "%s{\"handle\":{\"run_id\":\"%s\",\"backend\":\"faultrun\",\"job\":\"job-%s\"},"
             "\"labels\":{\"goldfish-run\":\"%s\",\"goldfish-project\":\"%s\"},\"state\":\"running\"}",
             first ? "" : ",", run_id, run_id, run_id, project);
    if (strlen(out) + strlen(entry) + 4 < size) strcat(out, entry);
    first = 0;
  }
  strcat(out, "]}");
  free(text);
  free(copy_text);
  *response_json = out;
  return GF_OK;
}

static void fault_free(void *ptr) { free(ptr); }

static const gf_run_backend_v1 fault_table = {
    .struct_size = sizeof(gf_run_backend_v1),
    .launch = fault_launch,
    .status = fault_status,
    .logs = fault_logs,
    .cancel = fault_cancel,
    .cleanup = fault_cleanup,
    .recover = fault_recover,
    .list_runs = fault_list_runs,
};

static const gf_service fault_services[] = {{
    sizeof(gf_service), GF_KIND_RUN_BACKEND, "faultrun",
    "{\"concurrency\":\"parallel\",\"implemented\":true,\"isolation\":\"process\",\"logs\":\"offset\","
    "\"gpu\":true,\"spot\":true,"
    "\"recover\":true,\"warm_reuse\":false,\"needs_image\":false}",
    fault_open, fault_close, &fault_table, NULL,
}};

static const gf_plugin_descriptor fault_descriptor = {
    GF_PLUGIN_MAGIC, sizeof(gf_plugin_descriptor), GF_ABI_MAJOR, GF_ABI_MINOR,
    "fault-run", "1.0.0", "fixture: a run backend whose status misbehaves on demand", fault_free, 1,
    fault_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  (void)host;
  return &fault_descriptor;
}
