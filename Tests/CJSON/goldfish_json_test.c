/*
 * Tests of goldfish_json.h: a table of valid and invalid documents, the
 * writer's escaping and repair, the error helper, every truncation of every
 * valid document and a few thousand deterministic mutations. Each input lives
 * in a buffer of exactly its own size, so a build with -fsanitize=address
 * catches any read past the NUL.
 *
 *   cc -std=c99 -Wall -Wextra -Werror -pedantic -I Sources/PluginABI/include \
 *      Tests/CJSON/goldfish_json_test.c -o json_test && ./json_test
 *
 * Prints one line per failure and a summary; exits 1 if anything failed.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goldfish_json.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                       \
  do {                                         \
    checks++;                                  \
    if (!(cond)) {                             \
      failures++;                              \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                     \
      printf("\n");                            \
    }                                          \
  } while (0)

/* A heap copy of exactly strlen + 1 bytes: ASan sees any over-read. */
static char *exact(const char *s, size_t n) {
  char *copy = malloc(n + 1);
  if (copy == NULL) abort();
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

/* Parses text and writes it back; NULL when the parse failed (why is set). */
static char *roundtrip(const char *text, char *why, size_t why_len) {
  char *copy = exact(text, strlen(text)), *out;
  gfj_value *v = gfj_parse(copy, why, why_len);
  gfj_writer w;
  free(copy);
  if (v == NULL) return NULL;
  gfj_w_init(&w);
  gfj_w_value(&w, v);
  gfj_free(v);
  out = gfj_w_finish(&w);
  if (out == NULL) snprintf(why, why_len, "the writer failed on a parsed value");
  return out;
}

/* ---- valid documents: input and the writer's canonical form ----------- */

typedef struct {
  const char *input;
  const char *canonical;
} valid_case;

static const valid_case valid[] = {
    {"{}", "{}"},
    {"[]", "[]"},
    {" \t\r\n{ } ", "{}"},
    {"null", "null"},
    {"true", "true"},
    {"false", "false"},
    {"0", "0"},
    {"-0", "0"},
    {"42", "42"},
    {"-17", "-17"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    /* past int64_t: a double */
    {"9223372036854775808", "9.2233720368547758e+18"},
    {"123456789012345678901234567890", "1.2345678901234568e+29"},
    {"1.5", "1.5"},
    {"-0.25e2", "-25"},
    {"1E-3", "0.001"},
    {"2e+2", "200"},
    {"1e-400", "0"},
    {"\"\"", "\"\""},
    {"\"plain\"", "\"plain\""},
    {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\""},
    {"\"\\u0041\\u00e9\\u20AC\"", "\"A\xC3\xA9\xE2\x82\xAC\""},
    {"\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\""},
    {"\"\\u0000x\"", "\"\\u0000x\""},
    {"\"\\u001f\"", "\"\\u001f\""},
    {"\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x9F\"", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x9F\""},
    {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
     "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"},
    {"[1, [2, [3, [4]]], {\"k\" : [ ] }]", "[1,[2,[3,[4]]],{\"k\":[]}]"},
    {"{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}"},
    {"{\"\\u0000\":1}", "{\"\\u0000\":1}"},
};

static void test_valid(void) {
  size_t k;
  for (k = 0; k < sizeof valid / sizeof valid[0]; k++) {
    char why[200];
    char *out = roundtrip(valid[k].input, why, sizeof why);
    CHECK(out != NULL, "valid case %lu (%s) failed: %s", (unsigned long)k, valid[k].input, why);
    if (out != NULL)
      CHECK(strcmp(out, valid[k].canonical) == 0, "case %lu: %s wrote %s, expected %s",
            (unsigned long)k, valid[k].input, out, valid[k].canonical);
    free(out);
  }
}

/* ---- invalid documents: each must fail with a reason ------------------ */

typedef struct {
  const char *input;
  const char *reason; /* a fragment of the expected reason */
} invalid_case;

static const invalid_case invalid[] = {
    {"", "unexpected end"},
    {"   ", "unexpected end"},
    {"{", "expected a string key"},
    {"[", "unexpected end"},
    {"[1,", "unexpected end"},
    {"[1,]", "expected a JSON value"},
    {"{\"a\"}", "expected ':'"},
    {"{\"a\":}", "expected a JSON value"},
    {"{\"a\":1,}", "expected a string key"},
    {"{\"a\" 1}", "expected ':'"},
    {"{1:2}", "expected a string key"},
    {"[1 2]", "expected ',' or ']'"},
    {"{\"a\":1 \"b\":2}", "expected ',' or '}'"},
    {"{} {}", "unexpected text after"},
    {"nul", "invalid literal"},
    {"tru", "invalid literal"},
    {"True", "expected a JSON value"},
    {"NaN", "expected a JSON value"},
    {"Infinity", "expected a JSON value"},
    {"-Infinity", "expected a digit"},
    {"01", "leading zero"},
    {"-", "expected a digit"},
    {"1.", "after '.'"},
    {".5", "expected a JSON value"},
    {"1e", "exponent"},
    {"1e+", "exponent"},
    {"+1", "expected a JSON value"},
    {"1e400", "beyond the range"},
    {"-1e400", "beyond the range"},
    {"\"abc", "unterminated string"},
    {"\"abc\\", "unterminated string"},
    {"\"\\", "unterminated string"},
    {"\"\\u12\"", "four hex digits"},
    {"\"\\u12", "unterminated string"},
    {"\"\\u", "unterminated string"},
    {"\"\\uZZZZ\"", "four hex digits"},
    {"\"\\x\"", "invalid escape"},
    {"\"\\ud83d\"", "followed by a low one"},
    {"\"\\ud83dx\"", "followed by a low one"},
    {"\"\\ud83d\\u0041\"", "followed by a low one"},
    {"\"\\ude00\"", "low surrogate"},
    {"\"a\nb\"", "control character"},
    {"\"\t\"", "control character"},
    {"\"\xC3\"", "invalid UTF-8"},
    {"\"\xC3(\"", "invalid UTF-8"},
    {"\"\xC0\xAF\"", "invalid UTF-8"},             /* overlong '/' */
    {"\"\xE0\x80\xAF\"", "invalid UTF-8"},         /* overlong */
    {"\"\xED\xA0\x80\"", "invalid UTF-8"},         /* a surrogate in UTF-8 */
    {"\"\xF4\x90\x80\x80\"", "invalid UTF-8"},     /* past U+10FFFF */
    {"\"\xF0\x9F\x98\"", "invalid UTF-8"},         /* truncated */
    {"\"\xFF\"", "invalid UTF-8"},
    {"\xEF\xBB\xBF{}", "expected a JSON value"},   /* a BOM is not JSON */
    {"[\"a\",\xFF]", "expected a JSON value"},
};

static void test_invalid(void) {
  size_t k;
  for (k = 0; k < sizeof invalid / sizeof invalid[0]; k++) {
    char why[200] = "";
    char *copy = exact(invalid[k].input, strlen(invalid[k].input));
    gfj_value *v = gfj_parse(copy, why, sizeof why);
    CHECK(v == NULL, "invalid case %lu (%s) parsed", (unsigned long)k, invalid[k].input);
    CHECK(strstr(why, invalid[k].reason) != NULL, "invalid case %lu: reason \"%s\" lacks \"%s\"",
          (unsigned long)k, why, invalid[k].reason);
    CHECK(strncmp(why, "at byte ", 8) == 0, "invalid case %lu: reason \"%s\" has no position",
          (unsigned long)k, why);
    gfj_free(v);
    free(copy);
  }
  {
    char why[200];
    CHECK(gfj_parse(NULL, why, sizeof why) == NULL, "NULL text parsed");
    CHECK(gfj_parse("x", NULL, 0) == NULL, "a NULL why buffer is fine");
  }
}

/* ---- nesting ------------------------------------------------------------ */

static char *nested(size_t depth, char open, char close) {
  char *s = malloc(2 * depth + 1);
  size_t k;
  if (s == NULL) abort();
  for (k = 0; k < depth; k++) s[k] = open, s[2 * depth - 1 - k] = close;
  s[2 * depth] = '\0';
  return s;
}

static void test_depth(void) {
  char why[200] = "";
  char *ok = nested(GFJ_MAX_DEPTH, '[', ']');
  char *deep = nested(GFJ_MAX_DEPTH + 1, '[', ']');
  char *very = nested(100000, '[', ']');
  gfj_value *v = gfj_parse(ok, why, sizeof why);
  CHECK(v != NULL, "%d nested arrays failed: %s", GFJ_MAX_DEPTH, why);
  gfj_free(v);
  CHECK(gfj_parse(deep, why, sizeof why) == NULL, "%d nested arrays parsed", GFJ_MAX_DEPTH + 1);
  CHECK(strstr(why, "nested too deeply") != NULL, "deep nesting: %s", why);
  /* No stack overflow however deep the input. */
  CHECK(gfj_parse(very, why, sizeof why) == NULL, "100000 nested arrays parsed");
  free(ok), free(deep), free(very);
  {
    /* Objects count too. */
    size_t k, depth = GFJ_MAX_DEPTH + 1;
    char *s = malloc(depth * 6 + depth + 2), *p = s;
    if (s == NULL) abort();
    for (k = 0; k < depth; k++) memcpy(p, "{\"a\":", 5), p += 5;
    *p++ = '1';
    for (k = 0; k < depth; k++) *p++ = '}';
    *p = '\0';
    CHECK(gfj_parse(s, why, sizeof why) == NULL && strstr(why, "nested too deeply"), "deep objects");
    free(s);
  }
  {
    /* The writer refuses to nest past the limit too, and fails as a whole. */
    gfj_writer w;
    int k;
    gfj_w_init(&w);
    for (k = 0; k <= GFJ_MAX_DEPTH; k++) gfj_w_begin_array(&w);
    for (k = 0; k <= GFJ_MAX_DEPTH; k++) gfj_w_end_array(&w);
    CHECK(gfj_w_finish(&w) == NULL, "the writer nested past GFJ_MAX_DEPTH");
  }
}

/* ---- lookups ------------------------------------------------------------ */

static void test_lookups(void) {
  const char *text =
      "{\"handle\":{\"run_id\":\"r1\",\"pid\":42},\"offset\":7,\"ratio\":0.5,\"big\":1e3,"
      "\"wait\":true,\"none\":null,\"list\":[\"a\",\"b\"],\"dup\":1,\"dup\":2,"
      "\"nul\":\"a\\u0000b\",\"text\":\"x\"}";
  char *error = NULL;
  gfj_value *req = gfj_parse_request(text, &error);
  const gfj_value *handle, *list, *got;
  const char *s;
  int64_t n;
  int b;
  CHECK(req != NULL && error == NULL, "the request did not parse: %s", error ? error : "");
  if (req == NULL) return;
  handle = gfj_get(req, "handle");
  CHECK(gfj_type_of(handle) == GFJ_OBJECT, "handle is an object");
  CHECK(strcmp(gfj_string(gfj_get(handle, "run_id")), "r1") == 0, "handle.run_id");
  CHECK(gfj_int(gfj_get(handle, "pid"), -1) == 42, "handle.pid");
  CHECK(gfj_int(gfj_get(req, "big"), -1) == 1000, "an integral double reads as an int");
  CHECK(gfj_int(gfj_get(req, "ratio"), -1) == -1, "0.5 is not an int");
  CHECK(gfj_double(gfj_get(req, "ratio"), 0) == 0.5, "ratio");
  CHECK(gfj_double(gfj_get(req, "offset"), 0) == 7.0, "an int reads as a double");
  CHECK(gfj_bool(gfj_get(req, "wait"), 0) == 1, "wait");
  CHECK(gfj_bool(gfj_get(req, "offset"), 5) == 5, "a number is no bool");
  CHECK(gfj_is_null(gfj_get(req, "none")) && gfj_get(req, "none") != NULL, "none is null");
  CHECK(gfj_is_null(gfj_get(req, "absent")) && gfj_get(req, "absent") == NULL, "absent");
  CHECK(gfj_int(gfj_get(req, "dup"), 0) == 2, "the last duplicate wins");
  CHECK(gfj_string(gfj_get(req, "nul")) == NULL, "a string with NUL is no C string");
  CHECK(gfj_string_len(gfj_get(req, "nul")) == 3, "but its length is known");
  CHECK(gfj_string(gfj_get(req, "offset")) == NULL, "a number is no string");
  list = gfj_get(req, "list");
  CHECK(gfj_count(list) == 2 && strcmp(gfj_string(gfj_at(list, 1)), "b") == 0, "list[1]");
  CHECK(gfj_at(list, 2) == NULL, "list[2] is out of range");
  CHECK(gfj_count(req) == 11 && strcmp(gfj_key(gfj_at(req, 0)), "handle") == 0, "members in order");
  CHECK(gfj_get(list, "a") == NULL && gfj_get(NULL, "a") == NULL, "gfj_get on a non-object");

  CHECK(gfj_want_string(req, "text", 1, &s, &error) && strcmp(s, "x") == 0, "want text");
  CHECK(gfj_want_string(req, "absent", 0, &s, &error) && s == NULL, "optional absent string");
  CHECK(gfj_want_string(req, "none", 0, &s, &error) && s == NULL, "null is absent");
  CHECK(!gfj_want_string(req, "absent", 1, &s, &error) && error != NULL &&
            strstr(error, "\"code\":\"invalid_argument\"") && strstr(error, "needs \\\"absent\\\""),
        "a missing required string: %s", error ? error : "(none)");
  free(error), error = NULL;
  CHECK(!gfj_want_string(req, "offset", 1, &s, &error) && strstr(error, "must be a string"),
        "a number where a string belongs");
  free(error), error = NULL;
  CHECK(!gfj_want_string(req, "nul", 1, &s, &error) && strstr(error, "NUL"), "a NUL in a string");
  free(error), error = NULL;
  CHECK(gfj_want_int(req, "offset", 0, &n, &error) && n == 7, "want offset");
  CHECK(gfj_want_int(req, "absent", 9, &n, &error) && n == 9, "int fallback");
  CHECK(!gfj_want_int(req, "text", 0, &n, &error) && strstr(error, "must be an integer"),
        "a string where an int belongs");
  free(error), error = NULL;
  CHECK(gfj_want_bool(req, "wait", 0, &b, &error) && b == 1, "want wait");
  CHECK(!gfj_want_bool(req, "text", 0, &b, &error) && strstr(error, "true or false"), "bool");
  free(error), error = NULL;
  CHECK(gfj_want(req, "handle", GFJ_OBJECT, 1, &got, &error) && got == handle, "want handle");
  CHECK(!gfj_want(req, "list", GFJ_OBJECT, 1, &got, &error) && strstr(error, "an object"), "list");
  free(error), error = NULL;
  CHECK(!gfj_want(req, "absent", GFJ_ARRAY, 1, &got, &error) && strstr(error, "an array"), "arr");
  free(error), error = NULL;
  gfj_free(req);

  req = gfj_parse_request("[1]", &error);
  CHECK(req == NULL && error && strstr(error, "not a JSON object"), "an array is no request");
  free(error), error = NULL;
  req = gfj_parse_request("{\"a\":", &error);
  CHECK(req == NULL && error && strstr(error, "not valid JSON: at byte 5"), "%s", error);
  free(error), error = NULL;
  req = gfj_parse_request(NULL, &error);
  CHECK(req == NULL && error != NULL, "a NULL request");
  free(error);
}

/* ---- writer ------------------------------------------------------------- */

static void test_writer(void) {
  gfj_writer w;
  char *out;
  volatile double zero = 0.0;
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key_string(&w, "s", "quote\" back\\ nl\n tab\t bell\x07 del\x7f");
  gfj_w_key_int(&w, "min", INT64_MIN);
  gfj_w_key_double(&w, "half", 0.5);
  gfj_w_key_double(&w, "nan", zero / zero);
  gfj_w_key_double(&w, "inf", 1.0 / zero);
  gfj_w_key_bool(&w, "t", 1);
  gfj_w_key_null(&w, "n");
  gfj_w_key_string(&w, "null_string", NULL);
  gfj_w_key(&w, "list");
  gfj_w_begin_array(&w);
  gfj_w_int(&w, 1);
  gfj_w_begin_object(&w);
  gfj_w_end_object(&w);
  gfj_w_begin_array(&w);
  gfj_w_end_array(&w);
  gfj_w_stringf(&w, "%s-%d", "run", 7);
  gfj_w_end_array(&w);
  gfj_w_end_object(&w);
  out = gfj_w_finish(&w);
  CHECK(out != NULL &&
            strcmp(out,
                   "{\"s\":\"quote\\\" back\\\\ nl\\n tab\\t bell\\u0007 del\x7f\",\"min\":"
                   "-9223372036854775808,\"half\":0.5,\"nan\":null,\"inf\":null,\"t\":true,\"n\":null,"
                   "\"null_string\":null,\"list\":[1,{},[],\"run-7\"]}") == 0,
        "writer output: %s", out ? out : "(NULL)");
  free(out);

  /* Invalid UTF-8 is repaired, byte by byte; valid multi-byte text passes. */
  gfj_w_init(&w);
  gfj_w_string(&w, "a\xFF" "b\xC3" "c\xE2\x82" "d\xF0\x9F\x98\x80" "e\xED\xA0\x80" "\xC3\xA9\xC3");
  out = gfj_w_finish(&w);
  CHECK(out != NULL &&
            strcmp(out,
                   "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d\xF0\x9F\x98\x80"
                   "e\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "\xC3\xA9\xEF\xBF\xBD\"") == 0,
        "repair: %s", out ? out : "(NULL)");
  {
    /* ... and what it writes parses again. */
    gfj_value *v = gfj_parse(out, NULL, 0);
    CHECK(v != NULL, "repaired text parses");
    gfj_free(v);
  }
  free(out);

  /* A string with a NUL inside, written with a length. */
  gfj_w_init(&w);
  gfj_w_string_n(&w, "a\0b", 3);
  out = gfj_w_finish(&w);
  CHECK(out && strcmp(out, "\"a\\u0000b\"") == 0, "embedded NUL: %s", out ? out : "(NULL)");
  free(out);

  /* Misuse fails the whole document rather than writing invalid JSON. */
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_int(&w, 1); /* a value where a key belongs */
  gfj_w_end_object(&w);
  CHECK(gfj_w_finish(&w) == NULL, "a value without a key");
  gfj_w_init(&w);
  gfj_w_begin_array(&w);
  gfj_w_key(&w, "k");
  CHECK(gfj_w_finish(&w) == NULL, "a key in an array");
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_end_array(&w);
  CHECK(gfj_w_finish(&w) == NULL, "mismatched end");
  gfj_w_init(&w);
  gfj_w_begin_object(&w);
  gfj_w_key(&w, "k");
  gfj_w_end_object(&w);
  CHECK(gfj_w_finish(&w) == NULL, "a key without a value");
  gfj_w_init(&w);
  gfj_w_begin_array(&w);
  CHECK(gfj_w_finish(&w) == NULL, "an unclosed array");
  gfj_w_init(&w);
  gfj_w_int(&w, 1);
  gfj_w_int(&w, 2);
  CHECK(gfj_w_finish(&w) == NULL, "two top-level values");
  gfj_w_init(&w);
  CHECK(gfj_w_finish(&w) == NULL, "an empty document");
  gfj_w_init(&w);
  gfj_w_end_object(&w);
  CHECK(gfj_w_finish(&w) == NULL, "an end without a begin");

  /* A large document grows the buffer many times. */
  {
    int k;
    gfj_value *v;
    gfj_w_init(&w);
    gfj_w_begin_array(&w);
    for (k = 0; k < 100000; k++) gfj_w_string(&w, "abcdefghij");
    gfj_w_end_array(&w);
    out = gfj_w_finish(&w);
    v = gfj_parse(out, NULL, 0);
    CHECK(out != NULL && strlen(out) == 100000 * 13 + 1 && gfj_count(v) == 100000, "big array");
    gfj_free(v);
    free(out);
  }
}

/* ---- error JSON ---------------------------------------------------------- */

static void test_errors(void) {
  char *error = NULL;
  gfj_writer w;
  gfj_value *v;
  CHECK(gfj_fail(&error, "not_found", 0, "object \"a\" is missing") == GFJ_ERROR, "returns 1");
  CHECK(error && strcmp(error,
                        "{\"code\":\"not_found\",\"retryable\":false,\"message\":"
                        "\"object \\\"a\\\" is missing\",\"detail\":{}}") == 0,
        "gfj_fail: %s", error ? error : "(NULL)");
  free(error), error = NULL;
  gfj_failf(&error, "capacity", 1, "%d of %d slots busy", 4, 4);
  CHECK(error && strstr(error, "\"retryable\":true,\"message\":\"4 of 4 slots busy\""), "failf");
  free(error), error = NULL;
  gfj_error_begin(&w, "io", 0, "disk full: writing \xFF");
  gfj_w_key_string(&w, "path", "/tmp/x");
  gfj_w_key_int(&w, "errno", 28);
  CHECK(gfj_error_end(&w, &error) == GFJ_ERROR, "error_end returns 1");
  v = gfj_parse(error, NULL, 0);
  CHECK(v != NULL, "error JSON parses: %s", error ? error : "(NULL)");
  CHECK(strcmp(gfj_string(gfj_get(v, "code")), "io") == 0, "code");
  CHECK(gfj_bool(gfj_get(v, "retryable"), 1) == 0, "retryable");
  CHECK(strcmp(gfj_string(gfj_get(v, "message")), "disk full: writing \xEF\xBF\xBD") == 0, "msg");
  CHECK(gfj_int(gfj_get(gfj_get(v, "detail"), "errno"), 0) == 28, "detail.errno");
  gfj_free(v);
  free(error), error = NULL;
  CHECK(gfj_fail(NULL, "internal", 0, "nowhere to put it") == GFJ_ERROR, "NULL error_json");
  gfj_fail(&error, NULL, 0, NULL);
  CHECK(error && strstr(error, "\"code\":\"internal\""), "NULL code reads as internal");
  free(error);
}

/* ---- truncations and mutations ------------------------------------------ */

static void test_truncations(void) {
  size_t k, n;
  for (k = 0; k < sizeof valid / sizeof valid[0]; k++) {
    size_t len = strlen(valid[k].input);
    for (n = 0; n < len; n++) {
      char why[200];
      char *copy = exact(valid[k].input, n);
      gfj_value *v = gfj_parse(copy, why, sizeof why);
      /* A prefix may be valid ("12" of "123"); it must never crash. */
      gfj_free(v);
      free(copy);
    }
  }
}

static unsigned long rng_state = 12345;
static unsigned long rng(void) {
  rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
  return rng_state >> 33;
}

static void test_mutations(void) {
  static const char alphabet[] = "{}[]\":,\\u0123456789abcdefABCDEF-+.eE \t\ntrufalsn\x80\xC3\xED\xF0\xFF";
  size_t round;
  int parsed = 0;
  for (round = 0; round < 20000; round++) {
    const char *base = valid[rng() % (sizeof valid / sizeof valid[0])].input;
    size_t len = strlen(base), edits = 1 + rng() % 4, e;
    char *buf = malloc(len + 8), *copy, *again;
    char why[200];
    gfj_value *v;
    if (buf == NULL) abort();
    memcpy(buf, base, len + 1);
    for (e = 0; e < edits; e++) {
      size_t at = len ? rng() % (len + 1) : 0;
      char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
      case 0: /* replace */
        if (at < len) buf[at] = c;
        break;
      case 1: /* insert */
        if (len + 1 < len + 8 - e) {
          memmove(buf + at + 1, buf + at, len - at + 1);
          buf[at] = c;
          len++;
        }
        break;
      default: /* delete */
        if (at < len) memmove(buf + at, buf + at + 1, len - at), len--;
        break;
      }
    }
    copy = exact(buf, len);
    free(buf);
    v = gfj_parse(copy, why, sizeof why);
    if (v != NULL) {
      /* Whatever parses writes back to text that parses to the same text. */
      gfj_writer w;
      gfj_value *v2;
      parsed++;
      gfj_w_init(&w);
      gfj_w_value(&w, v);
      again = gfj_w_finish(&w);
      CHECK(again != NULL, "mutation %s parsed but did not write", copy);
      v2 = gfj_parse(again, why, sizeof why);
      CHECK(v2 != NULL, "the writer's %s does not parse: %s", again ? again : "(NULL)", why);
      if (v2 != NULL) {
        char *third;
        gfj_w_init(&w);
        gfj_w_value(&w, v2);
        third = gfj_w_finish(&w);
        CHECK(third && strcmp(third, again) == 0, "not stable: %s vs %s", again, third);
        free(third);
      }
      gfj_free(v2);
      free(again);
    } else {
      CHECK(why[0] != '\0', "mutation %s failed without a reason", copy);
    }
    gfj_free(v);
    free(copy);
  }
  CHECK(parsed > 100, "only %d of 20000 mutations parsed: the mutator is too harsh", parsed);
}

static void test_size_limit(void) {
  /* One byte past the limit, without allocating the limit: the check counts
   * bytes before parsing. Skip when the limit is too large for a test. */
  if (GFJ_MAX_INPUT <= 128u * 1024u * 1024u) {
    size_t n = (size_t)GFJ_MAX_INPUT + 1;
    char *big = malloc(n + 1), why[200];
    if (big == NULL) return;
    memset(big, ' ', n);
    big[0] = '1';
    big[n] = '\0';
    CHECK(gfj_parse(big, why, sizeof why) == NULL && strstr(why, "longer than"), "size: %s", why);
    big[n - 1] = '\0'; /* exactly the limit: a number and spaces */
    {
      gfj_value *v = gfj_parse(big, why, sizeof why);
      CHECK(v != NULL && gfj_int(v, 0) == 1, "the limit itself parses: %s", why);
      gfj_free(v);
    }
    free(big);
  }
}

int main(void) {
  test_valid();
  test_invalid();
  test_depth();
  test_lookups();
  test_writer();
  test_errors();
  test_truncations();
  test_mutations();
  test_size_limit();
  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
