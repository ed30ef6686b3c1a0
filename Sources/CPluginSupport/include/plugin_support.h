/* Small libc helpers that Swift's Glibc module does not expose (they need _GNU_SOURCE). */
#ifndef GOLDFISH_PLUGIN_SUPPORT_H
#define GOLDFISH_PLUGIN_SUPPORT_H

/* The path of the shared object that contains address, or NULL. The string is
 * owned by the dynamic loader; copy it. */
const char *gf_support_object_path(const void *address);

/* The path of the shared object this very function lives in: the plugin that
 * statically links this support code. */
const char *gf_support_own_path(void);

/* CRC-32C by the CPU's instruction. `crc` is the running register (start at 0xFFFFFFFF,
 * invert at the end); call only when gf_crc32c_hardware_available() returns non-zero. */
#include <stddef.h>
#include <stdint.h>
int gf_crc32c_hardware_available(void);
uint32_t gf_crc32c_hardware(uint32_t crc, const void *data, size_t length);

/* copy_file_range(2) (the kernel copies, or shares extents where the filesystem can): bytes
 * copied, 0 at the end, -1 with errno (ENOSYS, EXDEV, EINVAL… where it cannot: copy by hand). */
long gf_copy_file_range(int input, long long *input_offset, int output, long long *output_offset, size_t length);

/* sync_file_range(SYNC_FILE_RANGE_WRITE): starts writing a range back without waiting, so that the
 * fsync at the end finds most of a large file already on its way. */
int gf_start_writeback(int fd, long long offset, long long length);

#endif
