/*
 * keyed_state.c: the heap keyed-state backend (see keyed_state.h for the contract): creating
 * and freeing a backend, its error message, registering states and the current key and
 * namespace. The rest of the backend lives in files of its own that share ks_internal.h (which
 * also describes the layout): ks_table.c (the copy-on-write table of a key group), ks_states.c
 * (the five kinds of state), ks_ttl.c (expiry), ks_codec.c (a key group's checkpoint encoding
 * and the lazy restore of states registered later) and ks_snapshot.c (copy-on-write snapshots).
 */
#include "state/keyed_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/prefetch.h"
#include "state/ks_internal.h"
#include "types/row.h"
#include "types/schema.h"

int ks_fail(ks_backend *b, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->err, sizeof b->err, fmt, ap);
  va_end(ap);
  return rc;
}

int ks_no_memory(ks_backend *b, const ks_state *s) {
  return ks_fail(b, SPATE_ENOMEM, "out of memory in state '%s'", s ? s->name : "?");
}

const char *ks_kind_name(ks_kind kind) {
  switch (kind) {
  case KS_VALUE: return "VALUE";
  case KS_LIST: return "LIST";
  case KS_MAP: return "MAP";
  case KS_REDUCING: return "REDUCING";
  case KS_AGGREGATING: return "AGGREGATING";
  }
  return "?";
}

int ks_backend_new(int max_parallelism, ks_key_group_range range, ks_clock_fn clock,
                   void *clock_arg, ks_backend **out) {
  *out = NULL;
  if (max_parallelism < 1 || max_parallelism > 32768 || range.first < 0 ||
      range.last >= max_parallelism || range.last < range.first)
    return SPATE_EINVAL;
  ks_backend *b = sp_calloc(1, sizeof *b);
  if (!b) return SPATE_ENOMEM;
  b->groups = sp_calloc((size_t)ks_key_group_range_size(range), sizeof *b->groups);
  if (!b->groups) {
    sp_free(b);
    return SPATE_ENOMEM;
  }
  b->max_parallelism = max_parallelism;
  b->range = range;
  b->clock = clock;
  b->clock_arg = clock_arg;
  b->empty_ns_hash = b->ns_hash = bytes_hash(NULL, 0);
  *out = b;
  return 0;
}

void ks_state_free(ks_state *s) {
  if (!s) return;
  sp_free(s->name);
  schema_unref(s->value_schema);
  schema_unref(s->user_key_schema);
  schema_unref(s->acc_schema);
  schema_unref(s->result_schema);
  rb_destroy(&s->rb_out);
  rb_destroy(&s->rb_init);
  rb_destroy(&s->rb_result);
  sp_free(s);
}

void ks_backend_free(ks_backend *b) {
  if (!b) return;
  if (b->snap) ks_snapshot_release(b->snap); /* the caller should have; see the header */
  ks_pending_free_all(b);
  int n = ks_key_group_range_size(b->range);
  for (int i = 0; i < n; i++) ks_table_free(b, &b->groups[i]);
  ks_arena_close(&b->arena);
  sp_slab_destroy(&b->slab);
  sp_free(b->groups);
  for (uint32_t i = 0; i < b->nstates; i++) ks_state_free(b->states[i]);
  sp_free(b->states);
  sp_free(b->key);
  sp_free(b->ns);
  sp_free(b->scratch);
  sp_free(b);
}

const char *ks_error(const ks_backend *b) { return b->err; }
ks_key_group_range ks_backend_range(const ks_backend *b) { return b->range; }
int ks_backend_max_parallelism(const ks_backend *b) { return b->max_parallelism; }
const char *ks_state_name(const ks_state *s) { return s->name; }
ks_kind ks_state_kind(const ks_state *s) { return s->kind; }

ks_state *ks_find_state(const ks_backend *b, const char *name) {
  for (uint32_t i = 0; i < b->nstates; i++)
    if (strcmp(b->states[i]->name, name) == 0) return b->states[i];
  return NULL;
}

static bool same_shape(const ks_state *s, const ks_descriptor *d) {
  return s->kind == d->kind && schema_equal(s->value_schema, d->value_schema) &&
         schema_equal(s->user_key_schema, d->kind == KS_MAP ? d->user_key_schema : NULL) &&
         schema_equal(s->acc_schema, d->kind == KS_AGGREGATING ? d->acc_schema : NULL) &&
         schema_equal(s->result_schema, d->kind == KS_AGGREGATING ? d->result_schema : NULL);
}

