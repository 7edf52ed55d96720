/*
 * daemon_launcher.c: background start and stop of Spate's daemons (daemon_launcher.h), Flink's
 * flink-daemon.sh in C.
 *
 * The start holds the pid file's lock from counting its lines (the instance id in the log file's
 * name) to appending the new pid, so concurrent starts get distinct ids and lose no line. Whether
 * the daemon's process started is known for sure: a close-on-exec pipe reports a failed exec. A
 * pid counts as a running daemon of its kind only if that process exists, is not a zombie and
 * runs `<verb> start-foreground` (/proc/<pid>/cmdline), so a pid reused by another process is
 * never signalled.
 */
#define _GNU_SOURCE
#include "cli/daemon_launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cli/install_paths.h"
#include "cli/log_rotation.h"
#include "cli/pid_file.h"

const daemon_kind DAEMON_JOBMANAGER = {"standalonesession", "jobmanager"};
const daemon_kind DAEMON_TASKMANAGER = {"taskexecutor", "taskmanager"};
const daemon_kind DAEMON_STANDALONE_JOB = {"standalonejob", "standalone-job"};
const daemon_kind DAEMON_HISTORYSERVER = {"historyserver", "historyserver"};

/* How long stop waits for a daemon to exit after SIGTERM, and after SIGKILL. */
#define STOP_TIMEOUT_MS 10000
#define KILL_TIMEOUT_MS 5000

void daemon_ident(char *out, size_t cap) {
  const char *s = getenv("SPATE_IDENT_STRING");
  if (!s || !s[0]) s = getenv("USER");
  if (!s || !s[0]) {
    struct passwd *pw = getpwuid(geteuid());
    s = pw && pw->pw_name ? pw->pw_name : "unknown";
  }
  snprintf(out, cap, "%s", s);
}

void daemon_host(char *out, size_t cap) {
  if (gethostname(out, cap) != 0) snprintf(out, cap, "localhost");
  out[cap - 1] = 0;
}

/* The pid file of kind k into out; 0, or 1 after printing why not. */
static int pid_path(const sp_config *cfg, const daemon_kind *k, char *out, size_t cap) {
  char ident[256];
  daemon_ident(ident, sizeof ident);
  const char *dir = sp_config_str(cfg, "env.pid.dir");
  if ((size_t)snprintf(out, cap, "%s/spate-%s-%s.pid", dir, ident, k->name) >= cap) {
    fprintf(stderr, "spate %s: env.pid.dir is too long: '%s'\n", k->verb, dir);
    return 1;
  }
  return 0;
}

/* Whether pid is a live (not zombie) process running `spate <k->verb> start-foreground`. */
static bool daemon_running(pid_t pid, const daemon_kind *k) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "re");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *paren = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  if (!paren || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X' || paren[2] == 'x')
    return false;
  snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
  f = fopen(path, "re");
  if (!f) return false;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *arg1 = buf + strlen(buf) + 1; /* argv[1], after argv[0]'s NUL */
  if ((size_t)(arg1 - buf) >= n) return false;
  const char *arg2 = arg1 + strlen(arg1) + 1;
  if ((size_t)(arg2 - buf) >= n) return false;
  return strcmp(arg1, k->verb) == 0 && strcmp(arg2, "start-foreground") == 0;
}

