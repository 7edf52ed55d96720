/*
 * install_paths.h: where the `spate` command finds its installation and its configuration.
 *
 * The installation directory is the one above the spate binary's bin/ (build/ for build/bin/spate,
 * as $FLINK_HOME is for Flink's bin/flink); daemons keep their logs in its log/ unless env.log.dir
 * says otherwise, and remote TaskManagers are started through its bin/spate. The configuration
 * directory is $SPATE_CONF_DIR, else the first of ./conf, <installation>/conf and the conf/ one
 * level further up (a build tree inside the source tree) that holds config.yaml. It holds
 * config.yaml and, for `spate cluster`, the workers file.
 */
#ifndef SPATE_CLI_INSTALL_PATHS_H
#define SPATE_CLI_INSTALL_PATHS_H
#include <stddef.h>

#include "base/config.h"

/* Writes the installation directory (the parent of the directory holding the running binary)
 * into out (cap bytes). Returns 0, or SPATE_EIO if /proc/self/exe cannot be read or the path does
 * not fit. */
int cli_install_dir(char *out, size_t cap);

/* Writes the configuration directory into out (cap bytes): $SPATE_CONF_DIR when set, else the
 * first candidate holding config.yaml, else the first candidate that is a directory. Returns 0,
 * or SPATE_ENOENT when there is none (out is then ""). */
int cli_conf_dir(char *out, size_t cap);

/* Loads config.yaml of the configuration directory into cfg. A missing file is fine unless
 * $SPATE_CONF_DIR names the directory. Errors (the file's, naming its path and line) are printed
 * to stderr; returns 0 or the negative code. */
int cli_load_config(sp_config *cfg);
#endif
