#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "process_tree.h"

/* Every process whose parent chain leads to this supervisor. A stage that starts
 * something with setsid or a double fork leaves the run's process group, but not
 * this tree: a subreaper inherits every orphan below it. Returns how many it found
 * (at most `capacity` are stored). */
static int find_descendants(pid_t root, pid_t *found, int capacity) {
  enum { MAX_PROCESSES = 65536 };
  static pid_t pids[MAX_PROCESSES], parents[MAX_PROCESSES];
  static char zombie[MAX_PROCESSES];
  int count = 0;
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  struct dirent *entry;
  while ((entry = readdir(proc)) && count < MAX_PROCESSES) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 1) continue;
    char path[64], buffer[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    char *close_paren = strrchr(buffer, ')');
    char state;
    int parent;
    if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &parent) != 2) continue;
    pids[count] = (pid_t)pid;
    parents[count] = (pid_t)parent;
    /* A zombie needs reaping, not killing, but still links its children to the tree. */
    zombie[count] = state == 'Z';
    count++;
  }
  closedir(proc);
  int total = 0;
  for (int i = 0; i < count; i++) {
    if (zombie[i]) continue;
    /* Walk up at most 64 generations; a deeper chain is still found once its
     * upper part dies and it is reparented here. */
    pid_t ancestor = parents[i];
    for (int depth = 0; depth < 64 && ancestor > 1; depth++) {
      if (ancestor == root) {
        if (total < capacity) found[total] = pids[i];
        total++;
        break;
      }
      int next = -1;
      for (int j = 0; j < count; j++)
        if (pids[j] == ancestor) {
          next = j;
          break;
        }
      if (next < 0) break;
      ancestor = parents[next];
    }
  }
  return total;
}

void gf_end_descendants(int grace_ms, void (*reap)(void)) {
  enum { CAPACITY = 4096 };
  static pid_t found[CAPACITY];
  pid_t self = getpid();
  int count = find_descendants(self, found, CAPACITY);
  if (count == 0) return;
  for (int i = 0; i < count && i < CAPACITY; i++)
    if (found[i] > 1 && found[i] != self) kill(found[i], SIGTERM);
  for (int waited = 0; waited < grace_ms; waited += 50) {
    reap();
    if (find_descendants(self, found, CAPACITY) == 0) return;
    struct timespec pause = {0, 50000000L};
    nanosleep(&pause, NULL);
  }
  /* Whatever is still there (or forks while we look) is killed until none is left. */
  for (int round = 0; round < 200; round++) {
    count = find_descendants(self, found, CAPACITY);
    if (count == 0) return;
    for (int i = 0; i < count && i < CAPACITY; i++)
      if (found[i] > 1 && found[i] != self) kill(found[i], SIGKILL);
    struct timespec pause = {0, 10000000L};
    nanosleep(&pause, NULL);
    reap();
  }
}
