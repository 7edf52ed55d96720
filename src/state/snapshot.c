/*
 * snapshot.c: operator snapshots (state/snapshot.h). The writer collects one subtask's keyed
 * state, one section per key group, and its named lists of operator state; snap_encode lays
 * them out in the format the header documents. On restore snap_assign decodes every old
 * subtask's encoding into a snap_restore of its own (views into the old bytes, every count and
 * length checked against what is left before anything is allocated for it), then builds the
 * new subtask's view from those: the key groups of its range wherever they were, and its share
 * of each list according to the list's redistribution mode.
 *
 * The key-group sections are written back to back into one buffer; the writer only records
 * where each group ends, so writing a group's state allocates nothing beyond the buffer's
 * growth.
 *
 * Of the three snapshot files, this one is the layout of an operator's (and a task's) snapshot
 * and its redistribution; what a keyed operator puts in its key-group sections is
 * operators/keyed_snapshot.c's, and the files a checkpoint keeps them in are
 * checkpoint/storage*.c's.
 */
#include "state/snapshot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

#define SNAP_VERSION 1u
#define SNAP_MAX_MAX_PARALLELISM 32768

static const char *mode_name(snap_list_mode m) {
  switch (m) {
  case SNAP_SPLIT: return "SPLIT";
  case SNAP_UNION: return "UNION";
  case SNAP_BROADCAST: return "BROADCAST";
  }
  return "?";
}

/* ---------------------------------------------------------------------------------------------
 * Writer. */

int snap_writer_init(snap_writer *w, int max_parallelism, ks_key_group_range range) {
  memset(w, 0, sizeof *w);
  if (max_parallelism < 1 || max_parallelism > SNAP_MAX_MAX_PARALLELISM) return SPATE_EINVAL;
  if (range.last < range.first) {
    range.first = 0; /* one spelling of the empty range */
    range.last = -1;
  } else if (range.first < 0 || range.last >= max_parallelism) {
    return SPATE_EINVAL;
  }
  int n = ks_key_group_range_size(range);
  w->max_parallelism = max_parallelism;
  w->range = range;
  w->next_kg = range.first;
  sp_writer_init(&w->keyed);
  if (n > 0) {
    w->kg_end = sp_calloc((size_t)n, sizeof *w->kg_end);
    if (!w->kg_end) return SPATE_ENOMEM;
  }
  return 0;
}

void snap_writer_free(snap_writer *w) {
  if (w->defer_release) w->defer_release(w->defer_arg);
  sp_writer_free(&w->keyed);
  sp_free(w->kg_end);
  for (int i = 0; i < w->nlists; i++) {
    sp_free(w->lists[i].name);
    sp_writer_free(&w->lists[i].entries);
  }
  sp_free(w->lists);
  memset(w, 0, sizeof *w);
}

int snap_defer_key_groups(snap_writer *w, int (*fn)(void *arg, int kg, sp_writer *w), void *arg,
                          void (*release)(void *arg)) {
  if (w->defer_fn || !fn) return SPATE_EINVAL;
  w->defer_fn = fn;
  w->defer_arg = arg;
  w->defer_release = release;
  return 0;
}

