/*
 * cdir.c - an example Goldfish plugin in plain C99 (libc only).
 *
 * It registers one object_storage service, "cdir", that keeps every object as
 * a plain file under a root directory:
 *
 *     cdir:///runs/r1/model.pt   is the file   <root>/runs/r1/model.pt
 *
 * It is the template for third-party plugins: copy it, rename things, and
 * replace the storage code. It shows what every plugin needs: the descriptor
 * and the one exported symbol, reading request JSON, writing response and
 * error JSON, logging through the host, and staying thread-safe.
 *
 * Build by hand (see README.md):
 *   cc -std=c99 -shared -fPIC -fvisibility=hidden \
 *      -I Sources/PluginABI/include -o libcdir.so Examples/CPlugin/cdir.c
 *
 * Sections:
 *   1. Settings and reuse hooks       7. Request fields
 *   2. Host and logging               8. Keys and URIs
 *   3. SHA-256                        9. Files
 *   4. Output buffer and JSON writer 10. The service instance (open/close)
 *   5. JSON reader                   11. Operations
 *   6. Errors                        12. Descriptor and entry point
 */

/* mkstemp, fsync, realpath, O_NOFOLLOW, O_CLOEXEC, strerror_r are POSIX.1-2008
 * + XSI; strict -std=c99 hides them unless we ask. This must come before any
 * #include, and the libc headers must come before goldfish_plugin.h: SwiftPM
 * builds with clang modules, where that header is a prebuilt module whose
 * <stdint.h> would otherwise settle libc's feature macros without ours. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
/* macOS hides O_NOFOLLOW once _XOPEN_SOURCE is set, unless we also ask for
 * its own extensions. */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
/* 64-bit off_t on 32-bit systems, so objects over 2 GiB work there too. */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "goldfish_plugin.h"

/* ================================================================== */
/* 1. Settings and reuse hooks                                         */
/* ================================================================== */

/* Goldfish's own test fixtures compile this file again under other names (a
 * duplicate service, a deliberately broken one). A copy can delete these
 * #ifndef blocks and write the values in place. */
#ifndef CDIR_PLUGIN_NAME
#define CDIR_PLUGIN_NAME "example-cdir"
#endif
#ifndef CDIR_PLUGIN_DESCRIPTION
#define CDIR_PLUGIN_DESCRIPTION \
  "Example C plugin: object storage as plain files under a root directory"
#endif
#ifndef CDIR_SERVICE_NAME
#define CDIR_SERVICE_NAME "cdir"
#endif
#ifndef CDIR_SCHEME
#define CDIR_SCHEME "cdir"
#endif
/* How many bytes of an n-byte object get_bytes and get_file hand out. */
#ifndef CDIR_READ_LIMIT
#define CDIR_READ_LIMIT(n) (n)
#endif
/* Runs first thing in goldfish_plugin_entry. */
#ifndef CDIR_ENTRY_HOOK
#define CDIR_ENTRY_HOOK(host) ((void)(host))
#endif

#define CDIR_PLUGIN_VERSION "1.0.0"
#define CDIR_URI_PREFIX CDIR_SCHEME ":///"
#define CDIR_MAX_KEY 1024
#define CDIR_MAX_SEGMENT 255 /* NAME_MAX on common filesystems */
#define CDIR_IO_BUFFER (256 * 1024)
#define CDIR_DEFAULT_MAX_BYTES (1024 * 1024)
#define CDIR_DEFAULT_PAGE_SIZE 1000
#define CDIR_MAX_PAGE_SIZE 10000
#define CDIR_JSON_MAX_DEPTH 64
/* '#' cannot appear in a key, so a temp file can never be mistaken for (or
 * collide with) an object, and list skips it without a special case. */
#define CDIR_TEMP_TEMPLATE ".#cdir-XXXXXX"

#define CDIR_KEY_RULE                                                       \
  "a key is 1-1024 bytes of '/'-separated segments, each 1-255 characters " \
  "of [A-Za-z0-9._-] and not \".\" or \"..\", e.g. runs/stage-1/model.pt"

#if defined(__GNUC__) || defined(__clang__)
#define CDIR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CDIR_PRINTF(fmt, args)
#endif

/* ================================================================== */
/* 2. Host and logging                                                 */
/* ================================================================== */

/* The only global: written once by goldfish_plugin_entry on the host's main
 * thread before any service call, read-only afterwards. Everything else lives
 * in the instance or on the stack, which is what makes the service safe to
 * call from many threads at once ("concurrency": "parallel"). */
static const gf_host_api *g_host;

static void cdir_log(int32_t level, const char *fmt, ...) CDIR_PRINTF(2, 3);

static void cdir_log(int32_t level, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  if (g_host == NULL || g_host->log == NULL) return;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  /* Never printf: stdout is the MCP wire (rule 8). */
  g_host->log(CDIR_SERVICE_NAME, level, message);
}

/* ================================================================== */
/* 3. SHA-256 (FIPS 180-4)                                             */
/* ================================================================== */

typedef struct {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  unsigned char block[64];
  size_t fill;
} sha256_ctx;

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
    0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
    0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
    0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
    0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
    0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
    0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
    0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

#define ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_init(sha256_ctx *c) {
  /* First 32 bits of the fractional parts of the square roots of the first
   * 8 primes (FIPS 180-4, 5.3.3). */
  static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u,
                                 0xa54ff53au, 0x510e527fu, 0x9b05688cu,
                                 0x1f83d9abu, 0x5be0cd19u};
  memcpy(c->h, h0, sizeof h0);
  c->total = 0;
  c->fill = 0;
}

