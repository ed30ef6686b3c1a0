/* Refusal fixture: a complete, working storage ("stdoutstore", the cdir
 * example under another name) whose entry writes to stdout, which is the MCP
 * wire. The host must refuse it for that alone. */
#define CDIR_PLUGIN_NAME "stdout-print"
#define CDIR_PLUGIN_DESCRIPTION "fixture: prints to stdout while loading"
#define CDIR_SERVICE_NAME "stdoutstore"
#define CDIR_SCHEME "stdoutstore"
#define CDIR_ENTRY_HOOK(host) \
  ((void)(host), (void)printf("hello from a plugin\n"), (void)fflush(stdout))
#include "../../../Examples/CPlugin/cdir.c"