static void patch_u32(sp_writer *w, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) w->data[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

sp_writer *snap_key_group(snap_writer *w, int kg) {
  if (!ks_key_group_range_contains(w->range, kg) || kg < w->next_kg) return NULL;
  /* Groups between the open one and kg are closed; the skipped ones end where they began. */
  for (int g = w->next_kg; g < kg; g++) w->kg_end[g - w->range.first] = w->keyed.len;
  w->next_kg = kg;
  return &w->keyed;
}

static snap_list *find_list(snap_writer *w, const char *name) {
  for (int i = 0; i < w->nlists; i++)
    if (strcmp(w->lists[i].name, name) == 0) return &w->lists[i];
  return NULL;
}

static snap_list *new_list(snap_writer *w, const char *name, snap_list_mode mode) {
  snap_list *lists = sp_realloc(w->lists, ((size_t)w->nlists + 1) * sizeof *lists);
  if (!lists) return NULL;
  w->lists = lists;
  snap_list *l = &lists[w->nlists];
  memset(l, 0, sizeof *l);
  l->name = sp_strdup(name);
  if (!l->name) return NULL;
  l->mode = mode;
  sp_writer_init(&l->entries);
  w->nlists++;
  return l;
}

int snap_list_add(snap_writer *w, const char *name, snap_list_mode mode, const void *data,
                  uint32_t len) {
  if (!name || (unsigned)mode > SNAP_BROADCAST || (len > 0 && !data) || len == UINT32_MAX)
    return SPATE_EINVAL;
  snap_list *l = find_list(w, name);
  if (l && l->mode != mode) return SPATE_EINVAL;
  if (!l && !(l = new_list(w, name, mode))) return SPATE_ENOMEM;
  if (l->count == UINT32_MAX) return SPATE_EINVAL;
  size_t before = l->entries.len;
  sp_put_blob(&l->entries, data, len);
  if (l->entries.failed) {
    /* The buffer still holds every earlier entry intact (a failed realloc keeps it), so the
     * failure is undone rather than left sticky. */
    l->entries.len = before;
    l->entries.failed = false;
    return SPATE_ENOMEM;
  }
  l->count++;
  return 0;
}

/* End offset in w->keyed of group g's section: fixed for closed groups, the buffer's end for
 * the open group and the untouched ones after it. */
static size_t kg_end(const snap_writer *w, int g) {
  return g < w->next_kg ? (size_t)w->kg_end[g - w->range.first] : w->keyed.len;
}

int snap_out_patch_u32(snap_out *o, uint64_t off, uint32_t v) {
  if (off >= o->base) {
    patch_u32(&o->buf, (size_t)(off - o->base), v);
    return 0;
  }
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
  return o->patch ? o->patch(o->arg, off, b, 4) : SPATE_EINVAL;
}

int snap_out_maybe_flush(snap_out *o) {
  if (!o->flush_at || o->buf.len < o->flush_at || !o->put) return 0;
  if (o->buf.failed) return SPATE_ENOMEM;
  size_t n = o->buf.len;
  int rc = o->put(o->arg, &o->buf); /* leaves buf empty */
  if (rc < 0) return rc;
  o->base += n;
  return 0;
}

int snap_encode_to(snap_writer *w, snap_out *o) {
  if (w->keyed.failed) return SPATE_ENOMEM;
  sp_writer *out = &o->buf;
  sp_put_u32(out, SNAP_OP_MAGIC);
  sp_put_u32(out, SNAP_VERSION);
  sp_put_i32(out, w->max_parallelism);
  sp_put_i32(out, w->range.first);
  sp_put_i32(out, w->range.last);
  uint64_t count_at = snap_out_pos(o);
  sp_put_u32(out, 0); /* patched: the number of non-empty groups */
  uint32_t nkg = 0;
  size_t begin = 0;
  int rc = 0;
  for (int g = w->range.first; g <= w->range.last && !out->failed; g++) {
    size_t end = kg_end(w, g);
    size_t head = out->len; /* a group never straddles a flush */
    sp_put_i32(out, g);
    size_t len_at = out->len;
    sp_put_u32(out, 0); /* patched: the section's length */
    if (end > begin) sp_put_bytes(out, w->keyed.data + begin, end - begin);
    begin = end;
    if (w->defer_fn && (rc = w->defer_fn(w->defer_arg, g, out)) < 0) return rc;
    if (out->failed) break;
    size_t len = out->len - len_at - 4;
    if (len == 0) { /* empty groups are left out */
      out->len = head;
      continue;
    }
    if (len >= UINT32_MAX) return SPATE_EINVAL;
    patch_u32(out, len_at, (uint32_t)len);
    nkg++;
    if ((rc = snap_out_maybe_flush(o)) < 0) return rc;
  }
  if (out->failed) return SPATE_ENOMEM;
  if ((rc = snap_out_patch_u32(o, count_at, nkg)) < 0) return rc;
  sp_put_u32(out, (uint32_t)w->nlists);
  for (int i = 0; i < w->nlists; i++) {
    const snap_list *l = &w->lists[i];
    sp_put_str(out, l->name);
    sp_put_u8(out, (uint8_t)l->mode);
    sp_put_u32(out, l->count);
    sp_put_bytes(out, l->entries.data, l->entries.len);
  }
  return out->failed ? SPATE_ENOMEM : 0;
}

int snap_encode(snap_writer *w, sp_writer *out) {
  snap_out o = {.buf = *out}; /* everything stays in memory */
  int rc = snap_encode_to(w, &o);
  *out = o.buf;
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Decoding helpers. A semantic error is reported through the reader, at the offset of the
 * field that holds the bad value, so every message carries a position. */

__attribute__((format(printf, 3, 4))) static void fail_at(sp_reader *r, size_t pos, const char *fmt,
                                                          ...) {
  if (!sp_reader_ok(r)) return;
  char msg[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->pos = pos;
  sp_reader_fail(r, msg);
}

/* Fails unless `count` items of at least `min_size` bytes each fit in what is left, so no
 * count from the input decides an allocation before the bytes to back it are known to exist. */
static bool check_count(sp_reader *r, size_t pos, uint32_t count, size_t min_size,
                        const char *what) {
  if (!sp_reader_ok(r)) return false;
  if (count <= (r->len - r->pos) / min_size) return true;
  fail_at(r, pos, "%s %u exceeds what the remaining %zu bytes can hold", what, count,
          r->len - r->pos);
  return false;
}

/* Reads a non-NULL string without NUL bytes into a heap copy. NULL with *nomem set when the
 * copy fails, NULL with the reader failed when the input is bad. */
static char *get_name(sp_reader *r, const char *what, bool *nomem) {
  size_t pos = r->pos;
  static const uint8_t null_len[4] = {0xff, 0xff, 0xff, 0xff}; /* how sp_put_str writes NULL */
  if (sp_reader_ok(r) && r->len - r->pos >= 4 && memcmp(r->data + r->pos, null_len, 4) == 0) {
    fail_at(r, pos, "%s is a NULL string", what);
    return NULL;
  }
  uint32_t n = 0;
  const char *p = sp_get_blob(r, &n);
  if (!p) return NULL;
  if (memchr(p, 0, n)) {
    fail_at(r, pos, "%s contains a NUL byte", what);
    return NULL;
  }
  char *s = sp_strndup(p, n);
  if (!s) *nomem = true;
  return s;
}

/* Decodes the key-group part of an operator snapshot into out->kgs. */
static int decode_key_groups(sp_reader *r, snap_restore *out) {
  size_t pos = r->pos;
  uint32_t nkg = sp_get_u32(r);
  if (!check_count(r, pos, nkg, 8, "key-group count")) return SPATE_ECORRUPT;
  if (nkg > (uint32_t)ks_key_group_range_size(out->range)) {
    fail_at(r, pos, "key-group count %u exceeds the %d groups of the range [%d, %d]", nkg,
            ks_key_group_range_size(out->range), out->range.first, out->range.last);
    return SPATE_ECORRUPT;
  }
  if (nkg > 0 && !(out->kgs = sp_calloc(nkg, sizeof *out->kgs))) return SPATE_ENOMEM;
  int prev = -1;
  for (uint32_t i = 0; i < nkg; i++) {
    pos = r->pos;
    int kg = sp_get_i32(r);
    uint32_t len = 0;
    const uint8_t *data = sp_get_blob(r, &len);
    if (!data) return SPATE_ECORRUPT;
    if (!ks_key_group_range_contains(out->range, kg) || kg <= prev) {
      fail_at(r, pos, "key group %d is outside the range [%d, %d] or not after %d", kg,
              out->range.first, out->range.last, prev);
      return SPATE_ECORRUPT;
    }
    prev = kg;
    if (len > 0) out->kgs[out->nkg++] = (snap_kg_view){.kg = kg, .data = data, .len = len};
  }
  return 0;
}

/* Decodes one list (name, mode, entries) into v; v->name is set first so a failure later can
 * be cleaned up by snap_restore_free. */
static int decode_list(sp_reader *r, const snap_restore *out, snap_list_view *v) {
  size_t pos = r->pos;
  bool nomem = false;
  v->name = get_name(r, "list name", &nomem);
  if (nomem) return SPATE_ENOMEM;
  if (!v->name) return SPATE_ECORRUPT;
  for (int i = 0; i < out->nlists; i++) {
    if (strcmp(out->lists[i].name, v->name) == 0) {
      fail_at(r, pos, "list '%.40s' appears twice", v->name);
      return SPATE_ECORRUPT;
    }
  }
  pos = r->pos;
  uint8_t mode = sp_get_u8(r);
  if (sp_reader_ok(r) && mode > SNAP_BROADCAST) fail_at(r, pos, "unknown list mode %u", mode);
  v->mode = (snap_list_mode)mode;
  pos = r->pos;
  uint32_t count = sp_get_u32(r);
  if (!check_count(r, pos, count, 4, "list entry count")) return SPATE_ECORRUPT;
  if (count > 0) {
    v->data = sp_calloc(count, sizeof *v->data);
    v->len = sp_calloc(count, sizeof *v->len);
    if (!v->data || !v->len) return SPATE_ENOMEM;
  }
  for (uint32_t i = 0; i < count; i++) {
    v->data[i] = sp_get_blob(r, &v->len[i]);
    if (!v->data[i]) return SPATE_ECORRUPT;
  }
  v->count = count;
  return 0;
}

static int decode_lists(sp_reader *r, snap_restore *out) {
  size_t pos = r->pos;
  uint32_t nlists = sp_get_u32(r);
  /* name (4) + mode (1) + count (4) at least */
  if (!check_count(r, pos, nlists, 9, "list count")) return SPATE_ECORRUPT;
  if (nlists > 0 && !(out->lists = sp_calloc(nlists, sizeof *out->lists))) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < nlists; i++) {
    int rc = decode_list(r, out, &out->lists[out->nlists]);
    out->nlists++; /* counted even when it failed, so its allocations are freed */
    if (rc) return rc;
  }
  return 0;
}

/* Decodes one old subtask's encoding into out (views into s). An empty section yields an
 * empty snapshot with max_parallelism 0 (unknown). SPATE_ECORRUPT with the message in r. */
static int decode_section(const snap_section *s, snap_restore *out, sp_reader *r) {
  memset(out, 0, sizeof *out);
  out->range = (ks_key_group_range){0, -1};
  sp_reader_init(r, s->data, s->len);
  if (s->len == 0) return 0;
  uint32_t magic = sp_get_u32(r);
  if (sp_reader_ok(r) && magic != SNAP_OP_MAGIC)
    fail_at(r, 0, "bad magic 0x%08x (expected 0x%08x)", magic, SNAP_OP_MAGIC);
  uint32_t version = sp_get_u32(r);
  if (sp_reader_ok(r) && version != SNAP_VERSION)
    fail_at(r, 4, "unsupported version %u (expected %u)", version, SNAP_VERSION);
  int max = sp_get_i32(r);
  if (sp_reader_ok(r) && (max < 1 || max > SNAP_MAX_MAX_PARALLELISM))
    fail_at(r, 8, "max parallelism %d is outside [1, %d]", max, SNAP_MAX_MAX_PARALLELISM);
  ks_key_group_range range;
  range.first = sp_get_i32(r);
  range.last = sp_get_i32(r);
  /* Compared before any size is computed: last - first of hostile values would overflow. */
  bool nonempty = range.last >= range.first;
  if (sp_reader_ok(r) && nonempty && (range.first < 0 || range.last >= max))
    fail_at(r, 12, "key-group range [%d, %d] is outside [0, %d)", range.first, range.last, max);
  if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
  out->max_parallelism = max;
  if (nonempty) out->range = range;
  int rc = decode_key_groups(r, out);
  if (rc == 0) rc = decode_lists(r, out);
  if (rc == 0 && r->pos != r->len) {
    fail_at(r, r->pos, "%zu unexpected bytes after the snapshot", r->len - r->pos);
    rc = SPATE_ECORRUPT;
  }
  return rc;
}

bool snap_section_needed(const snap_section *s, ks_key_group_range range) {
  if (s->len == 0) return false;
  snap_restore dec;
  sp_reader r;
  bool needed = true; /* what does not decode is read, so that its reader reports it */
  if (decode_section(s, &dec, &r) == 0) {
    needed = dec.nlists > 0;
    for (int k = 0; k < dec.nkg && !needed; k++)
      needed = ks_key_group_range_contains(range, dec.kgs[k].kg);
  }
  snap_restore_free(&dec);
  return needed;
}

/* ---------------------------------------------------------------------------------------------
 * Assignment. */

/* Decodes all old sections into dec[nold] and checks that they agree with each other and with
 * the new max parallelism. */
static int decode_all(const snap_section *old, int nold, int max_parallelism, snap_restore *dec,
                      char *err, size_t err_len) {
  int taken = 0, from = -1; /* the max parallelism the snapshot was taken with, and where */
  for (int j = 0; j < nold; j++) {
    sp_reader r;
    int rc = decode_section(&old[j], &dec[j], &r);
    if (rc == SPATE_ENOMEM) return sp_err(err, err_len, rc, "out of memory decoding state");
    if (rc)
      return sp_err(err, err_len, rc, "the snapshot of old subtask %d of %d is corrupt: %s", j,
                    nold, r.error);
    if (dec[j].max_parallelism == 0) continue;
    if (taken && dec[j].max_parallelism != taken)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "the snapshot of old subtask %d of %d has max parallelism %d but the one of "
                    "old subtask %d has %d",
                    j, nold, dec[j].max_parallelism, from, taken);
    taken = dec[j].max_parallelism;
    from = j;
  }
  if (taken && taken != max_parallelism)
    return sp_err(err, err_len, SPATE_ESTATE,
                  "the checkpoint was taken with max parallelism %d but the operator now has %d; "
                  "changing the max parallelism is not supported",
                  taken, max_parallelism);
  return 0;
}

static int cmp_kg(const void *a, const void *b) {
  int x = ((const snap_kg_view *)a)->kg, y = ((const snap_kg_view *)b)->kg;
  return (x > y) - (x < y);
}

/* Collects the non-empty key groups of out->range from every old subtask. */
static int assign_key_groups(const snap_restore *dec, int nold, snap_restore *out, char *err,
                             size_t err_len) {
  size_t n = 0;
  for (int j = 0; j < nold; j++)
    for (int k = 0; k < dec[j].nkg; k++)
      n += ks_key_group_range_contains(out->range, dec[j].kgs[k].kg);
  if (n == 0) return 0;
  out->kgs = sp_calloc(n, sizeof *out->kgs);
  if (!out->kgs) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory assigning key groups");
  for (int j = 0; j < nold; j++)
    for (int k = 0; k < dec[j].nkg; k++)
      if (ks_key_group_range_contains(out->range, dec[j].kgs[k].kg))
        out->kgs[out->nkg++] = dec[j].kgs[k];
  /* Old ranges are disjoint and increasing, so this is sorted already unless the input lies. */
  qsort(out->kgs, (size_t)out->nkg, sizeof *out->kgs, cmp_kg);
  for (int i = 1; i < out->nkg; i++)
    if (out->kgs[i].kg == out->kgs[i - 1].kg)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "key group %d has a section in the snapshots of two old subtasks",
                    out->kgs[i].kg);
  return 0;
}

