/*
 * cluster_commands.c: starting and stopping a whole standalone cluster from its workers file
 * (cluster_commands.h).
 */
#define _GNU_SOURCE
#include "cli/cluster_commands.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "cli/daemon_launcher.h"
#include "cli/install_paths.h"

/* The hosts of the workers file, one sp_malloc'd string each in *hosts (sp_malloc'd). Returns
 * the count, or -1 after printing why the file cannot be used. */
static int read_workers(char ***hosts) {
  char dir[PATH_MAX], path[PATH_MAX + 16];
  *hosts = NULL;
  if (cli_conf_dir(dir, sizeof dir) < 0) {
    fprintf(stderr,
            "spate cluster: no configuration directory with a workers file: set SPATE_CONF_DIR "
            "or create conf/workers\n");
    return -1;
  }
  snprintf(path, sizeof path, "%s/workers", dir);
  FILE *f = fopen(path, "re");
  if (!f) {
    fprintf(stderr, "spate cluster: cannot read the workers file '%s': %s\n", path,
            strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t linecap = 0, cap = 0;
  int n = 0, lineno = 0, rc = 0;
  while (getline(&line, &linecap, f) >= 0) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *host = line + strspn(line, " \t\r\n");
    size_t len = strcspn(host, " \t\r\n");
    if (len == 0) continue;
    if (host[len + strspn(host + len, " \t\r\n")]) {
      fprintf(stderr,
              "spate cluster: %s:%d: one host name per line expected, got '%.*s' and more\n", path,
              lineno, (int)len, host);
      rc = -1;
      break;
    }
    if ((size_t)n == cap) {
      cap = cap ? 2 * cap : 8;
      char **grown = sp_realloc(*hosts, cap * sizeof *grown);
      if (!grown) {
        rc = -1;
        break;
      }
      *hosts = grown;
    }
    host[len] = 0;
    if (!((*hosts)[n] = sp_strdup(host))) {
      rc = -1;
      break;
    }
    n++;
  }
  free(line); /* getline's buffer comes from the C library */
  fclose(f);
  if (rc == 0 && n == 0) {
    fprintf(stderr, "spate cluster: the workers file '%s' names no host\n", path);
    rc = -1;
  }
  if (rc < 0) {
    for (int i = 0; i < n; i++) sp_free((*hosts)[i]);
    sp_free(*hosts);
    *hosts = NULL;
    return -1;
  }
  return n;
}

static void free_hosts(char **hosts, int n) {
  for (int i = 0; i < n; i++) sp_free(hosts[i]);
  sp_free(hosts);
}

static bool is_local(const char *host) {
  char self[256];
  daemon_host(self, sizeof self);
  return strcasecmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
         strcmp(host, "::1") == 0 || strcasecmp(host, self) == 0;
}

/* Appends s to sb quoted for a POSIX shell ('...' with ' as '\''). */
static int add_quoted(sp_strbuf *sb, const char *s) {
  int rc = sp_strbuf_add(sb, "'");
  for (const char *p = s; !rc && *p; p++)
    rc = *p == '\'' ? sp_strbuf_add(sb, "'\\''") : sp_strbuf_append(sb, p, 1);
  return rc ? rc : sp_strbuf_add(sb, "'");
}

/* Runs `spate taskmanager <action> <dargs>` on host through ssh and waits for it. Returns 0 or 1
 * after printing why it failed. */
static int remote_taskmanager(const char *host, const char *action, int dargc, char **dargs) {
  char install[PATH_MAX];
  if (cli_install_dir(install, sizeof install) < 0) {
    fprintf(stderr, "spate cluster: cannot find the installation directory\n");
    return 1;
  }
  sp_strbuf cmd = {0};
  sp_strbuf bin = {0};
  int rc = sp_strbuf_add(&bin, install) || sp_strbuf_add(&bin, "/bin/spate") ||
           add_quoted(&cmd, bin.data) || sp_strbuf_add(&cmd, " taskmanager ") ||
           sp_strbuf_add(&cmd, action);
  for (int i = 0; !rc && i < dargc; i++)
    rc = sp_strbuf_add(&cmd, " ") || add_quoted(&cmd, dargs[i]);
  /* argv: ssh -n <$SPATE_SSH_OPTS split at blanks> host -- cmd */
  char *opts = sp_strdup(getenv("SPATE_SSH_OPTS") ? getenv("SPATE_SSH_OPTS") : "");
  char **argv = opts ? sp_calloc(strlen(opts) / 2 + 8, sizeof *argv) : NULL;
  if (rc || !argv) {
    fprintf(stderr, "spate cluster: out of memory\n");
    rc = 1;
    goto done;
  }
  int argc = 0;
  argv[argc++] = "ssh";
  argv[argc++] = "-n";
  char *save = NULL;
  for (char *w = strtok_r(opts, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
    argv[argc++] = w;
  argv[argc++] = (char *)host;
  argv[argc++] = "--";
  argv[argc++] = cmd.data;
  argv[argc] = NULL;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp("ssh", argv);
    fprintf(stderr, "spate cluster: cannot run ssh: %s\n", strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (pid < 0) {
    fprintf(stderr, "spate cluster: cannot fork: %s\n", strerror(errno));
    rc = 1;
    goto done;
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  if (rc)
    fprintf(stderr, "spate cluster: `spate taskmanager %s` on %s through ssh failed (%s %d)\n",
            action, host, WIFEXITED(status) ? "exit" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
done:
  sp_free(argv);
  sp_free(opts);
  sp_strbuf_free(&cmd);
  sp_strbuf_free(&bin);
  return rc;
}

int cluster_start(const sp_config *cfg, int dargc, char **dargs) {
  char **hosts;
  int n = read_workers(&hosts);
  if (n < 0) return 1;
  printf("Starting cluster.\n");
  int rc = daemon_start(cfg, &DAEMON_JOBMANAGER, dargc, dargs);
  for (int i = 0; i < n; i++)
    rc |= is_local(hosts[i]) ? daemon_start(cfg, &DAEMON_TASKMANAGER, dargc, dargs)
                             : remote_taskmanager(hosts[i], "start", dargc, dargs);
  free_hosts(hosts, n);
  return rc ? 1 : 0;
}

int cluster_stop(const sp_config *cfg, int dargc, char **dargs) {
  char **hosts;
  int n = read_workers(&hosts);
  if (n < 0) return 1;
  int rc = 0;
  for (int i = 0; i < n; i++)
    rc |= is_local(hosts[i]) ? daemon_stop(cfg, &DAEMON_TASKMANAGER, false)
                             : remote_taskmanager(hosts[i], "stop", dargc, dargs);
  rc |= daemon_stop(cfg, &DAEMON_JOBMANAGER, false);
  free_hosts(hosts, n);
  return rc ? 1 : 0;
}
