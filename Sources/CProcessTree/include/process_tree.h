#ifndef GOLDFISH_PROCESS_TREE_H
#define GOLDFISH_PROCESS_TREE_H

/* Ends every process below the calling supervisor (a subreaper): SIGTERM, then SIGKILL
 * after `grace_ms`, until none is left. `reap` collects exited children between rounds, as
 * the caller does it (the run supervisor must notice its own stage's exit while it reaps).
 * Shared by goldfish-runner and goldfish-agent so both end a job's process tree one way. */
void gf_end_descendants(int grace_ms, void (*reap)(void));

#endif
