/*
 * goldfish_json.h - a small JSON reader and writer for Goldfish plugins in C.
 *
 * MIT License
 *
 * Copyright (c) 2026 The Goldfish authors
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 *
 * ---------------------------------------------------------------------------
 *
 * Header-only, C99, libc only. Every function is static, so a plugin stays one
 * `cc -shared -fPIC plugin.c` and exports nothing but goldfish_plugin_entry.
 * Include it in each .c file that needs it; nothing else to define.
 *
 * Reading a request:
 *
 *   gfj_value *req = gfj_parse_request(request_json, error_json);
 *   const char *uri;
 *   int64_t offset;
 *   if (req == NULL) return GF_ERROR;            // error_json already set
 *   if (!gfj_want_string(req, "uri", 1, &uri, error_json) ||
 *       !gfj_want_int(req, "offset", 0, &offset, error_json))
 *     return gfj_free(req), GF_ERROR;
 *   const gfj_value *handle = gfj_get(req, "handle");   // NULL when absent
 *   ...
 *   gfj_free(req);                               // uri points into req: use it first
 *
 * Writing a response (the host frees it with descriptor->free, which must be
 * free(), the allocator every buffer here comes from):
 *
 *   gfj_writer w;
 *   gfj_w_init(&w);
 *   gfj_w_begin_object(&w);
 *   gfj_w_key_int(&w, "size", 123);
 *   gfj_w_key(&w, "hash");
 *   gfj_w_begin_object(&w);
 *   gfj_w_key_string(&w, "sha256", hex);
 *   gfj_w_end_object(&w);
 *   gfj_w_end_object(&w);
 *   if ((*response_json = gfj_w_finish(&w)) == NULL)
 *     return gfj_fail(error_json, "internal", 1, "out of memory");
 *
 * Failing a call (rule 5 of goldfish_plugin.h):
 *
 *   return gfj_failf(error_json, "not_found", 0, "object %s does not exist", uri);
 *
 *   // with a detail object:
 *   gfj_writer e;
 *   gfj_error_begin(&e, "io", 0, "disk full while writing the object");
 *   gfj_w_key_string(&e, "path", path);
 *   return gfj_error_end(&e, error_json);
 *
 * Guarantees:
 *   - The reader never reads past the terminating NUL, refuses input longer
 *     than GFJ_MAX_INPUT bytes or nested deeper than GFJ_MAX_DEPTH, and checks
 *     the whole grammar of RFC 8259: strings must be valid UTF-8 without raw
 *     control characters; \u escapes, surrogate pairs included, are decoded to
 *     UTF-8 and a lone surrogate is refused; integers that fit int64_t are
 *     GFJ_INT, every other number a GFJ_DOUBLE (a number beyond double's range
 *     is refused). Duplicate object keys are kept; gfj_get finds the last.
 *   - The writer always produces valid JSON: strings are escaped, invalid
 *     UTF-8 is replaced with U+FFFD, NaN and infinities become null, and a
 *     misused writer (a value where a key belongs, an unbalanced end) fails
 *     as a whole: gfj_w_finish returns NULL.
 *   - Errors say where and what: "at byte 17: expected ':' after an object key".
 *
 * Thread safety: no global state; a gfj_value tree or a gfj_writer is used by
 * one thread at a time.
 */
#ifndef GOLDFISH_JSON_H
#define GOLDFISH_JSON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits; define them before the #include to change them. */
#ifndef GFJ_MAX_DEPTH
#define GFJ_MAX_DEPTH 64 /* nested arrays and objects, for reader and writer */
#endif
#ifndef GFJ_MAX_INPUT
#define GFJ_MAX_INPUT (64u * 1024u * 1024u) /* bytes of one document */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define GFJ_DEF static __attribute__((unused))
#define GFJ_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GFJ_DEF static
#define GFJ_PRINTF(fmt, args)
#endif

/* What gfj_fail and friends return, so `return gfj_fail(...)` reads naturally;
 * equal to GF_ERROR of goldfish_plugin.h. */
#define GFJ_ERROR 1

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

typedef enum gfj_type {
  GFJ_NULL,
  GFJ_BOOL,
  GFJ_INT,
  GFJ_DOUBLE,
  GFJ_STRING,
  GFJ_ARRAY,
  GFJ_OBJECT
} gfj_type;

typedef struct gfj_value gfj_value;

/* One node of a parsed document. Read it through the functions below; the
 * fields are shown only so it can live inside its parent's array. */
struct gfj_value {
  gfj_type type;
  char *key;      /* member name inside an object, else NULL (NUL-terminated) */
  size_t key_len; /* bytes of key, which may hold an escaped \u0000 */
  union {
    int boolean;
    int64_t integer;
    double number;
    struct {
      char *chars; /* UTF-8, NUL-terminated */
      size_t len;  /* bytes, without the terminator */
    } string;
    struct {
      gfj_value *items; /* elements, or members (each with its key) */
      size_t count;
    } children;
  } as;
};

/* Parses a whole JSON document. Returns the root (free it with gfj_free), or
 * NULL with a one-line reason in why[0..why_len) (why may be NULL). */
GFJ_DEF gfj_value *gfj_parse(const char *text, char *why, size_t why_len);

