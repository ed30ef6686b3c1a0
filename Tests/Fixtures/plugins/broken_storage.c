/* Fixture: "brokenstore" is the cdir example with one subtle bug, for the
 * storage conformance suite to catch. get_bytes and get_file drop the last
 * byte of every object longer than 1 byte; put, stat (size and hash),
 * exists, list, delete, local_path and uri_for stay correct, so the only
 * failing case should be the round trip. */
#define CDIR_PLUGIN_NAME "broken-storage"
#define CDIR_PLUGIN_DESCRIPTION "fixture: reads lose the last byte"
#define CDIR_SERVICE_NAME "brokenstore"
#define CDIR_SCHEME "brokenstore"
#define CDIR_READ_LIMIT(n) ((n) > 1 ? (n) - 1 : (n))
#include "../../../Examples/CPlugin/cdir.c"
