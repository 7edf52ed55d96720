/*
 * program_runner.c: a child process with its output captured and a deadline (program_runner.h).
 */
#define _GNU_SOURCE
#include "rest/program_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/strbuf.h"

extern char **environ;

/* Reads what fd has into sb (up to the cap); false at end of file or error. */
static bool drain(int fd, sp_strbuf *sb) {
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  size_t keep = sb->len >= PROGRAM_OUTPUT_MAX ? 0 : (size_t)n;
  if (keep > PROGRAM_OUTPUT_MAX - sb->len) keep = PROGRAM_OUTPUT_MAX - sb->len;
  if (keep) sp_strbuf_append(sb, buf, keep);
  return true;
}

int program_run(char *const argv[], int timeout_ms, program_output *o, char *err, size_t err_len) {
  memset(o, 0, sizeof *o);
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (out[i] >= 0) close(out[i]);
      if (errp[i] >= 0) close(errp[i]);
    }
    return sp_err(err, err_len, SPATE_EIO, "cannot run %s: pipe: %s", argv[0], strerror(e));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none); /* the JobManager may block signals in its threads */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(errp[1]);
  if (rc != 0) {
    close(out[0]);
    close(errp[0]);
    return sp_err(err, err_len, SPATE_EIO, "cannot run %s: %s", argv[0], strerror(rc));
  }
  sp_strbuf so = {0}, se = {0};
  int64_t deadline = sp_mono_ms() + timeout_ms;
  struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
  while (p[0].fd >= 0 || p[1].fd >= 0) {
    int64_t left = deadline - sp_mono_ms();
    if (left <= 0) {
      o->timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    int n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; n > 0 && i < 2; i++)
      if (p[i].fd >= 0 && p[i].revents && !drain(p[i].fd, i == 0 ? &so : &se)) {
        close(p[i].fd);
        p[i].fd = -1;
      }
  }
  for (int i = 0; i < 2; i++)
    if (p[i].fd >= 0) close(p[i].fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o->out = so.data ? so.data : sp_strdup("");
  o->err = se.data ? se.data : sp_strdup("");
  return 0;
}

void program_output_free(program_output *o) {
  sp_free(o->out);
  sp_free(o->err);
  o->out = o->err = NULL;
}
