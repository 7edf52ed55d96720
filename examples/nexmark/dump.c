/*
 * dump.c: writes the Nexmark views person, auction and bid as CSV files, so that another system
 * (PostgreSQL in tests/e2e/test_nexmark_results.sh) can load exactly the events the query jobs
 * read: the source's events depend only on its options, not on the parallelism or the run.
 *
 *     spate run [-p N] -D nexmark.events.num=N -D nexmark.base-time=MS dump.so --output <dir>
 *
 * writes <dir>/person, <dir>/auction and <dir>/bid (each a file at parallelism 1, a directory
 * of files "1".."N" above) with the views' columns in order (spate/nexmark.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nexmark_query.h"

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  const char *dir = spate_arg(argc, argv, "--output", NULL);
  if (!dir) {
    fprintf(stderr, "dump: --output <dir> is required\n");
    return 2;
  }
  if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
    fprintf(stderr, "dump: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  static const struct {
    const char *name;
    spate_nexmark_stream kind;
  } views[] = {{"person", SPATE_NEXMARK_PERSON},
               {"auction", SPATE_NEXMARK_AUCTION},
               {"bid", SPATE_NEXMARK_BID}};
  const spate_schema *schemas[] = {nexmark_person_schema(), nexmark_auction_schema(),
                                   nexmark_bid_schema()};
  for (int i = 0; i < 3; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, views[i].name);
    spate_stream *s = spate_nexmark_source(env, views[i].kind, NULL);
    spate_write_file(s, path, spate_format_csv(env, schemas[i]));
  }
  return spate_execute_main(env, "Nexmark dump");
}
