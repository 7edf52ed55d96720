/*
 * bench_state_memory.h: what one entry of keyed state costs in memory, for the benchmarks that
 * report it (state-value: a value state; window-*: a window reduce's (key, window) state).
 *
 * It fills a heap keyed-state backend as a keyed operator's would be (maximum parallelism 128,
 * all key groups, BIGINT keys as the engine encodes them, one entry per key and namespace) and
 * divides the bytes malloc then has in use (mallinfo2: in-use chunks with malloc's own headers
 * and rounding, plus mapped blocks; before and after) by the number of entries. The overhead is
 * that minus the bytes of the key row, the namespace and the value row themselves. Run before
 * the job, on the main thread, so nothing else allocates meanwhile. Header-only, as
 * bench_util.h.
 */
#ifndef SPATE_BENCH_STATE_MEMORY_H
#define SPATE_BENCH_STATE_MEMORY_H

#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "base/hash.h"
#include "spate/spate.h"
#include "state/keyed_state.h"
#include "types/schema.h"

/* The reduce of the REDUCING variant: field-wise sum (never called when each entry gets one
 * value, as here, but a reducing state needs one). */
static inline int bench_state_memory_sum(void *arg, const spate_row *acc, const spate_row *in,
                                         spate_row_builder *out) {
  (void)arg;
  for (uint32_t i = 0; i < in->nfields; i++)
    spate_rb_set_bigint(out, (int)i, spate_row_bigint(acc, (int)i) + spate_row_bigint(in, (int)i));
  return 0;
}

/* Fills keys x windows entries of one state of `kind` (KS_VALUE or KS_REDUCING) with value rows
 * of value_fields BIGINTs, under namespaces of 16 bytes (a window: start, end) when windows > 0,
 * else none, and prints
 *   MEMORY <name> entries=N bytes_per_entry=B key=K namespace=S value=V overhead=O
 * Returns the overhead per entry in bytes (negative when the backend could not be built). */
static inline double bench_state_memory(const char *name, ks_kind kind, int64_t keys, int windows,
                                        int value_fields) {
  char text[256] = "", err[128];
  for (int i = 0; i < value_fields; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "%sv%d BIGINT NOT NULL",
             i ? ", " : "", i);
  spate_schema *vs = NULL, *ks = NULL;
  if (spate_schema_parse(text, &vs, err, sizeof err) < 0 ||
      spate_schema_parse("key BIGINT NOT NULL", &ks, err, sizeof err) < 0)
    return -1;
  spate_row_builder *kb = spate_rb_new(ks), *vb = spate_rb_new(vs);
  ks_backend *b = NULL;
  ks_state *s = NULL;
  ks_key_group_range all = {0, 127};
  double overhead = -1;
  struct mallinfo2 m0 = mallinfo2();
  if (!kb || !vb || ks_backend_new(128, all, NULL, NULL, &b) < 0) goto out;
  ks_descriptor d = {.name = "memory", .kind = kind, .value_schema = vs};
  if (kind == KS_REDUCING) d.reduce = bench_state_memory_sum;
  if (ks_register(b, &d, &s) < 0) goto out;
  spate_row key = {0}, value = {0};
  int64_t n = 0;
  for (int64_t k = 0; k < keys; k++) {
    spate_rb_begin(kb);
    spate_rb_set_bigint(kb, 0, k);
    if (spate_rb_finish(kb, &key) < 0 ||
        ks_set_current_key(b, key.data, key.len, sp_key_group(sp_java_long_hash(k), 128)) < 0)
      goto out;
    for (int w = 0; w < (windows ? windows : 1); w++) {
      int64_t ns[2] = {(int64_t)w * 1000, (int64_t)w * 1000 + 1000};
      if (windows && ks_set_namespace(b, ns, sizeof ns) < 0) goto out;
      spate_rb_begin(vb);
      for (int i = 0; i < value_fields; i++) spate_rb_set_bigint(vb, i, k + w + i);
      if (spate_rb_finish(vb, &value) < 0) goto out;
      int rc = kind == KS_REDUCING ? ks_reducing_add(s, &value) : ks_value_update(s, &value);
      if (rc < 0) goto out;
      n++;
    }
  }
  struct mallinfo2 m1 = mallinfo2();
  double per = ((double)m1.uordblks + (double)m1.hblkhd - (double)m0.uordblks - (double)m0.hblkhd) /
               (double)n;
  uint32_t ns_len = windows ? 16 : 0;
  overhead = per - key.len - ns_len - value.len;
  printf("MEMORY %s entries=%lld bytes_per_entry=%.1f key=%u namespace=%u value=%u overhead=%.1f\n",
         name, (long long)n, per, key.len, ns_len, value.len, overhead);
out:
  if (overhead < 0 && b) fprintf(stderr, "%s: %s\n", name, ks_error(b));
  ks_backend_free(b);
  spate_rb_free(kb);
  spate_rb_free(vb);
  spate_schema_free(vs);
  spate_schema_free(ks);
  return overhead;
}

#endif