static void sha256_block(sha256_ctx *c, const unsigned char *p) {
  uint32_t w[64], a, b, cc, d, e, f, g, h;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ROTR32(w[i - 15], 7) ^ ROTR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROTR32(w[i - 2], 17) ^ ROTR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
  e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (i = 0; i < 64; i++) {
    uint32_t S1 = ROTR32(e, 6) ^ ROTR32(e, 11) ^ ROTR32(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + sha256_k[i] + w[i];
    uint32_t S0 = ROTR32(a, 2) ^ ROTR32(a, 13) ^ ROTR32(a, 22);
    uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
    uint32_t t2 = S0 + maj;
    h = g, g = f, f = e, e = d + t1;
    d = cc, cc = b, b = a, a = t1 + t2;
  }
  c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
  c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t len) {
  const unsigned char *p = data;
  c->total += len;
  while (len > 0) {
    size_t take = 64 - c->fill < len ? 64 - c->fill : len;
    memcpy(c->block + c->fill, p, take);
    c->fill += take, p += take, len -= take;
    if (c->fill == 64) {
      sha256_block(c, c->block);
      c->fill = 0;
    }
  }
}

/* Writes 64 lowercase hex digits and a NUL into hex. */
static void sha256_hex(sha256_ctx *c, char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  uint64_t bits = c->total * 8;
  int i;
  c->block[c->fill++] = 0x80;
  if (c->fill > 56) {
    memset(c->block + c->fill, 0, 64 - c->fill);
    sha256_block(c, c->block);
    c->fill = 0;
  }
  memset(c->block + c->fill, 0, 56 - c->fill);
  for (i = 0; i < 8; i++) c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_block(c, c->block);
  for (i = 0; i < 32; i++) {
    unsigned char byte = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
    hex[2 * i] = digits[byte >> 4];
    hex[2 * i + 1] = digits[byte & 15];
  }
  hex[64] = '\0';
}

/* ================================================================== */
/* 4. Output buffer and JSON writer                                    */
/* ================================================================== */

/* A growing string. An allocation failure is remembered and reported once,
 * by sb_finish, so builders need not check every append. */
typedef struct {
  char *p;
  size_t len, cap;
  int failed;
} strbuf;

static int sb_reserve(strbuf *b, size_t extra) {
  size_t need, cap;
  char *grown;
  if (b->failed) return 0;
  if (extra > SIZE_MAX / 2 - b->len) return b->failed = 1, 0;
  need = b->len + extra + 1;
  if (need <= b->cap) return 1;
  for (cap = b->cap ? b->cap : 256; cap < need;) cap *= 2;
  grown = realloc(b->p, cap);
  if (grown == NULL) return b->failed = 1, 0;
  b->p = grown, b->cap = cap;
  return 1;
}

static void sb_putn(strbuf *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_vprintf(strbuf *b, const char *fmt, va_list ap) {
  va_list again;
  int n;
  va_copy(again, ap);
  n = vsnprintf(NULL, 0, fmt, again);
  va_end(again);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (!sb_reserve(b, (size_t)n)) return;
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

static void sb_printf(strbuf *b, const char *fmt, ...) CDIR_PRINTF(2, 3);

static void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(b, fmt, ap);
  va_end(ap);
}

/* Hands the string over (malloc'd, for the host to free) or NULL when an
 * allocation failed on the way. */
static char *sb_finish(strbuf *b) {
  char *s = b->p;
  if (b->failed) {
    free(s);
    s = NULL;
  } else if (s == NULL) {
    s = calloc(1, 1);
  }
  b->p = NULL, b->len = b->cap = 0, b->failed = 0;
  return s;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 when it is malformed
 * (overlong, surrogate, above U+10FFFF, truncated). The NUL terminator fails
 * every continuation test, so this never reads past the end of a C string. */
static int utf8_len(const unsigned char *s) {
#define CONT(c) ((c) >= 0x80 && (c) <= 0xBF)
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return CONT(s[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    return s[1] >= lo && s[1] <= hi && CONT(s[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    return s[1] >= lo && s[1] <= hi && CONT(s[2]) && CONT(s[3]) ? 4 : 0;
  }
  return 0;
#undef CONT
}

/* Appends s as a JSON string. Bytes that are not UTF-8 (a file name from
 * disk, say) become U+FFFD, so the output is always valid JSON. */
static void sb_json_string(strbuf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  sb_putn(b, "\"", 1);
  while (*p) {
    int n;
    switch (*p) {
    case '"': sb_puts(b, "\\\""); p++; continue;
    case '\\': sb_puts(b, "\\\\"); p++; continue;
    case '\b': sb_puts(b, "\\b"); p++; continue;
    case '\f': sb_puts(b, "\\f"); p++; continue;
    case '\n': sb_puts(b, "\\n"); p++; continue;
    case '\r': sb_puts(b, "\\r"); p++; continue;
    case '\t': sb_puts(b, "\\t"); p++; continue;
    default: break;
    }
    if (*p < 0x20) {
      sb_printf(b, "\\u%04x", *p);
      p++;
    } else if ((n = utf8_len(p)) == 0) {
      sb_puts(b, "\xEF\xBF\xBD");
      p++;
    } else {
      sb_putn(b, (const char *)p, (size_t)n);
      p += n;
    }
  }
  sb_putn(b, "\"", 1);
}

/* ================================================================== */
/* 5. JSON reader                                                      */
/* ================================================================== */

/* Requests are flat objects: we keep their string, integer, boolean and null
 * members, and validate but skip nested objects and arrays. That is all an
 * object storage needs; a run backend would want a real tree. */

enum { JV_NULL, JV_BOOL, JV_INT, JV_NUMBER, JV_STRING, JV_NESTED };

typedef struct {
  char *key;
  int type;
  char *str;     /* JV_STRING: decoded, NUL-terminated UTF-8 */
  long long num; /* JV_INT: the value; JV_BOOL: 0 or 1 */
} jfield;

typedef struct {
  jfield *v;
  size_t n, cap;
} jobject;

typedef struct {
  const unsigned char *s;
  size_t i;
  const char *err; /* the first problem found */
} jparser;

static int jp_fail(jparser *p, const char *why) {
  if (p->err == NULL) p->err = why;
  return 0;
}

static void jp_ws(jparser *p) {
  while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')
    p->i++;
}

static int jp_hex4(jparser *p, unsigned long *out) {
  int k;
  for (*out = 0, k = 0; k < 4; k++, p->i++) {
    unsigned char c = p->s[p->i];
    if (c >= '0' && c <= '9') *out = *out << 4 | (unsigned long)(c - '0');
    else if (c >= 'a' && c <= 'f') *out = *out << 4 | (unsigned long)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *out = *out << 4 | (unsigned long)(c - 'A' + 10);
    else return jp_fail(p, "a \\u escape needs four hex digits");
  }
  return 1;
}

static void put_utf8(strbuf *b, unsigned long cp) {
  char u[4];
  size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, k;
  static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  for (k = n - 1; k > 0; k--, cp >>= 6) u[k] = (char)(0x80 | (cp & 0x3F));
  u[0] = (char)(lead[n] | cp);
  sb_putn(b, u, n);
}

/* The string at p->i (a '"'). With out, decodes into it; without, only
 * validates (a skipped value). */
static int jp_string(jparser *p, strbuf *out) {
  static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
  for (p->i++;;) {
    unsigned char c = p->s[p->i];
    unsigned long cp, low;
    const char *e;
    int n;
    if (c == '"') return p->i++, 1;
    if (c == '\0') return jp_fail(p, "unterminated string");
    if (c < 0x20) return jp_fail(p, "control character inside a string");
    if (c != '\\') {
      if ((n = utf8_len(p->s + p->i)) == 0) return jp_fail(p, "string is not valid UTF-8");
      if (out) sb_putn(out, (const char *)p->s + p->i, (size_t)n);
      p->i += (size_t)n;
      continue;
    }
    c = p->s[++p->i];
    p->i++;
    if (c != 'u') {
      for (e = escapes; *e && *e != (char)c; e += 2) continue;
      if (*e == '\0') return jp_fail(p, "unknown escape in a string");
      if (out) sb_putn(out, e + 1, 1);
      continue;
    }
    if (!jp_hex4(p, &cp)) return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return jp_fail(p, "\\u escape is a lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
        return jp_fail(p, "\\u escape is a high surrogate without its pair");
      p->i += 2;
      if (!jp_hex4(p, &low)) return 0;
      if (low < 0xDC00 || low > 0xDFFF)
        return jp_fail(p, "\\u escape is a high surrogate without its pair");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    /* Our strings become C strings (paths, keys): a NUL would silently cut
     * them short, so refuse it rather than act on half a path. */
    if (cp == 0 && out) return jp_fail(p, "strings must not contain \\u0000");
    if (out) put_utf8(out, cp);
  }
}

/* JSON number grammar. *is_int: an integer that fits a long long. */
static int jp_number(jparser *p, int *is_int, long long *value) {
  const unsigned char *s = p->s;
  int negative = s[p->i] == '-', fits = 1;
  unsigned long long mag = 0;
  p->i += (size_t)negative;
  *is_int = 1;
  if (!(s[p->i] >= '0' && s[p->i] <= '9')) return jp_fail(p, "malformed number");
  if (s[p->i] == '0') p->i++;
  else
    for (; s[p->i] >= '0' && s[p->i] <= '9'; p->i++) {
      unsigned d = s[p->i] - '0';
      if (mag > ((unsigned long long)LLONG_MAX - d) / 10) fits = 0;
      else mag = mag * 10 + d;
    }
  if (s[p->i] == '.') {
    p->i++, *is_int = 0;
    if (!(s[p->i] >= '0' && s[p->i] <= '9')) return jp_fail(p, "malformed number");
    while (s[p->i] >= '0' && s[p->i] <= '9') p->i++;
  }
  if (s[p->i] == 'e' || s[p->i] == 'E') {
    p->i++, *is_int = 0;
    if (s[p->i] == '+' || s[p->i] == '-') p->i++;
    if (!(s[p->i] >= '0' && s[p->i] <= '9')) return jp_fail(p, "malformed number");
    while (s[p->i] >= '0' && s[p->i] <= '9') p->i++;
  }
  *is_int = *is_int && fits;
  *value = negative ? -(long long)mag : (long long)mag;
  return 1;
}

static int jp_literal(jparser *p, const char *word) {
  size_t n = strlen(word);
  if (strncmp((const char *)p->s + p->i, word, n) != 0) return jp_fail(p, "unexpected character");
  p->i += n;
  return 1;
}

static void jobject_free(jobject *o) {
  size_t k;
  for (k = 0; k < o->n; k++) free(o->v[k].key), free(o->v[k].str);
  free(o->v);
  memset(o, 0, sizeof *o);
}

static const jfield *jobject_get(const jobject *o, const char *key) {
  size_t k;
  for (k = 0; k < o->n; k++)
    if (strcmp(o->v[k].key, key) == 0) return &o->v[k];
  return NULL;
}

/* Moves key and *f into o; on failure frees them. */
static int jobject_add(jparser *p, jobject *o, strbuf *key, jfield *f) {
  const char *why = NULL;
  if ((f->key = sb_finish(key)) == NULL) why = "out of memory";
  else if (jobject_get(o, f->key) != NULL) why = "duplicate key";
  else if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 8;
    jfield *grown = realloc(o->v, cap * sizeof *grown);
    if (grown == NULL) why = "out of memory";
    else o->v = grown, o->cap = cap;
  }
  if (why != NULL) {
    free(f->key), free(f->str);
    f->str = NULL;
    return jp_fail(p, why);
  }
  o->v[o->n++] = *f;
  f->str = NULL;
  return 1;
}

static int jp_container(jparser *p, int depth, jobject *members);

/* Any value. into (top-level members only) receives it; deeper values are
 * validated and dropped. */
static int jp_value(jparser *p, int depth, jfield *into) {
  unsigned char c = p->s[p->i];
  int is_int;
  long long num;
  if (c == '"') {
    strbuf s = {0};
    if (!jp_string(p, into ? &s : NULL)) return free(s.p), 0;
    if (into == NULL) return 1;
    into->type = JV_STRING;
    return (into->str = sb_finish(&s)) != NULL || jp_fail(p, "out of memory");
  }
  if (c == '{' || c == '[') {
    if (into) into->type = JV_NESTED;
    return jp_container(p, depth, NULL);
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    if (!jp_number(p, &is_int, &num)) return 0;
    if (into) into->type = is_int ? JV_INT : JV_NUMBER, into->num = num;
    return 1;
  }
  if (into) into->type = c == 'n' ? JV_NULL : JV_BOOL, into->num = c == 't';
  if (c == 't') return jp_literal(p, "true");
  if (c == 'f') return jp_literal(p, "false");
  if (c == 'n') return jp_literal(p, "null");
  return jp_fail(p, c == '\0' ? "unexpected end of input" : "unexpected character");
}

/* An object or array at p->i. members (the top-level object only) collects
 * the members. depth bounds recursion so "[[[[..." cannot blow the stack. */
static int jp_container(jparser *p, int depth, jobject *members) {
  unsigned char close = p->s[p->i] == '{' ? '}' : ']';
  strbuf key = {0};
  jfield f;
  if (depth > CDIR_JSON_MAX_DEPTH) return jp_fail(p, "nested too deeply");
  p->i++;
  jp_ws(p);
  if (p->s[p->i] == close) return p->i++, 1;
  for (;;) {
    memset(&f, 0, sizeof f);
    if (close == '}') {
      if (p->s[p->i] != '"') return jp_fail(p, "expected a string key");
      if (!jp_string(p, members ? &key : NULL)) break;
      jp_ws(p);
      if (p->s[p->i] != ':') {
        jp_fail(p, "expected ':' after a key");
        break;
      }
      p->i++;
      jp_ws(p);
    }
    if (!jp_value(p, depth + 1, members ? &f : NULL)) break;
    if (members && !jobject_add(p, members, &key, &f)) break;
    jp_ws(p);
    if (p->s[p->i] == close) return p->i++, 1;
    if (p->s[p->i] != ',') return jp_fail(p, "expected ',' or the end of an object or array");
    p->i++;
    jp_ws(p);
  }
  free(key.p);
  free(f.str);
  return 0;
}

/* Parses text, which must be one JSON object, into out. On failure returns 0
 * with a reason in why ("expected ':' after a key at byte 12"). */
static int json_parse_object(const char *text, jobject *out, char *why, size_t whylen) {
  jparser p;
  memset(out, 0, sizeof *out);
  p.s = (const unsigned char *)text, p.i = 0, p.err = NULL;
  jp_ws(&p);
  if (p.s[p.i] != '{') {
    jp_fail(&p, "expected a JSON object");
  } else if (jp_container(&p, 1, out)) {
    jp_ws(&p);
    if (p.s[p.i] == '\0') return 1;
    jp_fail(&p, "unexpected text after the object");
  }
  snprintf(why, whylen, "%s at byte %lu", p.err, (unsigned long)p.i);
  jobject_free(out);
  return 0;
}

/* ================================================================== */
/* 6. Errors                                                           */
/* ================================================================== */

/* Not an errno: pump and read_exact hit end of file before the size fstat
 * gave, i.e. someone truncated the file in place behind cdir's back. */
#define CDIR_CHANGED (-1)

/* errno text without strerror's shared buffer. glibc with _GNU_SOURCE swaps
 * in a strerror_r that returns char *, hence the two branches. */
static void errno_text(int err, char *buf, size_t len) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char *s = strerror_r(err, buf, len);
  if (s != buf) snprintf(buf, len, "%s", s);
#else
  if (strerror_r(err, buf, len) != 0) snprintf(buf, len, "errno %d", err);
#endif
}

/* Sets *error_json to {"code", "retryable", "message", "detail"} (rule 5) and
 * returns GF_ERROR, so callers can `return fail(...)`. detail carries
 * whichever of uri, path and errno are known. If even this allocation fails,
 * *error_json stays NULL and the host reports "no detail". */
static int32_t fail(char **error_json, const char *code, int retryable, const char *uri,
                    const char *path, int err, const char *fmt, ...) CDIR_PRINTF(7, 8);

static int32_t fail(char **error_json, const char *code, int retryable, const char *uri,
                    const char *path, int err, const char *fmt, ...) {
  strbuf msg = {0}, out = {0};
  va_list ap;
  if (error_json == NULL) return GF_ERROR;
  va_start(ap, fmt);
  sb_vprintf(&msg, fmt, ap);
  va_end(ap);
  sb_printf(&out, "{\"code\":\"%s\",\"retryable\":%s,\"message\":", code,
            retryable ? "true" : "false");
  sb_json_string(&out, msg.failed ? "(out of memory while describing the error)" : msg.p);
  sb_puts(&out, ",\"detail\":{");
  if (uri != NULL) sb_puts(&out, "\"uri\":"), sb_json_string(&out, uri);
  if (path != NULL) sb_puts(&out, uri ? ",\"path\":" : "\"path\":"), sb_json_string(&out, path);
  if (err > 0) sb_printf(&out, "%s\"errno\":%d", uri || path ? "," : "", err);
  sb_puts(&out, "}}");
  free(msg.p);
  *error_json = sb_finish(&out);
  return GF_ERROR;
}

static int32_t fail_oom(char **error_json) {
  return fail(error_json, "internal", 1, NULL, NULL, ENOMEM, "out of memory");
}

/* A failed system call, mapped to the closest stable code. The message is
 * "<what we were doing>: <strerror>", e.g. "disk full: writing cdir:///a:
 * No space left on device". */
static int32_t fail_errno(char **error_json, int err, const char *uri, const char *path,
                          const char *doing) {
  char text[256];
  const char *code = "io", *lead = "";
  int retryable = 0;
  switch (err) {
  case CDIR_CHANGED:
    return fail(error_json, "io", 1, uri, path, 0, "%s: the file changed while it was read",
                doing);
  case ENOENT: code = "not_found"; break;
  case EACCES:
  case EPERM: code = "permission_denied"; break;
  case ENOSPC: lead = "disk full: "; break;
#ifdef EDQUOT
  case EDQUOT: lead = "disk quota exceeded: "; break;
#endif
  /* Transient: the same call may well succeed in a moment. */
  case EINTR:
  case EAGAIN:
  case EBUSY:
  case EMFILE:
  case ENFILE:
  case ENOMEM: retryable = 1; break;
  default: break;
  }
  errno_text(err, text, sizeof text);
  return fail(error_json, code, retryable, uri, path, err, "%s%s: %s", lead, doing, text);
}

/* ================================================================== */
/* 7. Request fields                                                   */
/* ================================================================== */

/* Each returns 1, or 0 after setting *error_json. A JSON null counts as
 * absent, so a host may send "page_token": null. */

static int parse_request(const char *json, jobject *req, char **error_json) {
  char why[160];
  memset(req, 0, sizeof *req);
  if (json == NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "request JSON is NULL"), 0;
  if (!json_parse_object(json, req, why, sizeof why))
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                "request is not a valid JSON object: %s", why),
           0;
  return 1;
}

static int want_string(const jobject *req, const char *name, int required, const char **out,
                       char **error_json) {
  const jfield *f = jobject_get(req, name);
  *out = NULL;
  if ((f == NULL || f->type == JV_NULL) && !required) return 1;
  if (f == NULL || f->type == JV_NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                "request needs \"%s\", a string", name), 0;
  if (f->type != JV_STRING)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "\"%s\" must be a string",
                name), 0;
  *out = f->str;
  return 1;
}

static int want_int(const jobject *req, const char *name, long long fallback, long long *out,
                    char **error_json) {
  const jfield *f = jobject_get(req, name);
  *out = fallback;
  if (f == NULL || f->type == JV_NULL) return 1;
  if (f->type != JV_INT)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                "\"%s\" must be an integer", name), 0;
  *out = f->num;
  return 1;
}

/* Local paths come from the host, whose working directory is not ours to
 * rely on, so they must be absolute. */
static int want_abs_path(const jobject *req, const char *name, const char **out,
                         char **error_json) {
  if (!want_string(req, name, 1, out, error_json)) return 0;
  if ((*out)[0] == '/') return 1;
  return fail(error_json, "invalid_argument", 0, NULL, *out, 0,
              "\"%s\" must be an absolute path, got \"%s\"", name, *out), 0;
}

/* ================================================================== */
/* 8. Keys and URIs                                                    */
/* ================================================================== */

/* NULL when s[0..n) is a valid segment, else why not. Not isalnum: that
 * depends on the locale. */
static const char *segment_problem(const char *s, size_t n) {
  size_t k;
  if (n == 0) return "it has an empty segment";
  if (n > CDIR_MAX_SEGMENT) return "it has a segment longer than 255 bytes";
  if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
    return "it has a \".\" or \"..\" segment";
  for (k = 0; k < n; k++) {
    char c = s[k];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return "it has a character outside [A-Za-z0-9._-] in a segment";
  }
  return NULL;
}

/* NULL when key is valid, else why not. The rule keeps every key a plain
 * relative path below the root: no "..", no absolute path, nothing that a
 * shell or a URI would need to escape. */
static const char *key_problem(const char *key) {
  size_t len = strlen(key), start = 0, k;
  const char *why;
  if (len == 0) return "it is empty";
  if (len > CDIR_MAX_KEY) return "it is longer than 1024 bytes";
  if (key[0] == '/') return "it starts with '/'";
  for (k = 0; k <= len; k++)
    if (key[k] == '/' || key[k] == '\0') {
      if ((why = segment_problem(key + start, k - start)) != NULL) return why;
      start = k + 1;
    }
  return NULL;
}

/* Finds the key inside a URI of this storage (*key points into uri). */
static int parse_uri(const char *uri, const char **key, char **error_json) {
  const char *why;
  size_t plen = strlen(CDIR_URI_PREFIX);
  if (strncmp(uri, CDIR_URI_PREFIX, plen) != 0)
    return fail(error_json, "invalid_argument", 0, uri, NULL, 0,
                "\"%s\" is not a URI of this storage: it serves " CDIR_URI_PREFIX
                "<key> URIs, where " CDIR_KEY_RULE, uri), 0;
  *key = uri + plen;
  if ((why = key_problem(*key)) != NULL)
    return fail(error_json, "invalid_argument", 0, uri, NULL, 0,
                "invalid URI \"%s\": %s; URIs are " CDIR_URI_PREFIX "<key> and " CDIR_KEY_RULE,
                uri, why), 0;
  return 1;
}

/* ================================================================== */
/* 9. Files                                                            */
/* ================================================================== */

static char *path_join(const char *dir, const char *rel) {
  size_t a = strlen(dir), b = strlen(rel);
  char *p = malloc(a + b + 2);
  if (p == NULL) return NULL;
  memcpy(p, dir, a);
  p[a] = '/';
  memcpy(p + a + 1, rel, b + 1);
  return p;
}

/* The directory part of an absolute path: "/a/b/c" -> "/a/b", "/c" -> "/". */
static char *dir_of(const char *path) {
  size_t n = (size_t)(strrchr(path, '/') - path);
  char *d = malloc(n + 2);
  if (d == NULL) return NULL;
  memcpy(d, path, n ? n : 1);
  d[n ? n : 1] = '\0';
  return d;
}

/* mkdir -p for every component of path after its first `keep` bytes (known
 * to exist). Returns 0 or an errno; ENOTDIR when a component is a file. */
static int make_dirs(char *path, size_t keep) {
  size_t k, len = strlen(path);
  struct stat st;
  int err = 0;
  for (k = keep; k <= len && err == 0; k++) {
    char saved = path[k];
    if ((saved != '/' && saved != '\0') || k == 0 || path[k - 1] == '/') continue;
    path[k] = '\0';
    /* EEXIST is the common case, and fine if it is a directory (another
     * thread may have just made it). */
    if (mkdir(path, 0777) != 0 && (err = errno) == EEXIST)
      err = stat(path, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    path[k] = saved;
  }
  return err;
}

/* A temp file in dir: returns the fd and sets *tmp_path, or -1 and errno. */
static int open_temp(const char *dir, char **tmp_path) {
  int fd, err, flags;
  if ((*tmp_path = path_join(dir, CDIR_TEMP_TEMPLATE)) == NULL) return errno = ENOMEM, -1;
  if ((fd = mkstemp(*tmp_path)) < 0) {
    err = errno;
    free(*tmp_path);
    *tmp_path = NULL;
    return errno = err, -1;
  }
  /* The host forks jobs; our descriptors must not leak into them. POSIX has
   * no mkstemp with O_CLOEXEC, hence this (tiny) window. */
  if ((flags = fcntl(fd, F_GETFD)) >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return fd;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno != EINTR) return errno;
    if (n > 0) p += n, len -= (size_t)n;
  }
  return 0;
}

/* Reads exactly len bytes. Returns 0, an errno or CDIR_CHANGED. */
static int read_exact(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno != EINTR) return errno;
    if (n == 0) return CDIR_CHANGED;
    if (n > 0) p += n, len -= (size_t)n;
  }
  return 0;
}

