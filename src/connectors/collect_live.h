/*
 * collect_live.h: the rows of a collect sink handed, as they arrive, to a listener in the same
 * process instead of being kept for the job's result: how the SQL client shows a query's
 * changes while its job runs on the embedded MiniCluster (Flink's client reads them through its
 * collect sink's coordinator the same way).
 *
 * A listener is registered under the sink's name before the job starts and unregistered after
 * the job has ended; the sink looks it up when it opens and then calls it from its task's thread
 * for each row (one subtask: the caller gives the sink parallelism 1).
 */
#ifndef SPATE_CONNECTORS_COLLECT_LIVE_H
#define SPATE_CONNECTORS_COLLECT_LIVE_H
#include <stdbool.h>

#include "spate/spate.h"

typedef void (*collect_live_fn)(void *arg, const spate_row *row, const spate_schema *schema);

/* Registers fn under name (copied). SPATE_EINVAL when the name is taken, SPATE_ENOMEM. */
int collect_live_register(const char *name, collect_live_fn fn, void *arg);
void collect_live_unregister(const char *name);
/* The listener registered under name: true with *fn and *arg, or false. */
bool collect_live_find(const char *name, collect_live_fn *fn, void **arg);
#endif
