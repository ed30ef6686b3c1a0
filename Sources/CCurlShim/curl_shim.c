#include "curl_shim.h"

CURLcode gf_curl_setopt_long(CURL *curl, CURLoption option, long value) {
  return curl_easy_setopt(curl, option, value);
}
CURLcode gf_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(curl, option, value);
}
CURLcode gf_curl_setopt_string(CURL *curl, CURLoption option, const char *value) {
  return curl_easy_setopt(curl, option, value);
}
CURLcode gf_curl_setopt_pointer(CURL *curl, CURLoption option, void *value) {
  return curl_easy_setopt(curl, option, value);
}
CURLcode gf_curl_setopt_slist(CURL *curl, CURLoption option, struct curl_slist *value) {
  return curl_easy_setopt(curl, option, value);
}
CURLcode gf_curl_setopt_data_fn(CURL *curl, CURLoption option, gf_curl_data_fn fn) {
  return curl_easy_setopt(curl, option, fn);
}
CURLcode gf_curl_getinfo_long(CURL *curl, CURLINFO info, long *value) {
  return curl_easy_getinfo(curl, info, value);
}
CURLcode gf_curl_getinfo_off(CURL *curl, CURLINFO info, curl_off_t *value) {
  return curl_easy_getinfo(curl, info, value);
}
