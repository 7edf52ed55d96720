/*
 * merging_window_set.c: Flink's MergingWindowSet over a value state (see merging_window_set.h).
 * Moved here from the window operator, whose session windows it held, so that the window join
 * merges its sessions the same way.
 */
#include "operators/merging_window_set.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

typedef spate_time_window win;

static int fail(merging_window_set *s, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  return rc;
}

static int state_failed(merging_window_set *s, int rc) {
  return fail(s, rc, "%s", ks_error(s->backend));
}

int mws_open(merging_window_set *s, ks_backend *b, const char *name) {
  static const char spec[] = "windows BYTES NOT NULL";
  memset(s, 0, sizeof *s);
  s->backend = b;
  char err[128];
  int rc = spate_schema_parse(spec, &s->schema, err, sizeof err);
  if (rc < 0) return fail(s, rc, "internal schema '%s': %s", spec, err);
  if ((rc = rb_init(&s->rb, s->schema)) < 0) return fail(s, rc, "out of memory");
  ks_descriptor d = {.name = name, .kind = KS_VALUE, .value_schema = s->schema};
  if (ks_register(b, &d, &s->state) < 0) return fail(s, SPATE_ESTATE, "%s", ks_error(b));
  return 0;
}

void mws_close(merging_window_set *s) {
  if (s->rb.schema) rb_destroy(&s->rb);
  if (s->schema) spate_schema_free(s->schema);
  sp_free(s->w);
  memset(s, 0, sizeof *s);
}

const char *mws_error(const merging_window_set *s) { return s->error; }

int mws_load(merging_window_set *s, int key_group) {
  s->n = 0;
  int rc = ks_set_namespace(s->backend, NULL, 0);
  if (rc < 0) return state_failed(s, rc);
  spate_row r;
  if ((rc = ks_value_get(s->state, &r)) < 0) return state_failed(s, rc);
  if (rc == 0) return 0;
  spate_bytes b = spate_row_string(&r, 0);
  size_t n = b.len / sizeof(win);
  /* The set may come from a checkpoint: whole windows, each with start < end (users compute
   * end - 1, the max timestamp). */
  if (b.len % sizeof(win) != 0)
    return fail(s, SPATE_ECORRUPT,
                "the session windows of key group %d are %u bytes, not whole windows of %zu "
                "bytes (corrupt checkpoint?)",
                key_group, b.len, sizeof(win));
  if (n > s->cap) {
    win *g = sp_realloc(s->w, n * sizeof *g);
    if (!g) return fail(s, SPATE_ENOMEM, "out of memory");
    s->w = g;
    s->cap = n;
  }
  if (n > 0) memcpy(s->w, b.ptr, n * sizeof(win));
  for (size_t i = 0; i < n; i++)
    if (s->w[i].start >= s->w[i].end)
      return fail(s, SPATE_ECORRUPT,
                  "session window %zu of key group %d is [%lld, %lld), which is empty (corrupt "
                  "checkpoint?)",
                  i, key_group, (long long)s->w[i].start, (long long)s->w[i].end);
  s->n = n;
  return 0;
}

int mws_store(merging_window_set *s) {
  int rc = ks_set_namespace(s->backend, NULL, 0);
  if (rc < 0) return state_failed(s, rc);
  if (s->n == 0) {
    rc = ks_clear(s->state);
  } else {
    spate_row r;
    spate_rb_begin(&s->rb);
    spate_rb_set_bytes(&s->rb, 0, s->w, s->n * sizeof(win));
    if (spate_rb_finish(&s->rb, &r) < 0)
      return fail(s, SPATE_ENOMEM, "session windows: %s", spate_rb_error(&s->rb));
    rc = ks_value_update(s->state, &r);
  }
  return rc < 0 ? state_failed(s, rc) : 0;
}

static int set_add(merging_window_set *s, win x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    win *g = sp_realloc(s->w, cap * sizeof *g);
    if (!g) return fail(s, SPATE_ENOMEM, "out of memory");
    s->w = g;
    s->cap = cap;
  }
  s->w[s->n++] = x;
  return 0;
}

bool mws_remove(merging_window_set *s, win x) {
  for (size_t i = 0; i < s->n; i++)
    if (s->w[i].start == x.start && s->w[i].end == x.end) {
      s->w[i] = s->w[--s->n];
      return true;
    }
  return false;
}

static bool intersects(win a, win b) { return a.start <= b.end && a.end >= b.start; }

bool mws_contains(const merging_window_set *s, win x) {
  for (size_t i = 0; i < s->n; i++)
    if (s->w[i].start == x.start && s->w[i].end == x.end) return true;
  return false;
}

/* The windows of the set never intersect each other, so only windows reachable from x merge. */
int mws_add(merging_window_set *s, win x, mws_merge_fn merge, void *arg, win *actual,
            mws_outcome *how) {
  s->error[0] = '\0';
  win cover = x;
  size_t nmerged = 0;
  win merged1 = {0, 0};
  bool changed = true;
  /* Mark merged windows by moving them to the end of the set. */
  size_t keep = s->n;
  while (changed) {
    changed = false;
    for (size_t i = 0; i < keep; i++) {
      if (!intersects(s->w[i], cover)) continue;
      win m = s->w[i];
      if (m.start < cover.start) cover.start = m.start;
      if (m.end > cover.end) cover.end = m.end;
      s->w[i] = s->w[keep - 1];
      s->w[keep - 1] = m;
      keep--;
      nmerged++;
      merged1 = m;
      changed = true;
      i--; /* look at the window moved into slot i */
    }
  }
  if (nmerged == 0) {
    *how = MWS_ADDED;
    *actual = x;
    return set_add(s, x);
  }
  if (nmerged == 1 && merged1.start == cover.start && merged1.end == cover.end) {
    *how = MWS_INSIDE;
    *actual = merged1; /* x lies inside an existing window: nothing changes */
    return 0;
  }
  *how = MWS_MERGED;
  *actual = cover;
  sp_assert(keep + nmerged == s->n); /* the merged windows are the set's tail */
  int rc = merge(arg, cover, s->w + keep, s->n - keep);
  if (rc != 0) return rc;
  s->n = keep; /* the merged windows go, the cover comes into the room they leave */
  s->w[s->n++] = cover;
  return 0;
}