static const snap_list_view *find_view(const snap_restore *r, const char *name) {
  for (int i = 0; i < r->nlists; i++)
    if (strcmp(r->lists[i].name, name) == 0) return &r->lists[i];
  return NULL;
}

/* Which entries of list `name` new subtask index of p gets: those at positions [*lo, *hi) of
 * the concatenation of the lists of old subtasks [*jfrom, *jto). Checks that every old subtask
 * that has the list agrees on its mode. */
static int pick_entries(const snap_restore *dec, int nold, const char *name, int p, int index,
                        snap_list_mode *mode, int *jfrom, int *jto, uint64_t *lo, uint64_t *hi,
                        char *err, size_t err_len) {
  const snap_list_view *first = NULL;
  int first_j = 0;
  uint64_t total = 0;
  for (int j = 0; j < nold; j++) {
    const snap_list_view *v = find_view(&dec[j], name);
    if (!v) continue;
    if (!first) {
      first = v;
      first_j = j;
    } else if (v->mode != first->mode) {
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "list '%s' is %s in the snapshot of old subtask %d but %s in the one of old "
                    "subtask %d",
                    name, mode_name(v->mode), j, mode_name(first->mode), first_j);
    }
    total += v->count;
  }
  if (!first) return sp_err(err, err_len, SPATE_ESTATE, "no old snapshot has list '%s'", name);
  *mode = first->mode;
  *jfrom = 0;
  *jto = nold;
  *lo = 0;
  *hi = total;
  if (first->mode == SNAP_BROADCAST || (first->mode == SNAP_SPLIT && p == nold)) {
    /* One old subtask's entries, all of them. */
    *jfrom = first->mode == SNAP_BROADCAST ? index % nold : index;
    *jto = *jfrom + 1;
    const snap_list_view *v = find_view(&dec[*jfrom], name);
    *hi = v ? v->count : 0;
  } else if (first->mode == SNAP_SPLIT) {
    *lo = (uint64_t)index * total / (uint64_t)p;
    *hi = ((uint64_t)index + 1) * total / (uint64_t)p;
  }
  return 0;
}

