/* Non-variadic wrappers: Swift cannot call curl_easy_setopt/getinfo directly. */
#ifndef GOLDFISH_CURL_SHIM_H
#define GOLDFISH_CURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*gf_curl_data_fn)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode gf_curl_setopt_long(CURL *curl, CURLoption option, long value);
CURLcode gf_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value);
CURLcode gf_curl_setopt_string(CURL *curl, CURLoption option, const char *value);
CURLcode gf_curl_setopt_pointer(CURL *curl, CURLoption option, void *value);
CURLcode gf_curl_setopt_slist(CURL *curl, CURLoption option, struct curl_slist *value);
CURLcode gf_curl_setopt_data_fn(CURL *curl, CURLoption option, gf_curl_data_fn fn);
CURLcode gf_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);
CURLcode gf_curl_getinfo_off(CURL *curl, CURLINFO info, curl_off_t *value);
#endif