static int check_descriptor(ks_backend *b, const ks_descriptor *d) {
  const char *n = d->name;
  if (!n || !n[0]) return ks_fail(b, SPATE_EINVAL, "state descriptor without a name");
  if (d->kind < KS_VALUE || d->kind > KS_AGGREGATING)
    return ks_fail(b, SPATE_EINVAL, "state '%s': unknown kind %d", n, (int)d->kind);
  if (!d->value_schema) return ks_fail(b, SPATE_EINVAL, "state '%s': no value schema", n);
  if (d->kind == KS_MAP && !d->user_key_schema)
    return ks_fail(b, SPATE_EINVAL, "MAP state '%s': no user key schema", n);
  if (d->kind == KS_REDUCING && !d->reduce)
    return ks_fail(b, SPATE_EINVAL, "REDUCING state '%s': no reduce function", n);
  if (d->kind == KS_AGGREGATING &&
      (!d->acc_schema || !d->result_schema || !d->agg_add || !d->agg_result))
    return ks_fail(b, SPATE_EINVAL,
                   "AGGREGATING state '%s' needs accumulator and result schemas, add and get-result"
                   " functions",
                   n);
  if (d->ttl.update != KS_TTL_DISABLED) {
    if (d->ttl.update != KS_TTL_ON_CREATE_AND_WRITE && d->ttl.update != KS_TTL_ON_READ_AND_WRITE)
      return ks_fail(b, SPATE_EINVAL, "state '%s': unknown TTL update type %d", n,
                     (int)d->ttl.update);
    if (d->ttl.ttl_ms <= 0)
      return ks_fail(b, SPATE_EINVAL, "state '%s': TTL must be positive, got %lld ms", n,
                     (long long)d->ttl.ttl_ms);
    if (!b->clock)
      return ks_fail(b, SPATE_EINVAL, "state '%s' has a TTL but the backend has no clock", n);
  }
  return 0;
}

int ks_register(ks_backend *b, const ks_descriptor *d, ks_state **out) {
  *out = NULL;
  int rc = check_descriptor(b, d);
  if (rc < 0) return rc;
  ks_state *s = ks_find_state(b, d->name);
  if (s) {
    if (!same_shape(s, d))
      return ks_fail(b, SPATE_ESTATE,
                     "state '%s' is already registered as %s with other schemas; cannot register it"
                     " as %s",
                     d->name, ks_kind_name(s->kind), ks_kind_name(d->kind));
    *out = s;
    return 0;
  }
  if ((rc = ks_pending_check(b, d)) < 0) return rc;
  if (b->nstates >= KS_MAX_STATES) /* an entry keeps the index in 15 bits (ks_internal.h) */
    return ks_fail(b, SPATE_EINVAL, "state '%s': a backend holds at most %u states", d->name,
                   (unsigned)KS_MAX_STATES);
  if (b->nstates == b->states_cap) {
    uint32_t cap = b->states_cap ? b->states_cap * 2 : 4;
    ks_state **ns = sp_realloc(b->states, cap * sizeof *ns);
    if (!ns) return ks_no_memory(b, NULL);
    b->states = ns;
    b->states_cap = cap;
  }
  s = sp_calloc(1, sizeof *s);
  if (!s) return ks_no_memory(b, NULL);
  s->b = b;
  s->id = b->nstates;
  s->kind = d->kind;
  s->name = sp_strdup(d->name);
  s->value_schema = schema_ref(d->value_schema);
  s->value_nf = (uint32_t)d->value_schema->nfields;
  if (d->kind == KS_MAP) {
    s->user_key_schema = schema_ref(d->user_key_schema);
    s->user_key_nf = (uint32_t)d->user_key_schema->nfields;
  }
  s->reduce = d->reduce;
  s->agg_create = d->agg_create;
  s->agg_add = d->agg_add;
  s->agg_result = d->agg_result;
  s->fn_arg = d->fn_arg;
  s->ttl = d->ttl;
  s->has_ttl = d->ttl.update != KS_TTL_DISABLED;
  rc = s->name ? 0 : SPATE_ENOMEM;
  if (rc == 0 && d->kind == KS_REDUCING) rc = rb_init(&s->rb_out, d->value_schema);
  if (rc == 0 && d->kind == KS_AGGREGATING) {
    s->acc_schema = schema_ref(d->acc_schema);
    s->result_schema = schema_ref(d->result_schema);
    rc = rb_init(&s->rb_out, d->acc_schema);
    if (rc == 0) rc = rb_init(&s->rb_init, d->acc_schema);
    if (rc == 0) rc = rb_init(&s->rb_result, d->result_schema);
  }
  if (rc < 0) {
    ks_state_free(s);
    return ks_no_memory(b, NULL);
  }
  b->states[b->nstates++] = s;
  if ((rc = ks_pending_apply(b, s)) < 0) return rc; /* s is unregistered again */
  *out = s;
  return 0;
}

int ks_lookup(ks_backend *b, const char *name, ks_state **out) {
  *out = name ? ks_find_state(b, name) : NULL;
  if (!*out) return ks_fail(b, SPATE_ESTATE, "unknown state '%s'", name ? name : "(null)");
  return 0;
}

/* Copies len bytes into a growable buffer; the buffer only grows. */
static int set_bytes(uint8_t **buf, uint32_t *cap, const void *p, uint32_t len) {
  if (len > *cap) {
    uint32_t ncap = len < 64 ? 64 : len;
    uint8_t *n = sp_realloc(*buf, ncap);
    if (!n) return SPATE_ENOMEM;
    *buf = n;
    *cap = ncap;
  }
  copy_bytes(*buf, p, len);
  return 0;
}