/* Adds the view of list `name` for the new subtask to out (nothing if it gets no entry). */
static int assign_list(const snap_restore *dec, int nold, const char *name, int p, int index,
                       snap_restore *out, char *err, size_t err_len) {
  snap_list_mode mode = SNAP_SPLIT; /* all set by pick_entries when it returns 0 */
  int jfrom = 0, jto = 0;
  uint64_t lo = 0, hi = 0;
  int rc = pick_entries(dec, nold, name, p, index, &mode, &jfrom, &jto, &lo, &hi, err, err_len);
  if (rc || hi == lo) return rc;
  if (hi - lo > UINT32_MAX)
    return sp_err(err, err_len, SPATE_ECORRUPT, "list '%s' has more than %u entries", name,
                  UINT32_MAX);
  snap_list_view *v = &out->lists[out->nlists];
  memset(v, 0, sizeof *v);
  v->name = sp_strdup(name);
  v->data = sp_calloc(hi - lo, sizeof *v->data);
  v->len = sp_calloc(hi - lo, sizeof *v->len);
  out->nlists++;
  if (!v->name || !v->data || !v->len)
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory assigning list '%s'", name);
  v->mode = mode;
  uint64_t pos = 0; /* position in the concatenation */
  for (int j = jfrom; j < jto; j++) {
    const snap_list_view *src = find_view(&dec[j], name);
    for (uint32_t k = 0; src && k < src->count; k++, pos++) {
      if (pos < lo || pos >= hi) continue;
      v->data[v->count] = src->data[k];
      v->len[v->count] = src->len[k];
      v->count++;
    }
  }
  return 0;
}