/* Copies from in to out (out < 0: only hash) until EOF, or exactly `limit`
 * bytes when limit >= 0, hashing on the way. One fixed buffer, so a 100 GiB
 * object costs 256 KiB of memory. Returns 0, an errno or CDIR_CHANGED. */
static int pump(int in, int out, long long limit, sha256_ctx *hash, long long *copied) {
  char *buf = malloc(CDIR_IO_BUFFER);
  int err = 0;
  *copied = 0;
  if (buf == NULL) return ENOMEM;
  while (err == 0 && (limit < 0 || *copied < limit)) {
    size_t want = CDIR_IO_BUFFER;
    ssize_t n;
    if (limit >= 0 && limit - *copied < (long long)want) want = (size_t)(limit - *copied);
    if ((n = read(in, buf, want)) < 0) {
      if (errno != EINTR) err = errno;
      continue;
    }
    if (n == 0) {
      if (limit >= 0) err = CDIR_CHANGED;
      break;
    }
    sha256_update(hash, buf, (size_t)n);
    if (out >= 0) err = write_all(out, buf, (size_t)n);
    *copied += n;
  }
  free(buf);
  return err;
}

/* Ends a temp file. If err is 0, publishes it as final_path: permissions,
 * data on disk, then the atomic rename, so readers see the old file or the
 * whole new one, never a part. Otherwise, or if that fails, removes it.
 * Always closes fd. Returns the first errno. */
