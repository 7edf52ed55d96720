/*
 * main.c: turns any Spate job into its own executable. Link the job's source with this file and
 * libspate, with -rdynamic so that the job's functions can be found by name:
 *
 *   cc -rdynamic -Iinclude examples/wordcount.c examples/standalone/main.c \
 *      -Lbuild/lib -lspate -Wl,-rpath,$PWD/build/lib -o wordcount
 *
 * The job then runs on an embedded MiniCluster as under `spate run`, configured from
 * $SPATE_CONF_DIR/config.yaml or ./conf/config.yaml when present.
 */
#include <spate/spate.h>

int main(int argc, char **argv) { return spate_main(argc, argv); }