/* Assigns every list named in any old snapshot, in order of first appearance. */
static int assign_lists(const snap_restore *dec, int nold, int p, int index, snap_restore *out,
                        char *err, size_t err_len) {
  size_t cap = 0;
  for (int j = 0; j < nold; j++) cap += (size_t)dec[j].nlists;
  if (cap == 0) return 0;
  out->lists = sp_calloc(cap, sizeof *out->lists);
  if (!out->lists) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory assigning lists");
  for (int j = 0; j < nold; j++) {
    for (int i = 0; i < dec[j].nlists; i++) {
      const char *name = dec[j].lists[i].name;
      bool seen = false;
      for (int k = 0; k < j && !seen; k++) seen = find_view(&dec[k], name) != NULL;
      if (seen) continue;
      int rc = assign_list(dec, nold, name, p, index, out, err, err_len);
      if (rc) return rc;
    }
  }
  return 0;
}

int snap_assign(const snap_section *old, int nold, int max_parallelism, int parallelism, int index,
                snap_restore *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  if (!old || nold < 1)
    return sp_err(err, err_len, SPATE_EINVAL, "no old subtask snapshots to assign from");
  if (max_parallelism < 1 || max_parallelism > SNAP_MAX_MAX_PARALLELISM || parallelism < 1 ||
      parallelism > max_parallelism || index < 0 || index >= parallelism)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "cannot assign state to subtask %d of %d with max parallelism %d", index,
                  parallelism, max_parallelism);
  snap_restore *dec = sp_calloc((size_t)nold, sizeof *dec);
  if (!dec) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory decoding state");
  out->max_parallelism = max_parallelism;
  out->range = ks_key_group_range_for(max_parallelism, parallelism, index);
  int rc = decode_all(old, nold, max_parallelism, dec, err, err_len);
  if (rc == 0) rc = assign_key_groups(dec, nold, out, err, err_len);
  if (rc == 0) rc = assign_lists(dec, nold, parallelism, index, out, err, err_len);
  for (int j = 0; j < nold; j++) snap_restore_free(&dec[j]);
  sp_free(dec);
  if (rc) snap_restore_free(out);
  return rc;
}

