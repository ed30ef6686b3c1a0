// zlib's gzip file interface (gzopen/gzread/gzwrite/gzclose), for compressed database backups:
// Foundation on Linux has no compression, and libgit2 already brings zlib to every build.
#include <zlib.h>