/* Parses a request: a JSON object. On failure returns NULL and sets
 * *error_json to an invalid_argument error saying what is wrong. */
GFJ_DEF gfj_value *gfj_parse_request(const char *request_json, char **error_json);

/* Frees a tree gfj_parse returned (NULL is fine). */
GFJ_DEF void gfj_free(gfj_value *value);

/* GFJ_NULL for a NULL pointer (an absent member reads as null). */
GFJ_DEF gfj_type gfj_type_of(const gfj_value *value);
/* 1 for a NULL pointer or a JSON null. */
GFJ_DEF int gfj_is_null(const gfj_value *value);
/* The member named key of an object (the last, if repeated); NULL when value
 * is not an object or has no such member. */
GFJ_DEF const gfj_value *gfj_get(const gfj_value *object, const char *key);
/* Elements of an array or members of an object; 0 for anything else. */
GFJ_DEF size_t gfj_count(const gfj_value *value);
/* Element or member i (in document order), or NULL when out of range. */
GFJ_DEF const gfj_value *gfj_at(const gfj_value *value, size_t i);
/* The key of a member returned by gfj_at on an object, else NULL. */
GFJ_DEF const char *gfj_key(const gfj_value *member);

/* Typed reads. gfj_string returns NULL unless value is a string without an
 * embedded NUL (use gfj_string_len and value->as.string for those). gfj_int
 * accepts an integer, or a double with an integral value in range. */
GFJ_DEF const char *gfj_string(const gfj_value *value);
GFJ_DEF size_t gfj_string_len(const gfj_value *value);
GFJ_DEF int64_t gfj_int(const gfj_value *value, int64_t fallback);
GFJ_DEF double gfj_double(const gfj_value *value, double fallback);
GFJ_DEF int gfj_bool(const gfj_value *value, int fallback);

/* Request fields with errors. Each returns 1, or 0 after setting *error_json
 * to an invalid_argument error that names the field. A JSON null counts as
 * absent. Out-pointers point into the tree; a missing optional string is NULL. */
GFJ_DEF int gfj_want_string(const gfj_value *object, const char *key, int required,
                            const char **out, char **error_json);
GFJ_DEF int gfj_want_int(const gfj_value *object, const char *key, int64_t fallback,
                         int64_t *out, char **error_json);
GFJ_DEF int gfj_want_bool(const gfj_value *object, const char *key, int fallback, int *out,
                          char **error_json);
/* type is GFJ_OBJECT or GFJ_ARRAY; *out stays NULL when absent and optional. */
GFJ_DEF int gfj_want(const gfj_value *object, const char *key, gfj_type type, int required,
                     const gfj_value **out, char **error_json);

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

typedef struct gfj_writer {
  char *buf;
  size_t len, cap;
  int failed; /* out of memory or misuse; gfj_w_finish then returns NULL */
  unsigned depth;
  /* Per open container: bit 0 object, bit 1 has an item, bit 2 key written. */
  unsigned char state[GFJ_MAX_DEPTH + 1];
} gfj_writer;

GFJ_DEF void gfj_w_init(gfj_writer *w);
GFJ_DEF void gfj_w_begin_object(gfj_writer *w);
GFJ_DEF void gfj_w_end_object(gfj_writer *w);
GFJ_DEF void gfj_w_begin_array(gfj_writer *w);
GFJ_DEF void gfj_w_end_array(gfj_writer *w);
/* A member name; the next value written is its value. */
GFJ_DEF void gfj_w_key(gfj_writer *w, const char *key);
/* NULL s writes null. */
GFJ_DEF void gfj_w_string(gfj_writer *w, const char *s);
GFJ_DEF void gfj_w_string_n(gfj_writer *w, const char *s, size_t len);
GFJ_DEF void gfj_w_stringf(gfj_writer *w, const char *fmt, ...) GFJ_PRINTF(2, 3);
GFJ_DEF void gfj_w_int(gfj_writer *w, int64_t n);
GFJ_DEF void gfj_w_double(gfj_writer *w, double d);
GFJ_DEF void gfj_w_bool(gfj_writer *w, int b);
GFJ_DEF void gfj_w_null(gfj_writer *w);
/* Writes a parsed value back (e.g. echoes a handle); NULL writes null. */
GFJ_DEF void gfj_w_value(gfj_writer *w, const gfj_value *value);
/* Shorthands: gfj_w_key then the value. */
GFJ_DEF void gfj_w_key_string(gfj_writer *w, const char *key, const char *s);
GFJ_DEF void gfj_w_key_int(gfj_writer *w, const char *key, int64_t n);
GFJ_DEF void gfj_w_key_double(gfj_writer *w, const char *key, double d);
GFJ_DEF void gfj_w_key_bool(gfj_writer *w, const char *key, int b);
GFJ_DEF void gfj_w_key_null(gfj_writer *w, const char *key);
/* The finished document (malloc'd, NUL-terminated; release with free or the
 * descriptor's free), or NULL when the writer failed or a container is still
 * open. Either way the writer is reset. */
GFJ_DEF char *gfj_w_finish(gfj_writer *w);
/* Drops whatever was written. */
GFJ_DEF void gfj_w_discard(gfj_writer *w);