static int finish_temp(int fd, const char *tmp, const char *final_path, const char *dir,
                       int err) {
  int dfd;
  /* mkstemp makes 0600; objects are meant to be shared like normal files. */
  if (err == 0 && fchmod(fd, 0644) != 0) err = errno;
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp, final_path) != 0) err = errno;
  if (err != 0) return unlink(tmp), err;
  /* Make the rename itself durable. Best effort: some filesystems refuse
   * fsync on a directory, and the data is already safe. */
  if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) fsync(dfd), close(dfd);
  return 0;
}

/* Opens an object for reading. Returns 0 or an errno. Anything that is not a
 * regular file (a directory holding longer keys, a symlink, a FIFO) is
 * ENOENT: not an object. O_NONBLOCK keeps a FIFO from hanging us and does
 * nothing to regular files. */
static int open_object(const char *path, int *fd, struct stat *st) {
  int err;
  if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
    return errno == ELOOP || errno == ENOTDIR ? ENOENT : errno;
  if (fstat(*fd, st) == 0 && S_ISREG(st->st_mode)) return 0;
  err = S_ISREG(st->st_mode) ? errno : ENOENT;
  close(*fd);
  *fd = -1;
  return err;
}

/* Removes dir and then its parents while they are empty, stopping at the
 * root, so deletes and failed puts leave no husks behind. rmdir only ever
 * removes an empty directory, so this cannot take another thread's new object
 * with it; a racing put just makes the directory again (see store_object). */