/* mkdir -p dir; 0 or -1 with errno. */
static int make_dirs(const char *dir) {
  char p[PATH_MAX];
  if ((size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* Marks every descriptor above stderr close-on-exec, so the daemon keeps none of its launcher's
 * (a test harness's pipe held open by a daemon would never see EOF). */
static void cloexec_inherited_fds(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Forks and execs argv (argv[0] names the spate binary; /proc/self/exe is run) as a daemon: new
 * session, stdin /dev/null, stdout and stderr to out_fd. Returns the child's pid, or -1 with a
 * message in err when the fork or the exec failed. */
static pid_t spawn_daemon(char **argv, int out_fd, char *err, size_t cap) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    sp_err(err, cap, -1, "cannot create a pipe: %s", strerror(errno));
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    sp_err(err, cap, -1, "cannot fork: %s", strerror(errno));
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    int e = 0;
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
        dup2(out_fd, 2) < 0) {
      e = errno;
    } else {
      cloexec_inherited_fds();
      execv("/proc/self/exe", argv);
      e = errno;
    }
    ssize_t w = write(pipefd[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(pipefd[1]);
  int child_errno = 0;
  ssize_t r;
  while ((r = read(pipefd[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  close(pipefd[0]);
  if (r > 0) { /* the exec (or the redirection before it) failed; reap the child */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    sp_err(err, cap, -1, "cannot run '/proc/self/exe': %s", strerror(child_errno));
    return -1;
  }
  return pid;
}

int daemon_start(const sp_config *cfg, const daemon_kind *k, int argc, char **argv) {
  char pidpath[PATH_MAX], ident[256], host[256], install[PATH_MAX], logdir[PATH_MAX + 8];
  char err[SP_ERRMSG_MAX];
  if (pid_path(cfg, k, pidpath, sizeof pidpath)) return 1;
  daemon_ident(ident, sizeof ident);
  daemon_host(host, sizeof host);
  if (sp_config_is_set(cfg, "env.log.dir")) {
    snprintf(logdir, sizeof logdir, "%s", sp_config_str(cfg, "env.log.dir"));
  } else if (cli_install_dir(install, sizeof install) == 0) {
    snprintf(logdir, sizeof logdir, "%s/log", install);
  } else {
    fprintf(stderr,
            "spate %s: cannot find the installation directory for the log files; set "
            "env.log.dir\n",
            k->verb);
    return 1;
  }
  if (make_dirs(logdir) != 0) {
    fprintf(stderr, "spate %s: cannot create the log directory '%s': %s\n", k->verb, logdir,
            strerror(errno));
    return 1;
  }
  pid_file pf;
  if (pidfile_lock(&pf, pidpath, err, sizeof err) < 0) {
    fprintf(stderr, "spate %s: %s\n", k->verb, err);
    return 1;
  }
  int rc = 1, out_fd = -1;
  pid_t *pids = NULL;
  char **child_argv = NULL;
  size_t npids = 0, lines = 0;
  if (pidfile_read(&pf, &pids, &npids, &lines) < 0) {
    fprintf(stderr, "spate %s: cannot read pid file '%s'\n", k->verb, pidpath);
    goto done;
  }
  size_t running = 0;
  for (size_t i = 0; i < npids; i++) running += daemon_running(pids[i], k);
  if (running > 0)
    printf("[WARNING] %zu instance(s) of %s are already running on %s.\n", running, k->name, host);
  printf("Starting %s daemon on host %s.\n", k->name, host);

  char logfile[PATH_MAX + 8], outfile[PATH_MAX + 8], logopt[PATH_MAX + 32];
  int len = snprintf(logfile, sizeof logfile, "%s/spate-%s-%s-%zu-%s.log", logdir, ident, k->name,
                     lines, host);
  snprintf(outfile, sizeof outfile, "%.*s.out", len - 4, logfile);
  if ((size_t)len >= PATH_MAX) {
    fprintf(stderr, "spate %s: log file path too long: '%s'\n", k->verb, logfile);
    goto done;
  }
  int max = (int)sp_config_int(cfg, "env.log.max");
  if (log_rotate(logfile, max, err, sizeof err) < 0 ||
      log_rotate(outfile, max, err, sizeof err) < 0) {
    fprintf(stderr, "spate %s: %s\n", k->verb, err);
    goto done;
  }
  out_fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    fprintf(stderr, "spate %s: cannot create '%s': %s\n", k->verb, outfile, strerror(errno));
    goto done;
  }
  /* spate <verb> start-foreground -D log.file=<log> <args>: the log file goes first so that job
   * arguments of standalone-job stay last. */
  child_argv = sp_calloc((size_t)argc + 6, sizeof *child_argv);
  if (!child_argv) {
    fprintf(stderr, "spate %s: out of memory\n", k->verb);
    goto done;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  snprintf(logopt, sizeof logopt, "log.file=%s", logfile);
  child_argv[0] = n > 0 ? exe : "spate";
  child_argv[1] = (char *)k->verb;
  child_argv[2] = "start-foreground";
  child_argv[3] = "-D";
  child_argv[4] = logopt;
  for (int i = 0; i < argc; i++) child_argv[5 + i] = argv[i];
  pid_t pid = spawn_daemon(child_argv, out_fd, err, sizeof err);
  if (pid < 0) {
    printf("Error starting %s daemon.\n", k->name);
    fprintf(stderr, "spate %s: %s\n", k->verb, err);
    goto done;
  }
  if (pidfile_append(&pf, pid) < 0) {
    fprintf(stderr, "spate %s: started %s (pid: %ld) but cannot write pid file '%s': %s\n", k->verb,
            k->name, (long)pid, pidpath, strerror(errno));
    goto done;
  }
  rc = 0;
done:
  if (rc != 0 && lines == 0 && npids == 0) pidfile_rewrite(&pf, NULL, 0); /* leave no empty file */
  pidfile_unlock(&pf);
  if (out_fd >= 0) close(out_fd);
  sp_free(child_argv);
  sp_free(pids);
  return rc;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to timeout_ms for the daemon pid to exit (or become a zombie). A pidfd tells the moment
 * it does; without one (old kernels) /proc is re-checked every 20 ms. Returns whether it did. */
static bool await_exit(pid_t pid, const daemon_kind *k, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
      int64_t left = deadline - now_ms();
      int r = poll(&p, 1, left > 0 ? (int)left : 0);
      if (r > 0 || (r == 0 && left <= 0)) break;
      if (r < 0 && errno != EINTR) break;
    }
    close(fd);
    return !daemon_running(pid, k);
  }
  if (errno == ESRCH) return true;
#endif
  while (daemon_running(pid, k)) {
    if (now_ms() >= deadline) return false;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  return true;
}

int daemon_stop(const sp_config *cfg, const daemon_kind *k, bool all) {
  char pidpath[PATH_MAX], host[256], err[SP_ERRMSG_MAX];
  if (pid_path(cfg, k, pidpath, sizeof pidpath)) return 1;
  daemon_host(host, sizeof host);
  struct stat st;
  if (stat(pidpath, &st) != 0) { /* nothing started: don't create the file just to find that */
    printf("No %s daemon to stop on host %s.\n", k->name, host);
    return 0;
  }
  pid_file pf;
  if (pidfile_lock(&pf, pidpath, err, sizeof err) < 0) {
    fprintf(stderr, "spate %s: %s\n", k->verb, err);
    return 1;
  }
  pid_t *pids = NULL;
  size_t npids = 0, lines = 0, alive = 0;
  if (pidfile_read(&pf, &pids, &npids, &lines) < 0) {
    fprintf(stderr, "spate %s: cannot read pid file '%s'\n", k->verb, pidpath);
    pidfile_unlock(&pf);
    return 1;
  }
  for (size_t i = 0; i < npids; i++)
    if (daemon_running(pids[i], k)) pids[alive++] = pids[i];
  size_t first = all || alive == 0 ? 0 : alive - 1; /* pids[first..alive) are stopped */
  if (pidfile_rewrite(&pf, pids, first) < 0)
    fprintf(stderr, "spate %s: cannot rewrite pid file '%s': %s\n", k->verb, pidpath,
            strerror(errno));
  pidfile_unlock(&pf);
  if (alive == 0) printf("No %s daemon to stop on host %s.\n", k->name, host);
  for (size_t i = first; i < alive; i++) {
    printf("Stopping %s daemon (pid: %ld) on host %s.\n", k->name, (long)pids[i], host);
    kill(pids[i], SIGTERM);
  }
  fflush(stdout);
  int rc = 0;
  for (size_t i = first; i < alive; i++) {
    if (await_exit(pids[i], k, STOP_TIMEOUT_MS)) continue;
    printf("The %s daemon (pid: %ld) did not stop within %d s; killing it (SIGKILL).\n", k->name,
           (long)pids[i], STOP_TIMEOUT_MS / 1000);
    fflush(stdout);
    kill(pids[i], SIGKILL);
    if (!await_exit(pids[i], k, KILL_TIMEOUT_MS)) {
      fprintf(stderr, "spate %s: the %s daemon (pid: %ld) is still running after SIGKILL\n",
              k->verb, k->name, (long)pids[i]);
      rc = 1;
    }
  }
  sp_free(pids);
  return rc;
}
