/*
 * install_paths.c: the installation and configuration directories of the `spate` command
 * (install_paths.h). The lookup order of the configuration is the one `spate run` has always used.
 */
#include "cli/install_paths.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"

/* The directory of the running binary into out; 0 or SPATE_EIO. */
static int exe_dir(char *out, size_t cap) {
  ssize_t n = readlink("/proc/self/exe", out, cap - 1);
  if (n <= 0 || (size_t)n >= cap - 1) {
    out[0] = 0;
    return SPATE_EIO;
  }
  out[n] = 0;
  char *slash = strrchr(out, '/');
  if (slash) *slash = 0;
  return 0;
}

int cli_install_dir(char *out, size_t cap) {
  int rc = exe_dir(out, cap);
  if (rc < 0) return rc;
  char *slash = strrchr(out, '/');
  if (slash && slash != out)
    *slash = 0;
  else if (slash) /* the binary sits in /bin: the installation is / */
    out[1] = 0;
  return 0;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_conf_dir(char *out, size_t cap) {
  out[0] = 0;
  const char *env = getenv("SPATE_CONF_DIR");
  if (env && env[0]) {
    if ((size_t)snprintf(out, cap, "%s", env) >= cap) return SPATE_ENOENT;
    return 0;
  }
  char exe[PATH_MAX], cand[3][PATH_MAX + 16], path[PATH_MAX + 32];
  bool have_exe = exe_dir(exe, sizeof exe) == 0;
  snprintf(cand[0], sizeof cand[0], "conf");
  snprintf(cand[1], sizeof cand[1], "%s/../conf", exe);
  snprintf(cand[2], sizeof cand[2], "%s/../../conf", exe);
  int n = have_exe ? 3 : 1;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%.*s/config.yaml", PATH_MAX, cand[i]);
      if (pass == 0 ? is_file(path) : is_dir(cand[i])) {
        if ((size_t)snprintf(out, cap, "%s", cand[i]) >= cap) return SPATE_ENOENT;
        return 0;
      }
    }
  return SPATE_ENOENT;
}

int cli_load_config(sp_config *cfg) {
  char err[SP_ERRMSG_MAX], dir[PATH_MAX], path[PATH_MAX + 32];
  if (cli_conf_dir(dir, sizeof dir) < 0) return 0;
  const char *env = getenv("SPATE_CONF_DIR");
  snprintf(path, sizeof path, "%s/config.yaml", dir);
  int rc = sp_config_load_file(cfg, path, err, sizeof err);
  if (rc == SPATE_ENOENT) {
    if (!(env && env[0])) return 0;
    fprintf(stderr, "spate: configuration file '%s' (from SPATE_CONF_DIR) does not exist\n", path);
    return rc;
  }
  if (rc < 0) fprintf(stderr, "spate: %s\n", err);
  return rc;
}
