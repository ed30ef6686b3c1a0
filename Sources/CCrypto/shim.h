/* OpenSSL's libcrypto, for its SHA-256 (SHA-NI / AVX2 code paths chosen at run time). */
#include <openssl/evp.h>
