/* Fixture: plugin "dup-a" registers object_storage "dupstore"; so does
 * "dup-b" (dup_b.c). Loading both must fail with a message naming both
 * plugins. Each is the working cdir example under another name. */
#define CDIR_PLUGIN_NAME "dup-a"
#define CDIR_PLUGIN_DESCRIPTION "fixture: registers dupstore (A)"
#define CDIR_SERVICE_NAME "dupstore"
#define CDIR_SCHEME "dupstore"
#include "../../../Examples/CPlugin/cdir.c"
