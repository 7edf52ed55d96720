/*
 * field_names.c: the by-name twins of the DataStream calls that take a field index
 * (spate_key_by_name, spate_sum_name, spate_assign_timestamps_name, ...). Each resolves the
 * names against the schema of the stream it is given, when the graph is built, and then calls
 * its index twin, so both behave the same. An unknown name fails the build with a message
 * naming the call, the name and the stream's fields.
 */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "types/schema.h"

/* The index of field `name` of in's schema, or -1: with an environment error when in is usable
 * but the name is not one of its fields (a NULL or failed input keeps the first error). */
static int field_index(spate_stream *in, const char *api, const char *name) {
  if (!api_check_input(api, in)) return -1;
  if (!name) return api_fail(in->env, "%s: the field name must not be NULL", api), -1;
  int i = spate_schema_field_index(in->schema, name);
  if (i >= 0) return i;
  char *fields = schema_to_string(in->schema);
  api_fail(in->env, "%s: the stream has no field '%s'; its fields are (%s)", api, name,
           fields ? fields : "?");
  sp_free(fields);
  return -1;
}

spate_stream *spate_key_by_name(spate_stream *in, const char *name) {
  return spate_key_by_names(in, &name, 1);
}

spate_stream *spate_key_by_names(spate_stream *in, const char *const *names, int n) {
  const char *api = "spate_key_by_name";
  if (!api_check_input(api, in)) return NULL;
  if (!names || n < 1 || n > 64)
    return api_fail(in->env, "%s: between 1 and 64 key fields are needed, got %d", api, n), NULL;
  int fields[64];
  for (int i = 0; i < n; i++)
    if ((fields[i] = field_index(in, api, names[i])) < 0) return NULL;
  return spate_key_by_fields(in, fields, n);
}

/* The twin of a call taking (stream, field index): resolves name for api, then calls it. */
static spate_stream *by_name(spate_stream *in, const char *api, const char *name,
                             spate_stream *(*call)(spate_stream *, int)) {
  int f = field_index(in, api, name);
  return f < 0 ? NULL : call(in, f);
}

spate_stream *spate_sum_name(spate_stream *keyed, const char *name) {
  return by_name(keyed, "spate_sum_name", name, spate_sum);
}

spate_stream *spate_min_name(spate_stream *keyed, const char *name) {
  return by_name(keyed, "spate_min_name", name, spate_min);
}

spate_stream *spate_max_name(spate_stream *keyed, const char *name) {
  return by_name(keyed, "spate_max_name", name, spate_max);
}

spate_stream *spate_min_by_name(spate_stream *keyed, const char *name) {
  return by_name(keyed, "spate_min_by_name", name, spate_min_by);
}

spate_stream *spate_max_by_name(spate_stream *keyed, const char *name) {
  return by_name(keyed, "spate_max_by_name", name, spate_max_by);
}

spate_stream *spate_assign_timestamps_name(spate_stream *in, const char *timestamp_field,
                                           spate_watermarks watermarks,
                                           int64_t max_out_of_orderness_ms) {
  int f = field_index(in, "spate_assign_timestamps_name", timestamp_field);
  return f < 0 ? NULL : spate_assign_timestamps(in, f, watermarks, max_out_of_orderness_ms);
}

spate_stream *spate_assign_watermarks_custom_name(spate_stream *in, const char *timestamp_field,
                                                  spate_watermark_fn on_event,
                                                  spate_periodic_watermark_fn on_periodic) {
  int f = field_index(in, "spate_assign_watermarks_custom_name", timestamp_field);
  return f < 0 ? NULL : spate_assign_watermarks_custom(in, f, NULL, on_event, on_periodic);
}

spate_stream *spate_partition_custom_name(spate_stream *in, spate_partition_fn fn,
                                          const char *key_field) {
  int f = field_index(in, "spate_partition_custom_name", key_field);
  return f < 0 ? NULL : spate_partition_custom(in, fn, f);
}
