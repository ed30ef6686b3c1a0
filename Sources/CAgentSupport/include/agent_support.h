/* libc calls goldfish-agent needs that Swift's Glibc module does not expose
 * (they need _GNU_SOURCE or are variadic). */
#ifndef GOLDFISH_AGENT_SUPPORT_H
#define GOLDFISH_AGENT_SUPPORT_H

#include <sys/types.h>

/* Starts PATH with ARGV and ENVP as the leader of a new process group, in CWD,
 * stdin from /dev/null, stdout and stderr to LOG_FD, every signal unblocked and
 * at its default action. Returns 0 and sets *PID, or an errno value. */
int gf_agent_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const char *cwd, int log_fd);

/* Orphaned descendants of a job are reparented to the agent (so it can reap them)
 * instead of init. Returns 0 or -1. */
int gf_agent_become_subreaper(void);

/* Ends every process below the agent (SIGTERM, SIGKILL after GRACE_MS): what a
 * job started with setsid or a double fork left its process group but not the
 * agent's tree, since the agent is a subreaper. Call it only between jobs. */
void gf_agent_end_descendants(int grace_ms);

/* SIGTERM, SIGINT and SIGHUP set a flag instead of ending the agent: it stops its
 * job, writes that run's exit record and its own status before it leaves. */
void gf_agent_install_stop_handler(void);
int gf_agent_stop_requested(void);

#endif