void snap_restore_free(snap_restore *r) {
  if (!r) return;
  sp_free(r->kgs);
  for (int i = 0; i < r->nlists; i++) {
    sp_free(r->lists[i].name);
    sp_free(r->lists[i].data);
    sp_free(r->lists[i].len);
  }
  sp_free(r->lists);
  memset(r, 0, sizeof *r);
}

int snap_restore_key_group(const snap_restore *r, int kg, const uint8_t **data, uint32_t *len) {
  int lo = 0, hi = r ? r->nkg : 0;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (r->kgs[mid].kg < kg)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < (r ? r->nkg : 0) && r->kgs[lo].kg == kg) {
    if (data) *data = r->kgs[lo].data;
    if (len) *len = r->kgs[lo].len;
    return 1;
  }
  return 0;
}

const snap_list_view *snap_restore_list(const snap_restore *r, const char *name) {
  if (!r || !name) return NULL;
  return find_view(r, name);
}

/* ---------------------------------------------------------------------------------------------
 * Task payloads. */

#define SNAP_TASK_VERSION 1u

/* Decodes one operator entry (uid, max parallelism, section) into op. */
static int decode_task_op(sp_reader *r, snap_task *t, snap_task_op *op) {
  size_t pos = r->pos;
  bool nomem = false;
  op->uid = get_name(r, "operator uid", &nomem);
  if (nomem) return SPATE_ENOMEM;
  if (!op->uid) return SPATE_ECORRUPT;
  if (!op->uid[0]) fail_at(r, pos, "operator %d has an empty uid", t->nops);
  for (int i = 0; i < t->nops && sp_reader_ok(r); i++)
    if (strcmp(t->ops[i].uid, op->uid) == 0)
      fail_at(r, pos, "operator uid '%.40s' appears twice", op->uid);
  pos = r->pos;
  op->max_parallelism = sp_get_i32(r);
  if (sp_reader_ok(r) &&
      (op->max_parallelism < 1 || op->max_parallelism > SNAP_MAX_MAX_PARALLELISM))
    fail_at(r, pos, "max parallelism %d is outside [1, %d]", op->max_parallelism,
            SNAP_MAX_MAX_PARALLELISM);
  uint32_t len = 0;
  op->section.data = sp_get_blob(r, &len);
  op->section.len = len;
  return sp_reader_ok(r) ? 0 : SPATE_ECORRUPT;
}

