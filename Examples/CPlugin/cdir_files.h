/*
 * cdir_files.h - the file-system helpers of the cdir example plugin: SHA-256,
 * paths, temp files published by rename, and reading and writing whole
 * files. Nothing here knows about Goldfish or JSON; cdir.c includes it, so
 * the plugin still builds from one `cc -shared -fPIC cdir.c`.
 *
 * Every function is static and returns 0 or an errno (or CDIR_CHANGED), so
 * the caller decides which Goldfish error code that becomes.
 */
#ifndef CDIR_FILES_H
#define CDIR_FILES_H

/* cdir.c has already included the libc headers these need. */

#define CDIR_IO_BUFFER (256 * 1024)
/* '#' cannot appear in a key, so a temp file can never be mistaken for (or
 * collide with) an object, and list skips it without a special case. */
#define CDIR_TEMP_TEMPLATE ".#cdir-XXXXXX"
/* Not an errno: pump and read_exact hit end of file before the size fstat
 * gave, i.e. someone truncated the file in place behind cdir's back. */
#define CDIR_CHANGED (-1)

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------ */

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

/* ---- errno text ---------------------------------------------------- */

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

/* ---- paths and files ------------------------------------------------ */

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

#endif /* CDIR_FILES_H */