static void remove_empty_dirs(const char *root, char *dir) {
  size_t root_len = strlen(root);
  char *slash;
  while (strlen(dir) > root_len && rmdir(dir) == 0 && (slash = strrchr(dir, '/')) != NULL)
    *slash = '\0';
}

/* 1 when path is an object, 0 when not, -1 (errno set) when we cannot tell. */
static int object_exists(const char *path) {
  struct stat st;
  if (lstat(path, &st) == 0) return S_ISREG(st.st_mode);
  return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* ================================================================== */
/* 10. The service instance                                            */
/* ================================================================== */

/* Immutable after open, so concurrent calls need no lock. */
typedef struct {
  char *root; /* absolute, canonical, no trailing '/' */
} cdir_store;

static char *current_dir(void) {
  size_t cap;
  for (cap = 256;; cap *= 2) {
    char *buf = malloc(cap);
    if (buf == NULL || getcwd(buf, cap) != NULL) return buf;
    free(buf);
    if (errno != ERANGE) return NULL;
  }
}

static int32_t cdir_open(const gf_service *service, const char *config_json,
                         const char *context_json, void **instance, char **error_json) {
  jobject config, context;
  const jfield *root, *project;
  char why[160], *base = NULL, *joined = NULL, *canonical = NULL;
  cdir_store *store;
  int32_t rc = GF_ERROR;
  int err;
  size_t k;
  (void)service; /* one service per open function here; see user_data */
  if (error_json != NULL) *error_json = NULL;
  if (instance == NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "instance is NULL");
  *instance = NULL;
  memset(&context, 0, sizeof context);
  if (!json_parse_object(config_json ? config_json : "{}", &config, why, sizeof why))
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                "the " CDIR_SERVICE_NAME " config is not a JSON object: %s", why);
  if (!json_parse_object(context_json ? context_json : "{}", &context, why, sizeof why)) {
    rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
              "context_json is not a JSON object: %s", why);
    goto done;
  }
  /* Unknown keys are usually typos ("rot:"); say so rather than ignore. */
  for (k = 0; k < config.n; k++)
    if (strcmp(config.v[k].key, "root") != 0)
      cdir_log(GF_LOG_WARNING, "ignoring unknown config key \"%s\"; cdir only reads \"root\"",
               config.v[k].key);
  root = jobject_get(&config, "root");
  if (root == NULL || root->type != JV_STRING || root->str[0] == '\0') {
    rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
              "cdir needs \"root\": the directory that holds the objects, "
              "e.g. {\"root\": \"/var/lib/goldfish/objects\"}");
    goto done;
  }
  if (root->str[0] == '/') {
    joined = strdup(root->str);
  } else {
    /* Relative to the project, not to wherever the host happens to run. */
    project = jobject_get(&context, "project_root");
    base = project && project->type == JV_STRING && project->str[0] ? strdup(project->str)
                                                                     : current_dir();
    joined = base ? path_join(base, root->str) : NULL;
  }
  if (joined == NULL) {
    rc = fail_oom(error_json);
  } else if ((err = make_dirs(joined, 0)) != 0) {
    rc = fail_errno(error_json, err, NULL, joined, "creating the cdir root");
  } else if ((canonical = realpath(joined, NULL)) == NULL) {
    /* Canonical, so messages and local_path show the real location. */
    rc = fail_errno(error_json, errno, NULL, joined, "resolving the cdir root");
  } else if ((store = malloc(sizeof *store)) == NULL) {
    rc = fail_oom(error_json);
  } else {
    if (access(canonical, W_OK | X_OK) != 0)
      cdir_log(GF_LOG_WARNING, "root %s is not writable: only reads will work", canonical);
    store->root = canonical;
    canonical = NULL;
    *instance = store;
    cdir_log(GF_LOG_DEBUG, "opened with root %s", store->root);
    rc = GF_OK;
  }
done:
  jobject_free(&config);
  jobject_free(&context);
  free(base);
  free(joined);
  free(canonical);
  return rc;
}

static void cdir_close(void *instance) {
  cdir_store *store = instance;
  if (store != NULL) free(store->root), free(store);
}

/* ================================================================== */
/* 11. Operations                                                      */
/* ================================================================== */

/* What every operation starts with. */
typedef struct {
  cdir_store *store;
  jobject req;
  const char *uri, *key; /* the request's "uri" and the key inside it */
  char *path;            /* the object's file: <root>/<key> */
} call;

/* Clears the out-pointers so the host never frees garbage, then parses the
 * request and, when the operation names an object, its "uri". Returns 1, or
 * 0 with *error_json set. Always pair with call_end. */
