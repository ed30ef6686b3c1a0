/* CRC-32C with the CPU's own instruction (SSE 4.2 on x86-64, the CRC extension on ARMv8),
 * chosen at run time; callers fall back to their table code when neither exists. */
#include "plugin_support.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int gf_crc32c_hardware_available(void) { return __builtin_cpu_supports("sse4.2"); }

__attribute__((target("sse4.2"))) uint32_t gf_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
  const unsigned char *bytes = data;
  uint64_t state = crc;
  while (length > 0 && ((uintptr_t)bytes & 7) != 0) {
    state = _mm_crc32_u8((uint32_t)state, *bytes++);
    length--;
  }
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    state = _mm_crc32_u64(state, word);
    bytes += 8;
    length -= 8;
  }
  while (length > 0) {
    state = _mm_crc32_u8((uint32_t)state, *bytes++);
    length--;
  }
  return (uint32_t)state;
}

#elif defined(__aarch64__)
#include <arm_acle.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>

int gf_crc32c_hardware_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

__attribute__((target("crc"))) uint32_t gf_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
  const unsigned char *bytes = data;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    crc = __crc32cd(crc, word);
    bytes += 8;
    length -= 8;
  }
  while (length > 0) {
    crc = __crc32cb(crc, *bytes++);
    length--;
  }
  return crc;
}

#else
int gf_crc32c_hardware_available(void) { return 0; }
uint32_t gf_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
  (void)data;
  (void)length;
  return crc;
}
#endif
