#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include "plugin_support.h"

long gf_copy_file_range(int input, long long *input_offset, int output, long long *output_offset, size_t length) {
#if defined(__linux__)
  loff_t from = (loff_t)*input_offset;
  loff_t to = (loff_t)*output_offset;
  ssize_t copied = copy_file_range(input, &from, output, &to, length, 0);
  if (copied > 0) {
    *input_offset = (long long)from;
    *output_offset = (long long)to;
  }
  return (long)copied;
#else
  (void)input; (void)input_offset; (void)output; (void)output_offset; (void)length;
  errno = ENOSYS;
  return -1;
#endif
}

int gf_start_writeback(int fd, long long offset, long long length) {
#if defined(__linux__)
  return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
#else
  (void)fd; (void)offset; (void)length;
  return 0;
#endif
}