static int call_begin(call *c, void *instance, const char *request_json, int names_object,
                      char **response_json, char **error_json) {
  memset(c, 0, sizeof *c);
  if (response_json != NULL) *response_json = NULL;
  if (error_json != NULL) *error_json = NULL;
  if ((c->store = instance) == NULL)
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "called without an instance"), 0;
  if (!parse_request(request_json, &c->req, error_json)) return 0;
  if (!names_object) return 1;
  if (!want_string(&c->req, "uri", 1, &c->uri, error_json) ||
      !parse_uri(c->uri, &c->key, error_json))
    return 0;
  if ((c->path = path_join(c->store->root, c->key)) == NULL) return fail_oom(error_json), 0;
  return 1;
}

static int32_t call_end(call *c, int32_t rc) {
  jobject_free(&c->req);
  free(c->path);
  return rc;
}

static int32_t respondf(char **response_json, char **error_json, const char *fmt, ...)
    CDIR_PRINTF(3, 4);

static int32_t respondf(char **response_json, char **error_json, const char *fmt, ...) {
  strbuf b = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&b, fmt, ap);
  va_end(ap);
  if ((*response_json = sb_finish(&b)) == NULL) return fail_oom(error_json);
  return GF_OK;
}

static int32_t respond_hash(char **response_json, char **error_json, long long size,
                            sha256_ctx *hash) {
  char hex[65];
  sha256_hex(hash, hex);
  return respondf(response_json, error_json, "{\"size\":%lld,\"hash\":{\"sha256\":\"%s\"}}",
                  size, hex);
}

static int32_t fail_missing(char **error_json, int err, const call *c) {
  if (err == ENOENT)
    return fail(error_json, "not_found", 0, c->uri, NULL, 0, "object %s does not exist", c->uri);
  return fail_errno(error_json, err, c->uri, c->path, "opening the object");
}

static int32_t fail_conflict(char **error_json, const call *c) {
  return fail(error_json, "conflict", 0, c->uri, c->path, 0,
              "cannot store %s: a key cannot be both an object and a prefix of other keys "
              "(\"a\" and \"a/b\"), and this one would be", c->uri);
}

/* put_file (src_fd >= 0) and put_bytes (data, len): write a temp file next
 * to the object, then rename it into place. */
static int32_t store_object(const call *c, int src_fd, const uint8_t *data, size_t len,
                            char **response_json, char **error_json) {
  char *dir = dir_of(c->path), *tmp = NULL;
  sha256_ctx hash;
  long long size = (long long)len;
  int fd = -1, err = ENOMEM, attempt;
  int32_t rc;
  /* A concurrent delete may remove the (then empty) parent directory between
   * our mkdir and mkstemp; making it again is all that is needed. */
  for (attempt = 0; dir != NULL && attempt < 100; attempt++) {
    if ((err = make_dirs(dir, strlen(c->store->root))) == 0) {
      if ((fd = open_temp(dir, &tmp)) >= 0) break;
      err = errno;
    }
    if (err != ENOENT) break;
  }
  if (fd < 0) {
    rc = err == ENOTDIR ? fail_conflict(error_json, c)
                        : fail_errno(error_json, err, c->uri, dir, "creating a temp file");
  } else {
    sha256_init(&hash);
    if (src_fd >= 0) {
      err = pump(src_fd, fd, -1, &hash, &size);
    } else {
      sha256_update(&hash, data, len);
      err = len > 0 ? write_all(fd, data, len) : 0;
    }
    err = finish_temp(fd, tmp, c->path, dir, err);
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) rc = fail_conflict(error_json, c);
    else if (err != 0) rc = fail_errno(error_json, err, c->uri, c->path, "storing the object");
    else rc = respond_hash(response_json, error_json, size, &hash);
  }
  if (rc != GF_OK && dir != NULL) remove_empty_dirs(c->store->root, dir);
  free(dir);
  free(tmp);
  return rc;
}

static int32_t cdir_put_file(void *instance, const char *request_json, char **response_json,
                             char **error_json) {
  call c;
  const char *src;
  struct stat st;
  int fd;
  int32_t rc;
  /* "content_type" is accepted and ignored: a plain file has nowhere to keep
   * it. */
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json) ||
      !want_abs_path(&c.req, "path", &src, error_json))
    return call_end(&c, GF_ERROR);
  if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
    return call_end(&c, errno == ENOENT ? fail(error_json, "not_found", 0, c.uri, src, 0,
                                               "local file %s does not exist", src)
                                        : fail_errno(error_json, errno, c.uri, src,
                                                     "opening the local file"));
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    rc = fail(error_json, "invalid_argument", 0, c.uri, src, 0,
              "\"path\" %s is a directory, not a file", src);
  else
    rc = store_object(&c, fd, NULL, 0, response_json, error_json);
  close(fd);
  return call_end(&c, rc);
}

static int32_t cdir_put_bytes(void *instance, const char *request_json, const uint8_t *data,
                              size_t len, char **response_json, char **error_json) {
  call c;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if (data == NULL && len > 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
                             "data is NULL but len is %lu", (unsigned long)len));
  return call_end(&c, store_object(&c, -1, data, len, response_json, error_json));
}

static int32_t cdir_get_file(void *instance, const char *request_json, char **response_json,
                             char **error_json) {
  call c;
  const char *dest;
  char *dir = NULL, *tmp = NULL;
  struct stat st;
  sha256_ctx hash;
  long long copied = 0;
  int src, fd, err;
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json) ||
      !want_abs_path(&c.req, "path", &dest, error_json))
    return call_end(&c, GF_ERROR);
  if (dest[strlen(dest) - 1] == '/')
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, dest, 0,
                             "\"path\" %s names a directory; give the file to create", dest));
  /* Look for the object before touching the destination at all. */
  if ((err = open_object(c.path, &src, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  if ((dir = dir_of(dest)) == NULL) {
    rc = fail_oom(error_json);
  } else if ((err = make_dirs(dir, 1)) != 0) {
    rc = fail_errno(error_json, err, c.uri, dir, "creating the destination directory");
  } else if ((fd = open_temp(dir, &tmp)) < 0) {
    rc = fail_errno(error_json, errno, c.uri, dir, "creating a temp file for the copy");
  } else {
    sha256_init(&hash);
    err = pump(src, fd, CDIR_READ_LIMIT((long long)st.st_size), &hash, &copied);
    if ((err = finish_temp(fd, tmp, dest, dir, err)) != 0)
      rc = fail_errno(error_json, err, c.uri, dest, "copying the object to \"path\"");
    else
      rc = respond_hash(response_json, error_json, copied, &hash);
  }
  close(src);
  free(dir);
  free(tmp);
  return call_end(&c, rc);
}

static int32_t cdir_get_bytes(void *instance, const char *request_json, uint8_t **data,
                              size_t *len, char **error_json) {
  call c;
  struct stat st;
  long long max_bytes, want;
  uint8_t *buf = NULL;
  int fd, err;
  int32_t rc = GF_ERROR;
  if (data == NULL || len == NULL) {
    if (error_json != NULL) *error_json = NULL;
    return fail(error_json, "invalid_argument", 0, NULL, NULL, 0, "data or len is NULL");
  }
  *data = NULL, *len = 0;
  if (!call_begin(&c, instance, request_json, 1, NULL, error_json) ||
      !want_int(&c.req, "max_bytes", CDIR_DEFAULT_MAX_BYTES, &max_bytes, error_json))
    return call_end(&c, GF_ERROR);
  if (max_bytes < 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
                             "\"max_bytes\" must not be negative, got %lld", max_bytes));
  if ((err = open_object(c.path, &fd, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  want = CDIR_READ_LIMIT((long long)st.st_size);
  if ((long long)st.st_size > max_bytes)
    rc = fail(error_json, "invalid_argument", 0, c.uri, NULL, 0,
              "object %s is %lld bytes, more than max_bytes %lld; use get_file for large "
              "objects", c.uri, (long long)st.st_size, max_bytes);
  else if (want > 0 && ((unsigned long long)want > SIZE_MAX || !(buf = malloc((size_t)want))))
    rc = fail_oom(error_json);
  else if (want > 0 && (err = read_exact(fd, buf, (size_t)want)) != 0)
    rc = fail_errno(error_json, err, c.uri, c.path, "reading the object");
  else
    *data = buf, *len = (size_t)want, buf = NULL, rc = GF_OK;
  close(fd);
  free(buf);
  return call_end(&c, rc);
}

static int32_t cdir_stat(void *instance, const char *request_json, char **response_json,
                         char **error_json) {
  call c;
  struct stat st;
  struct tm tm;
  sha256_ctx hash;
  char hex[65], when[32] = "1970-01-01T00:00:00Z";
  long long copied;
  int fd, err;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((err = open_object(c.path, &fd, &st)) != 0)
    return call_end(&c, fail_missing(error_json, err, &c));
  /* Size and hash come through one descriptor, so they always describe the
   * same version of the object. A plain file keeps no hash, so stat reads
   * it all; a real backend would store the hash at put time. */
  sha256_init(&hash);
  err = pump(fd, -1, (long long)st.st_size, &hash, &copied);
  close(fd);
  if (err != 0)
    return call_end(&c, fail_errno(error_json, err, c.uri, c.path, "reading the object"));
  sha256_hex(&hash, hex);
  if (gmtime_r(&st.st_mtime, &tm) != NULL)
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  /* The content hash doubles as a strong etag. */
  return call_end(&c, respondf(response_json, error_json,
                               "{\"size\":%lld,\"hash\":{\"sha256\":\"%s\"},\"etag\":\"%s\","
                               "\"updated_at\":\"%s\"}",
                               copied, hex, hex, when));
}

static int32_t cdir_exists(void *instance, const char *request_json, char **response_json,
                           char **error_json) {
  call c;
  int found;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) < 0)
    return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "looking for the object"));
  return call_end(&c, respondf(response_json, error_json, "{\"exists\":%s}",
                               found ? "true" : "false"));
}