static int decode_task(sp_reader *r, snap_task *out) {
  uint32_t magic = sp_get_u32(r);
  if (sp_reader_ok(r) && magic != SNAP_TASK_MAGIC)
    fail_at(r, 0, "bad magic 0x%08x (expected 0x%08x)", magic, SNAP_TASK_MAGIC);
  uint32_t version = sp_get_u32(r);
  if (sp_reader_ok(r) && version != SNAP_TASK_VERSION)
    fail_at(r, 4, "unsupported version %u (expected %u)", version, SNAP_TASK_VERSION);
  int p = sp_get_i32(r);
  if (sp_reader_ok(r) && (p < 1 || p > SNAP_MAX_MAX_PARALLELISM))
    fail_at(r, 8, "parallelism %d is outside [1, %d]", p, SNAP_MAX_MAX_PARALLELISM);
  size_t pos = r->pos;
  uint32_t nops = sp_get_u32(r);
  /* uid (4) + max parallelism (4) + section length (4) at least */
  if (!check_count(r, pos, nops, 12, "operator count")) return SPATE_ECORRUPT;
  out->parallelism = p;
  if (nops > 0 && !(out->ops = sp_calloc(nops, sizeof *out->ops))) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < nops; i++) {
    int rc = decode_task_op(r, out, &out->ops[out->nops]);
    out->nops++; /* counted even when it failed, so its uid is freed */
    if (rc) return rc;
  }
  uint32_t len = 0;
  out->channel_state.data = sp_get_blob(r, &len);
  out->channel_state.len = len;
  if (sp_reader_ok(r) && r->pos != r->len)
    fail_at(r, r->pos, "%zu unexpected bytes after the task snapshot", r->len - r->pos);
  return sp_reader_ok(r) ? 0 : SPATE_ECORRUPT;
}

int snap_task_decode(const uint8_t *data, size_t len, snap_task *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  sp_reader r;
  sp_reader_init(&r, data, len);
  int rc = decode_task(&r, out);
  if (rc == 0) return 0;
  snap_task_free(out);
  if (rc == SPATE_ENOMEM) return sp_err(err, err_len, rc, "out of memory decoding a task snapshot");
  return sp_err(err, err_len, rc, "corrupt task snapshot: %s", r.error);
}

void snap_task_free(snap_task *t) {
  if (!t) return;
  for (int i = 0; i < t->nops; i++) sp_free(t->ops[i].uid);
  sp_free(t->ops);
  memset(t, 0, sizeof *t);
}
