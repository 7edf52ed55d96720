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
  static const char spec[] = "windows BYTES NOT NULL, state_windows BYTES NOT NULL";
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
  sp_free(s->sw);
  memset(s, 0, sizeof *s);
}

const char *mws_error(const merging_window_set *s) { return s->error; }

/* Makes room for n windows (and their state windows). */
static int reserve(merging_window_set *s, size_t n) {
  if (n <= s->cap) return 0;
  size_t cap = s->cap ? s->cap : 8;
  while (cap < n) cap *= 2;
  win *g = sp_realloc(s->w, cap * sizeof *g);
  if (g) s->w = g;
  win *h = g ? sp_realloc(s->sw, cap * sizeof *h) : NULL;
  if (!h) return fail(s, SPATE_ENOMEM, "out of memory");
  s->sw = h;
  s->cap = cap;
  return 0;
}

/* Copies one stored field of packed windows into a, checked (it may come from a checkpoint:
 * whole windows, each with start < end; users compute end - 1, the max timestamp). */
static int load_field(merging_window_set *s, spate_bytes b, const char *what, int key_group,
                      win *a) {
  size_t n = b.len / sizeof(win);
  if (n > 0) memcpy(a, b.ptr, n * sizeof(win));
  for (size_t i = 0; i < n; i++)
    if (a[i].start >= a[i].end)
      return fail(s, SPATE_ECORRUPT,
                  "session %s %zu of key group %d is [%lld, %lld), which is empty (corrupt "
                  "checkpoint?)",
                  what, i, key_group, (long long)a[i].start, (long long)a[i].end);
  return 0;
}

int mws_load(merging_window_set *s, int key_group) {
  s->n = 0;
  int rc = ks_set_namespace(s->backend, NULL, 0);
  if (rc < 0) return state_failed(s, rc);
  spate_row r;
  if ((rc = ks_value_get(s->state, &r)) < 0) return state_failed(s, rc);
  if (rc == 0) return 0;
  spate_bytes b = spate_row_string(&r, 0), sb = spate_row_string(&r, 1);
  size_t n = b.len / sizeof(win);
  if (b.len % sizeof(win) != 0 || sb.len != b.len)
    return fail(s, SPATE_ECORRUPT,
                "the session windows of key group %d are %u bytes and their state windows %u, "
                "not the same number of whole windows of %zu bytes (corrupt checkpoint?)",
                key_group, b.len, sb.len, sizeof(win));
  if ((rc = reserve(s, n)) < 0) return rc;
  if ((rc = load_field(s, b, "window", key_group, s->w)) < 0 ||
      (rc = load_field(s, sb, "state window", key_group, s->sw)) < 0)
    return rc;
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
    spate_rb_set_bytes(&s->rb, 1, s->sw, s->n * sizeof(win));
    if (spate_rb_finish(&s->rb, &r) < 0)
      return fail(s, SPATE_ENOMEM, "session windows: %s", spate_rb_error(&s->rb));
    rc = ks_value_update(s->state, &r);
  }
  return rc < 0 ? state_failed(s, rc) : 0;
}

static int set_add(merging_window_set *s, win x, win state) {
  int rc = reserve(s, s->n + 1);
  if (rc < 0) return rc;
  s->w[s->n] = x;
  s->sw[s->n++] = state;
  return 0;
}

static bool same(win a, win b) { return a.start == b.start && a.end == b.end; }

bool mws_remove(merging_window_set *s, win x) {
  for (size_t i = 0; i < s->n; i++)
    if (same(s->w[i], x)) {
      s->n--;
      s->w[i] = s->w[s->n];
      s->sw[i] = s->sw[s->n];
      return true;
    }
  return false;
}

static bool intersects(win a, win b) { return a.start <= b.end && a.end >= b.start; }

bool mws_state_window(const merging_window_set *s, win x, win *state) {
  for (size_t i = 0; i < s->n; i++)
    if (same(s->w[i], x)) {
      if (state) *state = s->sw[i];
      return true;
    }
  return false;
}

bool mws_window_of_state(const merging_window_set *s, win state, win *window) {
  for (size_t i = 0; i < s->n; i++)
    if (same(s->sw[i], state)) {
      *window = s->w[i];
      return true;
    }
  return false;
}

/* Swaps entries i and j (window and state window). */
static void swap(merging_window_set *s, size_t i, size_t j) {
  win t = s->w[i], u = s->sw[i];
  s->w[i] = s->w[j];
  s->sw[i] = s->sw[j];
  s->w[j] = t;
  s->sw[j] = u;
}

/* The windows of the set never intersect each other, so only windows reachable from x merge.
 * The cover keeps the state window of merged[0] (Flink keeps the first merged window's), so
 * the other merged windows' contents fold into it in the order of `merged`, which is the
 * order the contents moved in when every window was its own state window. */
int mws_add(merging_window_set *s, win x, mws_merge_fn merge, void *arg, win *actual, win *state,
            mws_outcome *how) {
  s->error[0] = '\0';
  win cover = x;
  size_t nmerged = 0;
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
      swap(s, i, keep - 1);
      keep--;
      nmerged++;
      changed = true;
      i--; /* look at the window moved into slot i */
    }
  }
  if (nmerged == 0) {
    *how = MWS_ADDED;
    *actual = x;
    if (state) *state = x;
    return set_add(s, x, x);
  }
  sp_assert(keep + nmerged == s->n); /* the merged windows are the set's tail */
  win st = s->sw[keep];
  if (nmerged == 1 && same(s->w[keep], cover)) {
    *how = MWS_INSIDE;
    *actual = cover; /* x lies inside an existing window: nothing changes */
    if (state) *state = st;
    return 0;
  }
  *how = MWS_MERGED;
  *actual = cover;
  if (state) *state = st;
  int rc = merge(arg, cover, s->w + keep, nmerged, st, s->sw + keep + 1, nmerged - 1);
  if (rc != 0) return rc;
  s->n = keep; /* the merged windows go, the cover comes into the room they leave */
  s->w[s->n] = cover;
  s->sw[s->n++] = st;
  return 0;
}
