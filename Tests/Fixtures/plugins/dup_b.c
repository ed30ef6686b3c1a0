/* Fixture: plugin "dup-b" registers object_storage "dupstore", like "dup-a"
 * (dup_a.c). */
#define CDIR_PLUGIN_NAME "dup-b"
#define CDIR_PLUGIN_DESCRIPTION "fixture: registers dupstore (B)"
#define CDIR_SERVICE_NAME "dupstore"
#define CDIR_SCHEME "dupstore"
#include "../../../Examples/CPlugin/cdir.c"