int ks_set_current_key(ks_backend *b, const void *key, uint32_t len, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group))
    return ks_fail(b, SPATE_EINVAL, "key group %d is outside this backend's range [%d, %d]",
                   key_group, b->range.first, b->range.last);
  if (!key && len) return ks_fail(b, SPATE_EINVAL, "NULL key with length %u", len);
  if (set_bytes(&b->key, &b->key_cap, key, len) < 0) {
    b->has_key = false;
    return ks_no_memory(b, NULL);
  }
  b->key_len = len;
  b->key_hash = bytes_hash(b->key, len);
  b->key_group = key_group;
  b->ns_len = 0;
  b->ns_hash = b->empty_ns_hash;
  b->has_key = true;
  return 0;
}

/* Prefetches the entry of (state, key, namespace) in t whose slot the hint KS_PREFETCH_LAG
 * calls ago started loading: the first slots of its probe run are read (by now in the cache)
 * and the entry whose tag matches is prefetched. The addresses are only prefetched, never
 * dereferenced, so a slot changed since is harmless. */
static void prefetch_entries(const ks_table *t, uint64_t key_hash, uint64_t ns_hash,
                             uint32_t nstates) {
  const ks_slot *slots = t->slots;
  if (!slots) return;
  for (uint32_t s = 0; s < nstates; s++) {
    uint64_t h = entry_hash(key_hash, ns_hash, s), tag = h & ~SLOT_PTR_MASK;
    for (uint32_t i = (uint32_t)h & t->mask, n = 0; n < 4; i = (i + 1) & t->mask, n++) {
      ks_slot sl = slots[i];
      if (!sl) break;
      if ((sl & ~SLOT_PTR_MASK) == tag) {
        sp_prefetch(slot_entry(sl));
        break;
      }
    }
  }
}

void ks_prefetch(ks_backend *b, const void *key, uint32_t len, const void *ns, uint32_t ns_len,
                 int key_group) {
  uint32_t nstates = b->nstates < KS_PREFETCH_STATES ? b->nstates : KS_PREFETCH_STATES;
  if (!nstates || !ks_key_group_range_contains(b->range, key_group)) return;
  ks_table *t = &b->groups[key_group - b->range.first];
  uint64_t key_hash = bytes_hash(len ? key : empty_bytes, len);
  uint64_t ns_hash = ns_len ? bytes_hash(ns, ns_len) : b->empty_ns_hash;
  uint32_t r = b->pf_next;
  b->pf_next = (r + 1) % KS_PREFETCH_LAG;
  if (b->pf[r].t) prefetch_entries(b->pf[r].t, b->pf[r].key_hash, b->pf[r].ns_hash, nstates);
  b->pf[r].t = t;
  b->pf[r].key_hash = key_hash;
  b->pf[r].ns_hash = ns_hash;
  if (!t->slots) return;
  for (uint32_t s = 0; s < nstates; s++)
    sp_prefetch(&t->slots[(uint32_t)entry_hash(key_hash, ns_hash, s) & t->mask]);
}

bool ks_prefetch_useful(const ks_backend *b, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group)) return false;
  const ks_table *t = &b->groups[key_group - b->range.first];
  return (uint64_t)t->count * (uint64_t)ks_key_group_range_size(b->range) >=
         KS_PREFETCH_MIN_ENTRIES;
}

int ks_set_namespace(ks_backend *b, const void *ns, uint32_t len) {
  if (!ns && len) return ks_fail(b, SPATE_EINVAL, "NULL namespace with length %u", len);
  if (len > KS_MAX_NAMESPACE) /* an entry keeps the length in 16 bits (ks_internal.h) */
    return ks_fail(b, SPATE_EINVAL, "namespace of %u bytes: at most %u", len,
                   (unsigned)KS_MAX_NAMESPACE);
  if (len == 0) {
    b->ns_len = 0;
    b->ns_hash = b->empty_ns_hash;
    return 0;
  }
  if (len != b->ns_buf_len || !bytes_eq(b->ns, ns, len)) {
    if (set_bytes(&b->ns, &b->ns_cap, ns, len) < 0) return ks_no_memory(b, NULL);
    b->ns_buf_len = len;
    b->ns_buf_hash = bytes_hash(b->ns, len);
  }
  b->ns_len = len;
  b->ns_hash = b->ns_buf_hash;
  return 0;
}

void ks_get_namespace(const ks_backend *b, const uint8_t **ns, uint32_t *len) {
  *ns = b->ns;
  *len = b->ns_len;
}

void ks_unset_current_key(ks_backend *b) { b->has_key = false; }

int ks_check_group(ks_backend *b, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group))
    return ks_fail(b, SPATE_EINVAL, "key group %d is outside this backend's range [%d, %d]",
                   key_group, b->range.first, b->range.last);
  return 0;
}