/* ------------------------------------------------------------------ */
/* Error JSON: {"code", "retryable", "message", "detail"}              */
/* ------------------------------------------------------------------ */

/* Each sets *error_json (when error_json is not NULL) and returns GFJ_ERROR.
 * If memory runs out, *error_json stays NULL: the host reports "no detail". */
GFJ_DEF int gfj_fail(char **error_json, const char *code, int retryable, const char *message);
GFJ_DEF int gfj_failf(char **error_json, const char *code, int retryable, const char *fmt, ...)
    GFJ_PRINTF(4, 5);
/* Starts an error whose detail object the caller fills with gfj_w_key_* calls
 * on w; gfj_error_end closes it and sets *error_json. */
GFJ_DEF void gfj_error_begin(gfj_writer *w, const char *code, int retryable, const char *message);
GFJ_DEF int gfj_error_end(gfj_writer *w, char **error_json);

/* A malloc'd printf, or NULL when out of memory. */
GFJ_DEF char *gfj_format(const char *fmt, ...) GFJ_PRINTF(1, 2);
GFJ_DEF char *gfj_vformat(const char *fmt, va_list ap);

/* ================================================================== */
/* Implementation                                                      */
/* ================================================================== */

#include <float.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reader -------------------------------------------------------- */

typedef struct gfj__parser {
  const char *start;
  const char *p;
  char *why;
  size_t why_len;
  int failed;
} gfj__parser;

GFJ_DEF int gfj__fail(gfj__parser *ps, const char *what) {
  if (!ps->failed && ps->why != NULL && ps->why_len > 0)
    snprintf(ps->why, ps->why_len, "at byte %lu: %s", (unsigned long)(ps->p - ps->start), what);
  ps->failed = 1;
  return 0;
}

GFJ_DEF int gfj__fail_at(gfj__parser *ps, const char *at, const char *what) {
  ps->p = at;
  return gfj__fail(ps, what);
}