/* ---- list --------------------------------------------------------- */

typedef struct {
  char *key;
  long long size;
} listed;

typedef struct {
  const char *root;
  const char *prefix; /* key prefix: "runs/r" for "cdir:///runs/r" */
  size_t prefix_len;
  const char *after; /* only keys after this one (the page token's) */
  size_t keep;       /* page_size + 1: the extra one says "there is more" */
  listed *v;
  size_t n, cap;
  int err;
  char *err_path;
  char key[CDIR_MAX_KEY + 2]; /* the key being built during the walk */
} walker;

static int listed_cmp(const void *a, const void *b) {
  return strcmp(((const listed *)a)->key, ((const listed *)b)->key);
}

/* Keeps the `keep` smallest keys, so memory stays O(page_size) however many
 * objects match. strcmp order is the byte order the ABI asks for. */
static void walker_trim(walker *w) {
  size_t k;
  if (w->n > 1) qsort(w->v, w->n, sizeof *w->v, listed_cmp);
  for (k = w->keep; k < w->n; k++) free(w->v[k].key);
  if (w->n > w->keep) w->n = w->keep;
}

static int walker_add(walker *w, long long size) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    listed *grown = realloc(w->v, cap * sizeof *grown);
    if (grown == NULL) return w->err = ENOMEM, -1;
    w->v = grown, w->cap = cap;
  }
  if ((w->v[w->n].key = strdup(w->key)) == NULL) return w->err = ENOMEM, -1;
  w->v[w->n++].size = size;
  if (w->n >= 2 * w->keep) walker_trim(w);
  return 0;
}

/* Walks the directory of keys starting "<w->key>/" (key_len bytes; 0 for
 * the root). Names are read and the directory closed before recursing, so
 * the walk holds one descriptor whatever the depth. */
static int walk(walker *w, size_t key_len) {
  char *dir_path = key_len ? path_join(w->root, w->key) : strdup(w->root), **names = NULL;
  size_t count = 0, cap = 0, k;
  struct dirent *e;
  DIR *d;
  int rc = 0;
  if (dir_path == NULL) return w->err = ENOMEM, -1;
  if ((d = opendir(dir_path)) == NULL) {
    /* Gone or replaced since we saw it: nothing to list there. */
    if (errno == ENOENT || errno == ENOTDIR) return free(dir_path), 0;
    return w->err = errno, w->err_path = dir_path, -1;
  }
  while (rc == 0 && (e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    /* Skips ".", "..", temp files and any name that could not be a key. */
    if (segment_problem(e->d_name, n) != NULL || key_len + 1 + n > CDIR_MAX_KEY) continue;
    if (count == cap) {
      char **grown = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *grown);
      if (grown == NULL) rc = -1;
      else names = grown;
    }
    if (rc == 0 && (names[count] = strdup(e->d_name)) == NULL) rc = -1;
    if (rc == 0) count++;
  }
  closedir(d);
  free(dir_path);
  if (rc != 0) w->err = ENOMEM;
  for (k = 0; k < count && rc == 0; k++) {
    size_t n = strlen(names[k]), child_len = key_len + (key_len ? 1 : 0) + n;
    size_t common = child_len < w->prefix_len ? child_len : w->prefix_len;
    struct stat st;
    char *child;
    if (key_len) w->key[key_len] = '/';
    memcpy(w->key + child_len - n, names[k], n + 1);
    /* Skip subtrees that cannot hold a match before touching the disk. */
    if (memcmp(w->key, w->prefix, common) != 0) continue;
    if ((child = path_join(w->root, w->key)) == NULL) {
      w->err = ENOMEM, rc = -1;
      break;
    }
    if (lstat(child, &st) != 0) st.st_mode = 0; /* deleted meanwhile */
    free(child);
    if (S_ISDIR(st.st_mode))
      rc = walk(w, child_len);
    else if (S_ISREG(st.st_mode) && child_len >= w->prefix_len &&
             (w->after == NULL || strcmp(w->key, w->after) > 0))
      rc = walker_add(w, (long long)st.st_size);
  }
  w->key[key_len] = '\0';
  for (k = 0; k < count; k++) free(names[k]);
  free(names);
  return rc;
}

