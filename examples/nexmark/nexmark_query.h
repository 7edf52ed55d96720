/*
 * nexmark_query.h: what the Nexmark query jobs of examples/nexmark/ share: the source of the
 * view a query reads and where its result goes.
 *
 * Every query job takes the same arguments after the job file:
 *     spate run [-p N] [-D nexmark.events.num=N ...] q<N>.so [--output <path>]
 * The Nexmark source's options come from the configuration (`nexmark.*` keys, see
 * spate/nexmark.h). With --output the result is written as CSV (Flink's csv format: one line per
 * row, TIMESTAMP as "yyyy-MM-dd HH:mm:ss.SSS"); a file at parallelism 1, a directory of files
 * "1".."N" above. Without it the result goes to a discarding sink, as nexmark-flink's queries
 * write to the `blackhole` connector.
 */
#ifndef NEXMARK_QUERY_H
#define NEXMARK_QUERY_H
#include <spate/nexmark.h>
#include <spate/spate.h>

/* Sends a query's result, rows of `schema`, to --output as CSV or to a discarding sink. */
static inline spate_stream *nexmark_output(spate_env *env, spate_stream *result,
                                           const spate_schema *schema, int argc, char **argv) {
  const char *path = spate_arg(argc, argv, "--output", NULL);
  if (!path) return spate_discard(result);
  return spate_write_file(result, path, spate_format_csv(env, schema));
}
#endif