GFJ_DEF void gfj__ws(gfj__parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. Refuses overlong forms,
 * surrogates and code points past U+10FFFF. Stops at a NUL: it is never a
 * continuation byte. */
GFJ_DEF size_t gfj__utf8_len(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if ((s[1] & 0xC0) != 0x80 || (c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
      return 0;
    return (s[2] & 0xC0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if ((s[1] & 0xC0) != 0x80 || (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
      return 0;
    if ((s[2] & 0xC0) != 0x80) return 0;
    return (s[3] & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

GFJ_DEF size_t gfj__put_utf8(char *out, unsigned long cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

GFJ_DEF int gfj__hex4(gfj__parser *ps, unsigned long *out) {
  int k;
  *out = 0;
  for (k = 0; k < 4; k++) {
    char c = *ps->p;
    unsigned long digit;
    if (c >= '0' && c <= '9') digit = (unsigned long)(c - '0');
    else if (c >= 'a' && c <= 'f') digit = (unsigned long)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = (unsigned long)(c - 'A' + 10);
    else return gfj__fail(ps, "a \\u escape needs four hex digits");
    *out = *out * 16 + digit;
    ps->p++;
  }
  return 1;
}

/* ps->p is at the opening quote. Decodes into a fresh buffer: the decoded
 * form is never longer than the escaped one, so one pass to find the end
 * bounds the allocation. */
GFJ_DEF int gfj__string(gfj__parser *ps, char **out, size_t *out_len) {
  const char *scan = ps->p + 1;
  char *buf, *w;
  *out = NULL;
  *out_len = 0;
  while (*scan != '"') {
    if (*scan == '\0') return gfj__fail_at(ps, scan, "unterminated string");
    if (*scan == '\\') {
      if (scan[1] == '\0') return gfj__fail_at(ps, scan + 1, "unterminated string");
      scan++;
    }
    scan++;
  }
  if ((buf = (char *)malloc((size_t)(scan - ps->p))) == NULL) return gfj__fail(ps, "out of memory");
  w = buf;
  ps->p++;
  while (*ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (c == '\\') {
      unsigned long cp, low;
      ps->p++;
      switch (*ps->p) {
      case '"': *w++ = '"'; break;
      case '\\': *w++ = '\\'; break;
      case '/': *w++ = '/'; break;
      case 'b': *w++ = '\b'; break;
      case 'f': *w++ = '\f'; break;
      case 'n': *w++ = '\n'; break;
      case 'r': *w++ = '\r'; break;
      case 't': *w++ = '\t'; break;
      case 'u':
        ps->p++;
        if (!gfj__hex4(ps, &cp)) return free(buf), 0;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          free(buf);
          return gfj__fail_at(ps, ps->p - 6, "a low surrogate \\u escape without a high one before it");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (ps->p[0] != '\\' || ps->p[1] != 'u')
            return free(buf), gfj__fail(ps, "a high surrogate \\u escape must be followed by a low one");
          ps->p += 2;
          if (!gfj__hex4(ps, &low)) return free(buf), 0;
          if (low < 0xDC00 || low > 0xDFFF) {
            free(buf);
            return gfj__fail_at(ps, ps->p - 6, "a high surrogate \\u escape must be followed by a low one");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        w += gfj__put_utf8(w, cp);
        continue; /* ps->p is already past the escape */
      default: return free(buf), gfj__fail(ps, "invalid escape in a string");
      }
      ps->p++;
    } else if (c < 0x20) {
      return free(buf), gfj__fail(ps, "a control character in a string must be escaped");
    } else {
      size_t n = gfj__utf8_len((const unsigned char *)ps->p);
      if (n == 0) return free(buf), gfj__fail(ps, "invalid UTF-8 in a string");
      memcpy(w, ps->p, n);
      w += n;
      ps->p += n;
    }
  }
  ps->p++;
  *w = '\0';
  *out = buf;
  *out_len = (size_t)(w - buf);
  return 1;
}

GFJ_DEF int gfj__number(gfj__parser *ps, gfj_value *v) {
  const char *begin = ps->p;
  int negative = 0, integral = 1;
  uint64_t magnitude = 0;
  int overflow = 0;
  if (*ps->p == '-') {
    negative = 1;
    ps->p++;
  }
  if (*ps->p == '0') {
    ps->p++;
    if (*ps->p >= '0' && *ps->p <= '9') return gfj__fail(ps, "a number cannot have a leading zero");
  } else if (*ps->p >= '1' && *ps->p <= '9') {
    while (*ps->p >= '0' && *ps->p <= '9') {
      unsigned digit = (unsigned)(*ps->p - '0');
      if (magnitude > (UINT64_MAX - digit) / 10) overflow = 1;
      else magnitude = magnitude * 10 + digit;
      ps->p++;
    }
  } else {
    return gfj__fail(ps, "expected a digit");
  }
  if (*ps->p == '.') {
    integral = 0;
    ps->p++;
    if (!(*ps->p >= '0' && *ps->p <= '9')) return gfj__fail(ps, "expected a digit after '.'");
    while (*ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  if (*ps->p == 'e' || *ps->p == 'E') {
    integral = 0;
    ps->p++;
    if (*ps->p == '+' || *ps->p == '-') ps->p++;
    if (!(*ps->p >= '0' && *ps->p <= '9')) return gfj__fail(ps, "expected a digit in the exponent");
    while (*ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  if (integral && !overflow &&
      (negative ? magnitude <= (uint64_t)INT64_MAX + 1u : magnitude <= (uint64_t)INT64_MAX)) {
    v->type = GFJ_INT;
    if (negative)
      v->as.integer = magnitude == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)magnitude;
    else
      v->as.integer = (int64_t)magnitude;
    return 1;
  }
  {
    /* strtod reads the locale's decimal point, so the copy uses it. */
    size_t n = (size_t)(ps->p - begin), k;
    char small[64], *copy = n < sizeof small ? small : (char *)malloc(n + 1), *end;
    const char *point = localeconv()->decimal_point;
    double d;
    if (copy == NULL) return gfj__fail(ps, "out of memory");
    memcpy(copy, begin, n);
    copy[n] = '\0';
    if (point != NULL && point[0] != '\0' && point[0] != '.' && point[1] == '\0')
      for (k = 0; k < n; k++)
        if (copy[k] == '.') copy[k] = point[0];
    d = strtod(copy, &end);
    if (copy != small) free(copy);
    if (d > DBL_MAX || d < -DBL_MAX) {
      ps->p = begin;
      return gfj__fail(ps, "a number beyond the range of a double");
    }
    v->type = GFJ_DOUBLE;
    v->as.number = d;
    return 1;
  }
}

GFJ_DEF int gfj__value(gfj__parser *ps, gfj_value *v, unsigned depth);

GFJ_DEF void gfj__release(gfj_value *v) {
  size_t k;
  free(v->key);
  if (v->type == GFJ_STRING) free(v->as.string.chars);
  if (v->type == GFJ_ARRAY || v->type == GFJ_OBJECT) {
    for (k = 0; k < v->as.children.count; k++) gfj__release(&v->as.children.items[k]);
    free(v->as.children.items);
  }
}

GFJ_DEF int gfj__container(gfj__parser *ps, gfj_value *v, unsigned depth) {
  int object = *ps->p == '{';
  char close = object ? '}' : ']';
  size_t cap = 0;
  v->type = object ? GFJ_OBJECT : GFJ_ARRAY;
  v->as.children.items = NULL;
  v->as.children.count = 0;
  if (depth >= GFJ_MAX_DEPTH) return gfj__fail(ps, "nested too deeply");
  ps->p++;
  gfj__ws(ps);
  if (*ps->p == close) {
    ps->p++;
    return 1;
  }
  for (;;) {
    gfj_value *item;
    if (v->as.children.count == cap) {
      size_t grown = cap ? cap * 2 : 4;
      gfj_value *items = (gfj_value *)realloc(v->as.children.items, grown * sizeof *items);
      if (items == NULL) return gfj__fail(ps, "out of memory");
      v->as.children.items = items;
      cap = grown;
    }
    item = &v->as.children.items[v->as.children.count];
    memset(item, 0, sizeof *item);
    item->type = GFJ_NULL;
    v->as.children.count++;
    gfj__ws(ps);
    if (object) {
      if (*ps->p != '"') return gfj__fail(ps, "expected a string key in an object");
      if (!gfj__string(ps, &item->key, &item->key_len)) return 0;
      gfj__ws(ps);
      if (*ps->p != ':') return gfj__fail(ps, "expected ':' after an object key");
      ps->p++;
      gfj__ws(ps);
    }
    if (!gfj__value(ps, item, depth + 1)) return 0;
    gfj__ws(ps);
    if (*ps->p == ',') {
      ps->p++;
      continue;
    }
    if (*ps->p == close) {
      ps->p++;
      return 1;
    }
    return gfj__fail(ps, object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
  }
}

GFJ_DEF int gfj__literal(gfj__parser *ps, const char *word) {
  size_t n = strlen(word);
  /* strncmp stops at the first difference, so it never passes a NUL. */
  if (strncmp(ps->p, word, n) != 0) return gfj__fail(ps, "invalid literal");
  ps->p += n;
  return 1;
}

GFJ_DEF int gfj__value(gfj__parser *ps, gfj_value *v, unsigned depth) {
  switch (*ps->p) {
  case '{':
  case '[': return gfj__container(ps, v, depth);
  case '"':
    v->type = GFJ_STRING;
    return gfj__string(ps, &v->as.string.chars, &v->as.string.len);
  case 't':
    v->type = GFJ_BOOL;
    v->as.boolean = 1;
    return gfj__literal(ps, "true");
  case 'f':
    v->type = GFJ_BOOL;
    v->as.boolean = 0;
    return gfj__literal(ps, "false");
  case 'n':
    v->type = GFJ_NULL;
    return gfj__literal(ps, "null");
  case '\0': return gfj__fail(ps, "unexpected end of input");
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return gfj__number(ps, v);
    return gfj__fail(ps, "expected a JSON value");
  }
}

GFJ_DEF gfj_value *gfj_parse(const char *text, char *why, size_t why_len) {
  gfj__parser ps;
  gfj_value *root;
  size_t n;
  if (why != NULL && why_len > 0) why[0] = '\0';
  if (text == NULL) {
    if (why != NULL && why_len > 0) snprintf(why, why_len, "no JSON text (NULL)");
    return NULL;
  }
  for (n = 0; n <= GFJ_MAX_INPUT && text[n] != '\0'; n++) {
  }
  if (n > GFJ_MAX_INPUT) {
    if (why != NULL && why_len > 0)
      snprintf(why, why_len, "longer than %lu bytes", (unsigned long)GFJ_MAX_INPUT);
    return NULL;
  }
  ps.start = ps.p = text;
  ps.why = why;
  ps.why_len = why_len;
  ps.failed = 0;
  if ((root = (gfj_value *)calloc(1, sizeof *root)) == NULL) {
    if (why != NULL && why_len > 0) snprintf(why, why_len, "out of memory");
    return NULL;
  }
  root->type = GFJ_NULL;
  gfj__ws(&ps);
  if (gfj__value(&ps, root, 0)) {
    gfj__ws(&ps);
    if (*ps.p == '\0') return root;
    gfj__fail(&ps, "unexpected text after the JSON value");
  }
  gfj_free(root);
  return NULL;
}

GFJ_DEF void gfj_free(gfj_value *value) {
  if (value == NULL) return;
  gfj__release(value);
  free(value);
}

GFJ_DEF gfj_value *gfj_parse_request(const char *request_json, char **error_json) {
  char why[160];
  gfj_value *req = gfj_parse(request_json, why, sizeof why);
  if (req == NULL) {
    gfj_failf(error_json, "invalid_argument", 0, "the request is not valid JSON: %s", why);
    return NULL;
  }
  if (req->type != GFJ_OBJECT) {
    gfj_free(req);
    gfj_fail(error_json, "invalid_argument", 0, "the request is not a JSON object");
    return NULL;
  }
  return req;
}

GFJ_DEF gfj_type gfj_type_of(const gfj_value *value) { return value ? value->type : GFJ_NULL; }

GFJ_DEF int gfj_is_null(const gfj_value *value) { return value == NULL || value->type == GFJ_NULL; }

GFJ_DEF const gfj_value *gfj_get(const gfj_value *object, const char *key) {
  size_t k, n;
  if (object == NULL || object->type != GFJ_OBJECT || key == NULL) return NULL;
  n = strlen(key);
  for (k = object->as.children.count; k-- > 0;) {
    const gfj_value *m = &object->as.children.items[k];
    if (m->key_len == n && memcmp(m->key, key, n) == 0) return m;
  }
  return NULL;
}

GFJ_DEF size_t gfj_count(const gfj_value *value) {
  if (value == NULL || (value->type != GFJ_ARRAY && value->type != GFJ_OBJECT)) return 0;
  return value->as.children.count;
}

GFJ_DEF const gfj_value *gfj_at(const gfj_value *value, size_t i) {
  return i < gfj_count(value) ? &value->as.children.items[i] : NULL;
}

GFJ_DEF const char *gfj_key(const gfj_value *member) { return member ? member->key : NULL; }

GFJ_DEF const char *gfj_string(const gfj_value *value) {
  if (value == NULL || value->type != GFJ_STRING) return NULL;
  if (strlen(value->as.string.chars) != value->as.string.len) return NULL;
  return value->as.string.chars;
}

GFJ_DEF size_t gfj_string_len(const gfj_value *value) {
  return value != NULL && value->type == GFJ_STRING ? value->as.string.len : 0;
}

/* 1 when value is an integer, or a double holding one in int64_t's range. */
GFJ_DEF int gfj__as_int(const gfj_value *value, int64_t *out) {
  if (value == NULL) return 0;
  if (value->type == GFJ_INT) {
    *out = value->as.integer;
    return 1;
  }
  /* An integral double in range: its truncation neither rounds nor overflows. */
  if (value->type == GFJ_DOUBLE && value->as.number >= -9223372036854775808.0 &&
      value->as.number < 9223372036854775808.0 &&
      !((double)(int64_t)value->as.number < value->as.number ||
        (double)(int64_t)value->as.number > value->as.number)) {
    *out = (int64_t)value->as.number;
    return 1;
  }
  return 0;
}

GFJ_DEF int64_t gfj_int(const gfj_value *value, int64_t fallback) {
  int64_t n;
  return gfj__as_int(value, &n) ? n : fallback;
}

GFJ_DEF double gfj_double(const gfj_value *value, double fallback) {
  if (value != NULL && value->type == GFJ_DOUBLE) return value->as.number;
  if (value != NULL && value->type == GFJ_INT) return (double)value->as.integer;
  return fallback;
}

GFJ_DEF int gfj_bool(const gfj_value *value, int fallback) {
  return value != NULL && value->type == GFJ_BOOL ? value->as.boolean : fallback;
}

GFJ_DEF int gfj_want_string(const gfj_value *object, const char *key, int required,
                            const char **out, char **error_json) {
  const gfj_value *v = gfj_get(object, key);
  *out = NULL;
  if (gfj_is_null(v)) {
    if (!required) return 1;
    gfj_failf(error_json, "invalid_argument", 0, "the request needs \"%s\", a string", key);
    return 0;
  }
  if (v->type != GFJ_STRING) {
    gfj_failf(error_json, "invalid_argument", 0, "\"%s\" must be a string", key);
    return 0;
  }
  if ((*out = gfj_string(v)) == NULL) {
    gfj_failf(error_json, "invalid_argument", 0, "\"%s\" must not contain a NUL character", key);
    return 0;
  }
  return 1;
}

GFJ_DEF int gfj_want_int(const gfj_value *object, const char *key, int64_t fallback,
                         int64_t *out, char **error_json) {
  const gfj_value *v = gfj_get(object, key);
  *out = fallback;
  if (gfj_is_null(v)) return 1;
  if (!gfj__as_int(v, out)) {
    *out = fallback;
    gfj_failf(error_json, "invalid_argument", 0, "\"%s\" must be an integer", key);
    return 0;
  }
  return 1;
}

GFJ_DEF int gfj_want_bool(const gfj_value *object, const char *key, int fallback, int *out,
                          char **error_json) {
  const gfj_value *v = gfj_get(object, key);
  *out = fallback;
  if (gfj_is_null(v)) return 1;
  if (v->type != GFJ_BOOL) {
    gfj_failf(error_json, "invalid_argument", 0, "\"%s\" must be true or false", key);
    return 0;
  }
  *out = v->as.boolean;
  return 1;
}

GFJ_DEF int gfj_want(const gfj_value *object, const char *key, gfj_type type, int required,
                     const gfj_value **out, char **error_json) {
  const gfj_value *v = gfj_get(object, key);
  const char *kind = type == GFJ_OBJECT ? "an object" : type == GFJ_ARRAY ? "an array" : "a value";
  *out = NULL;
  if (gfj_is_null(v)) {
    if (!required) return 1;
    gfj_failf(error_json, "invalid_argument", 0, "the request needs \"%s\", %s", key, kind);
    return 0;
  }
  if (v->type != type) {
    gfj_failf(error_json, "invalid_argument", 0, "\"%s\" must be %s", key, kind);
    return 0;
  }
  *out = v;
  return 1;
}

/* ---- writer -------------------------------------------------------- */

#define GFJ__OBJECT 1u
#define GFJ__HAS_ITEM 2u
#define GFJ__AFTER_KEY 4u

GFJ_DEF void gfj_w_init(gfj_writer *w) { memset(w, 0, sizeof *w); }

GFJ_DEF void gfj__put(gfj_writer *w, const char *s, size_t n) {
  if (w->failed) return;
  if (w->cap - w->len <= n) {
    size_t cap = w->cap ? w->cap : 256;
    char *grown;
    while (cap - w->len <= n) {
      if (cap > ((size_t)-1) / 2) {
        w->failed = 1;
        return;
      }
      cap *= 2;
    }
    if ((grown = (char *)realloc(w->buf, cap)) == NULL) {
      w->failed = 1;
      return;
    }
    w->buf = grown;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

/* Before any value: the comma, and the check that a value belongs here. */
GFJ_DEF void gfj__before_value(gfj_writer *w) {
  unsigned char *state;
  if (w->failed) return;
  if (w->depth == 0) {
    if (w->len > 0) w->failed = 1; /* a second top-level value */
    return;
  }
  state = &w->state[w->depth];
  if (*state & GFJ__OBJECT) {
    if (!(*state & GFJ__AFTER_KEY)) {
      w->failed = 1; /* a value where a key belongs */
      return;
    }
    *state = (unsigned char)(*state & ~GFJ__AFTER_KEY);
  } else if (*state & GFJ__HAS_ITEM) {
    gfj__put(w, ",", 1);
  }
  *state |= GFJ__HAS_ITEM;
}

GFJ_DEF void gfj__begin(gfj_writer *w, int object) {
  gfj__before_value(w);
  if (w->failed) return;
  if (w->depth >= GFJ_MAX_DEPTH) {
    w->failed = 1;
    return;
  }
  w->state[++w->depth] = object ? GFJ__OBJECT : 0;
  gfj__put(w, object ? "{" : "[", 1);
}

GFJ_DEF void gfj__end(gfj_writer *w, int object) {
  unsigned char state;
  if (w->failed) return;
  state = w->state[w->depth];
  if (w->depth == 0 || ((state & GFJ__OBJECT) != 0) != (object != 0) || (state & GFJ__AFTER_KEY)) {
    w->failed = 1;
    return;
  }
  w->depth--;
  gfj__put(w, object ? "}" : "]", 1);
}

GFJ_DEF void gfj_w_begin_object(gfj_writer *w) { gfj__begin(w, 1); }
GFJ_DEF void gfj_w_end_object(gfj_writer *w) { gfj__end(w, 1); }
GFJ_DEF void gfj_w_begin_array(gfj_writer *w) { gfj__begin(w, 0); }
GFJ_DEF void gfj_w_end_array(gfj_writer *w) { gfj__end(w, 0); }

/* A JSON string of s[0..len): escapes what must be, replaces every byte of
 * invalid UTF-8 with U+FFFD. */
GFJ_DEF void gfj__quoted(gfj_writer *w, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
  gfj__put(w, "\"", 1);
  while (p < end) {
    unsigned char c = *p;
    const char *escape = NULL;
    char hex[8];
    size_t n = 1;
    if (c == '"') escape = "\\\"";
    else if (c == '\\') escape = "\\\\";
    else if (c == '\n') escape = "\\n";
    else if (c == '\r') escape = "\\r";
    else if (c == '\t') escape = "\\t";
    else if (c == '\b') escape = "\\b";
    else if (c == '\f') escape = "\\f";
    else if (c < 0x20) {
      snprintf(hex, sizeof hex, "\\u%04x", (unsigned)c);
      escape = hex;
    }
    else if (c >= 0x80) {
      /* gfj__utf8_len may look up to 3 bytes ahead: only where they exist. */
      unsigned char tail[4] = {0, 0, 0, 0};
      size_t avail = (size_t)(end - p) < 4 ? (size_t)(end - p) : 4;
      memcpy(tail, p, avail);
      n = gfj__utf8_len(tail);
      if (n == 0 || n > avail) {
        escape = "\xEF\xBF\xBD";
        n = 1;
      }
    }
    if (escape != NULL) {
      gfj__put(w, (const char *)run, (size_t)(p - run));
      gfj__put(w, escape, strlen(escape));
      p += n;
      run = p;
    } else {
      p += n;
    }
  }
  gfj__put(w, (const char *)run, (size_t)(p - run));
  gfj__put(w, "\"", 1);
}

GFJ_DEF void gfj_w_key(gfj_writer *w, const char *key) {
  unsigned char *state;
  if (w->failed) return;
  state = &w->state[w->depth];
  if (w->depth == 0 || !(*state & GFJ__OBJECT) || (*state & GFJ__AFTER_KEY) || key == NULL) {
    w->failed = 1;
    return;
  }
  if (*state & GFJ__HAS_ITEM) gfj__put(w, ",", 1);
  gfj__quoted(w, key, strlen(key));
  gfj__put(w, ":", 1);
  *state |= GFJ__AFTER_KEY;
}

GFJ_DEF void gfj_w_string_n(gfj_writer *w, const char *s, size_t len) {
  gfj__before_value(w);
  gfj__quoted(w, s, len);
}

GFJ_DEF void gfj_w_string(gfj_writer *w, const char *s) {
  if (s == NULL) gfj_w_null(w);
  else gfj_w_string_n(w, s, strlen(s));
}

GFJ_DEF void gfj_w_stringf(gfj_writer *w, const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = gfj_vformat(fmt, ap);
  va_end(ap);
  if (s == NULL) w->failed = 1;
  else gfj_w_string(w, s);
  free(s);
}

GFJ_DEF void gfj_w_int(gfj_writer *w, int64_t n) {
  char text[32];
  gfj__before_value(w);
  snprintf(text, sizeof text, "%lld", (long long)n);
  gfj__put(w, text, strlen(text));
}

GFJ_DEF void gfj_w_double(gfj_writer *w, double d) {
  char text[40];
  size_t k;
  if (d != d || d > DBL_MAX || d < -DBL_MAX) {
    gfj_w_null(w); /* JSON has no NaN or infinity */
    return;
  }
  gfj__before_value(w);
  snprintf(text, sizeof text, "%.17g", d);
  /* %g writes the locale's decimal point; JSON wants '.'. */
  for (k = 0; text[k] != '\0'; k++)
    if (!(text[k] >= '0' && text[k] <= '9') && text[k] != '-' && text[k] != '+' && text[k] != 'e' &&
        text[k] != 'E')
      text[k] = '.';
  gfj__put(w, text, strlen(text));
}

GFJ_DEF void gfj_w_bool(gfj_writer *w, int b) {
  gfj__before_value(w);
  gfj__put(w, b ? "true" : "false", b ? 4 : 5);
}

GFJ_DEF void gfj_w_null(gfj_writer *w) {
  gfj__before_value(w);
  gfj__put(w, "null", 4);
}

GFJ_DEF void gfj_w_value(gfj_writer *w, const gfj_value *value) {
  size_t k;
  switch (gfj_type_of(value)) {
  case GFJ_NULL: gfj_w_null(w); break;
  case GFJ_BOOL: gfj_w_bool(w, value->as.boolean); break;
  case GFJ_INT: gfj_w_int(w, value->as.integer); break;
  case GFJ_DOUBLE: gfj_w_double(w, value->as.number); break;
  case GFJ_STRING: gfj_w_string_n(w, value->as.string.chars, value->as.string.len); break;
  case GFJ_ARRAY:
    gfj_w_begin_array(w);
    for (k = 0; k < value->as.children.count; k++) gfj_w_value(w, &value->as.children.items[k]);
    gfj_w_end_array(w);
    break;
  case GFJ_OBJECT:
    gfj_w_begin_object(w);
    for (k = 0; k < value->as.children.count && !w->failed; k++) {
      const gfj_value *m = &value->as.children.items[k];
      unsigned char *state = &w->state[w->depth];
      /* gfj_w_key takes a C string; a key may hold \u0000, so write it here. */
      if (*state & GFJ__HAS_ITEM) gfj__put(w, ",", 1);
      gfj__quoted(w, m->key, m->key_len);
      gfj__put(w, ":", 1);
      *state |= GFJ__AFTER_KEY;
      gfj_w_value(w, m);
    }
    gfj_w_end_object(w);
    break;
  }
}

GFJ_DEF void gfj_w_key_string(gfj_writer *w, const char *key, const char *s) {
  gfj_w_key(w, key);
  gfj_w_string(w, s);
}

GFJ_DEF void gfj_w_key_int(gfj_writer *w, const char *key, int64_t n) {
  gfj_w_key(w, key);
  gfj_w_int(w, n);
}

GFJ_DEF void gfj_w_key_double(gfj_writer *w, const char *key, double d) {
  gfj_w_key(w, key);
  gfj_w_double(w, d);
}

GFJ_DEF void gfj_w_key_bool(gfj_writer *w, const char *key, int b) {
  gfj_w_key(w, key);
  gfj_w_bool(w, b);
}

GFJ_DEF void gfj_w_key_null(gfj_writer *w, const char *key) {
  gfj_w_key(w, key);
  gfj_w_null(w);
}

GFJ_DEF void gfj_w_discard(gfj_writer *w) {
  free(w->buf);
  gfj_w_init(w);
}

GFJ_DEF char *gfj_w_finish(gfj_writer *w) {
  char *out = w->buf;
  if (w->failed || w->depth != 0 || w->len == 0) {
    gfj_w_discard(w);
    return NULL;
  }
  gfj_w_init(w);
  return out;
}

/* ---- errors -------------------------------------------------------- */

GFJ_DEF char *gfj_vformat(const char *fmt, va_list ap) {
  va_list again;
  int n;
  char *s;
  va_copy(again, ap);
  n = vsnprintf(NULL, 0, fmt, again);
  va_end(again);
  if (n < 0 || (s = (char *)malloc((size_t)n + 1)) == NULL) return NULL;
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

GFJ_DEF char *gfj_format(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = gfj_vformat(fmt, ap);
  va_end(ap);
  return s;
}

GFJ_DEF void gfj_error_begin(gfj_writer *w, const char *code, int retryable, const char *message) {
  gfj_w_init(w);
  gfj_w_begin_object(w);
  gfj_w_key_string(w, "code", code ? code : "internal");
  gfj_w_key_bool(w, "retryable", retryable);
  gfj_w_key_string(w, "message", message ? message : "");
  gfj_w_key(w, "detail");
  gfj_w_begin_object(w);
}

GFJ_DEF int gfj_error_end(gfj_writer *w, char **error_json) {
  char *text;
  gfj_w_end_object(w);
  gfj_w_end_object(w);
  text = gfj_w_finish(w);
  if (error_json != NULL) *error_json = text;
  else free(text);
  return GFJ_ERROR;
}

GFJ_DEF int gfj_fail(char **error_json, const char *code, int retryable, const char *message) {
  gfj_writer w;
  gfj_error_begin(&w, code, retryable, message);
  return gfj_error_end(&w, error_json);
}

GFJ_DEF int gfj_failf(char **error_json, const char *code, int retryable, const char *fmt, ...) {
  va_list ap;
  char *message;
  int rc;
  va_start(ap, fmt);
  message = gfj_vformat(fmt, ap);
  va_end(ap);
  rc = gfj_fail(error_json, code, retryable,
                message ? message : "(out of memory while describing the error)");
  free(message);
  return rc;
}

#ifdef __cplusplus
}
#endif

#endif /* GOLDFISH_JSON_H */