static int32_t cdir_list(void *instance, const char *request_json, char **response_json,
                         char **error_json) {
  call c;
  const char *prefix, *token;
  size_t plen = strlen(CDIR_URI_PREFIX), k, shown;
  long long page_size;
  walker *w;
  strbuf b = {0};
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 0, response_json, error_json) ||
      !want_string(&c.req, "prefix", 0, &prefix, error_json) ||
      !want_string(&c.req, "page_token", 0, &token, error_json) ||
      !want_int(&c.req, "page_size", CDIR_DEFAULT_PAGE_SIZE, &page_size, error_json))
    return call_end(&c, GF_ERROR);
  if (page_size < 1)
    return call_end(&c, fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
                             "\"page_size\" must be at least 1, got %lld", page_size));
  /* Like cloud stores, a too-large page is quietly made smaller. */
  if (page_size > CDIR_MAX_PAGE_SIZE) page_size = CDIR_MAX_PAGE_SIZE;
  /* A prefix is a string prefix of URIs: "", "cdir:" and "cdir:///" match
   * everything, "cdir:///runs/r" the keys that start "runs/r". */
  if (prefix == NULL) prefix = "";
  if (strlen(prefix) <= plen ? strncmp(CDIR_URI_PREFIX, prefix, strlen(prefix)) != 0
                             : strncmp(prefix, CDIR_URI_PREFIX, plen) != 0)
    return call_end(&c, fail(error_json, "invalid_argument", 0, prefix, NULL, 0,
                             "prefix \"%s\" is outside this storage: its URIs start with "
                             CDIR_URI_PREFIX, prefix));
  if ((w = calloc(1, sizeof *w)) == NULL) return call_end(&c, fail_oom(error_json));
  w->root = c.store->root;
  w->prefix = strlen(prefix) <= plen ? "" : prefix + plen;
  w->prefix_len = strlen(w->prefix);
  w->keep = (size_t)page_size + 1;
  /* The token is the last URI of the previous page; resume after it. An
   * empty string is taken as "no token", like null. */
  if (token != NULL && token[0] != '\0' && !parse_uri(token, &w->after, error_json))
    rc = GF_ERROR;
  else if (w->prefix_len <= CDIR_MAX_KEY && walk(w, 0) != 0)
    rc = w->err == ENOMEM ? fail_oom(error_json)
                          : fail_errno(error_json, w->err, prefix, w->err_path, "listing");
  else
    rc = GF_OK;
  if (rc == GF_OK) {
    walker_trim(w);
    shown = w->n < (size_t)page_size ? w->n : (size_t)page_size;
    sb_puts(&b, "{\"objects\":[");
    /* Keys never need JSON escaping: the key rule sees to that. */
    for (k = 0; k < shown; k++)
      sb_printf(&b, "%s{\"uri\":\"" CDIR_URI_PREFIX "%s\",\"size\":%lld}", k ? "," : "",
                w->v[k].key, w->v[k].size);
    if (w->n > shown)
      sb_printf(&b, "],\"next_page_token\":\"" CDIR_URI_PREFIX "%s\"}", w->v[shown - 1].key);
    else
      sb_puts(&b, "],\"next_page_token\":null}");
    if ((*response_json = sb_finish(&b)) == NULL) rc = fail_oom(error_json);
  }
  for (k = 0; k < w->n; k++) free(w->v[k].key);
  free(w->v);
  free(w->err_path);
  free(w);
  return call_end(&c, rc);
}

/* ---- delete, local_path, uri_for ----------------------------------- */

static int32_t cdir_delete_object(void *instance, const char *request_json,
                                  char **response_json, char **error_json) {
  call c;
  int found, deleted = 0;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) < 0)
    return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "looking for the object"));
  if (found && unlink(c.path) != 0) {
    if (errno != ENOENT)
      return call_end(&c, fail_errno(error_json, errno, c.uri, c.path, "deleting the object"));
    found = 0; /* a racing delete won */
  }
  if (found) {
    deleted = 1;
    *strrchr(c.path, '/') = '\0';
    remove_empty_dirs(c.store->root, c.path);
  }
  return call_end(&c, respondf(response_json, error_json, "{\"deleted\":%s}",
                               deleted ? "true" : "false"));
}

/* The object's own file, for the host to read in place (capabilities
 * "local"). Writing to it would break put's atomicity: use put_file. */
static int32_t cdir_local_path(void *instance, const char *request_json, char **response_json,
                               char **error_json) {
  call c;
  strbuf b = {0};
  int found;
  if (!call_begin(&c, instance, request_json, 1, response_json, error_json))
    return call_end(&c, GF_ERROR);
  if ((found = object_exists(c.path)) <= 0)
    return call_end(&c, found == 0 ? fail_missing(error_json, ENOENT, &c)
                                   : fail_errno(error_json, errno, c.uri, c.path,
                                                "looking for the object"));
  sb_puts(&b, "{\"path\":");
  sb_json_string(&b, c.path);
  sb_puts(&b, "}");
  if ((*response_json = sb_finish(&b)) == NULL) return call_end(&c, fail_oom(error_json));
  return call_end(&c, GF_OK);
}

static int32_t cdir_uri_for(void *instance, const char *request_json, char **response_json,
                            char **error_json) {
  call c;
  const char *key, *why;
  strbuf shown = {0};
  int32_t rc;
  if (!call_begin(&c, instance, request_json, 0, response_json, error_json) ||
      !want_string(&c.req, "key", 1, &key, error_json))
    return call_end(&c, GF_ERROR);
  if ((why = key_problem(key)) == NULL) /* then it needs no JSON escaping */
    return call_end(&c, respondf(response_json, error_json,
                                 "{\"uri\":\"" CDIR_URI_PREFIX "%s\"}", key));
  sb_json_string(&shown, key);
  rc = fail(error_json, "invalid_argument", 0, NULL, NULL, 0,
            "invalid key %s: %s; " CDIR_KEY_RULE, shown.failed ? "?" : shown.p, why);
  free(shown.p);
  return call_end(&c, rc);
}

/* ================================================================== */
/* 12. Descriptor and entry point                                      */
/* ================================================================== */

static const char cdir_capabilities[] =
    "{\"concurrency\":\"parallel\",\"implemented\":true,"
    "\"schemes\":[\"" CDIR_SCHEME "\"],\"local\":true,\"hash\":\"sha256\","
    "\"resumable\":false,\"max_object_bytes\":null}";

static const gf_object_storage_v1 cdir_table = {
    .struct_size = sizeof(gf_object_storage_v1),
    .put_file = cdir_put_file,
    .get_file = cdir_get_file,
    .put_bytes = cdir_put_bytes,
    .get_bytes = cdir_get_bytes,
    .stat = cdir_stat,
    .exists = cdir_exists,
    .list = cdir_list,
    .delete_object = cdir_delete_object,
    .local_path = cdir_local_path,
    .uri_for = cdir_uri_for,
};

static const gf_service cdir_services[] = {{
    .struct_size = sizeof(gf_service),
    .kind = GF_KIND_OBJECT_STORAGE,
    .name = CDIR_SERVICE_NAME,
    .capabilities_json = cdir_capabilities,
    .open = cdir_open,
    .close = cdir_close,
    .table = &cdir_table,
    .user_data = NULL,
}};

/* Every buffer we return came from this library's malloc, so the host must
 * release it with this library's free (rule 4). */
static void cdir_free(void *ptr) { free(ptr); }

static const gf_plugin_descriptor cdir_descriptor = {
    .magic = GF_PLUGIN_MAGIC,
    .struct_size = sizeof(gf_plugin_descriptor),
    .abi_major = GF_ABI_MAJOR,
    .abi_minor = GF_ABI_MINOR,
    .name = CDIR_PLUGIN_NAME,
    .version = CDIR_PLUGIN_VERSION,
    .description = CDIR_PLUGIN_DESCRIPTION,
    .free = cdir_free,
    .service_count = sizeof cdir_services / sizeof cdir_services[0],
    .services = cdir_services,
};

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host);

GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
  CDIR_ENTRY_HOOK(host);
  /* Touch host->log only if this host's struct is new enough to have it. */
  if (host == NULL || host->struct_size < offsetof(gf_host_api, log) + sizeof host->log)
    return NULL;
  if (host->abi_major != GF_ABI_MAJOR) {
    if (host->log != NULL)
      host->log(CDIR_PLUGIN_NAME, GF_LOG_ERROR,
                "built for Goldfish plugin ABI 1; this host speaks another major version");
    return NULL;
  }
  g_host = host;
  cdir_log(GF_LOG_DEBUG, "%s %s loaded: %s serves " CDIR_URI_PREFIX "<key> (host %s)",
           CDIR_PLUGIN_NAME, CDIR_PLUGIN_VERSION, CDIR_SERVICE_NAME,
           host->host_version ? host->host_version : "unknown");
  return &cdir_descriptor;
}
