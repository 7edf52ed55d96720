/*
 * nexmark_source.c: the Nexmark source operator (include/spate/nexmark.h). It walks event
 * numbers and writes each event, generated from its number alone (nexmark_generator.h), as a row
 * of the stream it serves: the flattened table, or one kind's view (other kinds are skipped
 * without being generated).
 *
 * Splits and checkpoints: the event numbers are cut into splits as the sequence and generator
 * sources' indices (index_splits.h): a bounded source gives subtask i of p the range
 * [N * i / p, N * (i + 1) / p), an unbounded one the numbers i, i + p, i + 2p, ... The SPLIT list
 * "nexmark-splits" keeps one entry per unfinished split: i64 next, i64 end (-1: unbounded), i64
 * step, i64 base time (the base time of the run that started the stream, so that a job rebuilt
 * later, whose default base time is its own build time, continues the same timeline). A restore
 * at any parallelism hands the splits out again, so every event number is emitted exactly once,
 * and the events are the same as before the failure, being functions of their numbers.
 *
 * Watermarks (the DDL's `dateTime - INTERVAL '4' SECOND`): every watermark interval of the
 * task's clock, the lowest event time any split of the subtask can still reach (that of the
 * last number it consumed; event time grows with the number) minus 4 s, when it advanced.
 *
 * Rate limit (max-emit-speed false): first-event.rate events per second over all subtasks,
 * each subtask rate / p on the task's clock (ahead of schedule it sets a timer and returns
 * SRC_WAIT), as the rate-limited generator does.
 */
#include <string.h>

#include "base/alloc.h"
#include "connectors/index_splits.h"
#include "connectors/nexmark_generator.h"
#include "connectors/registry.h"
#include "graph/op_params.h"
#include "spate/nexmark.h"

#define SPLITS_STATE "nexmark-splits"
#define WATERMARK_DELAY_MS 4000

typedef struct nexmark_src {
  nexmark_config cfg;
  nexmark_tables tables;
  nexmark_gen_event *ev, *ahead; /* the event being emitted, the one generated ahead of it */
  int64_t ahead_n;               /* the number of *ahead (-1: none) */
  nexmark_gen_event bufs[2];
  uint8_t stream;    /* spate_nexmark_stream */
  int kind;          /* the kind a view serves; -1: all */
  idx_splits splits; /* of event numbers: events_num, or unbounded */
  int64_t wm_interval, wm_next_at, wm_emitted;
  rate_limit limit; /* unless max-emit-speed */
} nexmark_src;

static void nexmark_close(op_t *op) {
  nexmark_src *s = op->impl;
  if (s) {
    nexmark_tables_free(&s->tables);
    idx_splits_free(&s->splits);
  }
  sp_free(s);
}

static int nexmark_open(op_t *op) {
  nexmark_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  op_nexmark_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_nexmark_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "nexmark source parameters are corrupt: %s", err);
  s->cfg = (nexmark_config){.events_num = p.events_num,
                            .base_time = p.base_time,
                            .first_rate = p.first_rate,
                            .next_rate = p.next_rate,
                            .max_emit_speed = p.max_emit_speed,
                            .person_proportion = p.person_proportion,
                            .auction_proportion = p.auction_proportion,
                            .bid_proportion = p.bid_proportion,
                            .hot_sellers = p.hot_sellers,
                            .hot_auctions = p.hot_auctions,
                            .hot_bidders = p.hot_bidders,
                            .person_avg = p.person_avg,
                            .auction_avg = p.auction_avg,
                            .bid_avg = p.bid_avg};
  if ((rc = nexmark_config_check(&s->cfg, err, sizeof err)) < 0)
    return op_fail(op, SPATE_ECORRUPT, "nexmark source parameters are corrupt: %s", err);
  if (p.stream > SPATE_NEXMARK_BID || p.watermark_interval < 0)
    return op_fail(op, SPATE_ECORRUPT, "nexmark source parameters are corrupt: stream %u",
                   p.stream);
  s->stream = p.stream;
  s->kind = p.stream == SPATE_NEXMARK_EVENTS ? -1 : p.stream - 1;
  s->wm_interval = p.watermark_interval;
  s->wm_emitted = INT64_MIN;
  s->wm_next_at = op_now(op);
  s->ev = &s->bufs[0];
  s->ahead = &s->bufs[1];
  s->ahead_n = -1;
  int par = op->ctx.parallelism, i = op->ctx.subtask;
  rate_limit_init(&s->limit, s->cfg.max_emit_speed ? 0 : s->cfg.first_rate, par, op_now(op));
  if ((rc = nexmark_tables_init(&s->tables)) < 0)
    return op_fail(op, rc, "out of memory building the nexmark tables");
  /* event ids are numbers + 2 (nexmark_event_id): the last number keeps them in an int64 */
  return idx_splits_init(&s->splits, s->cfg.events_num > 0 ? s->cfg.events_num : -1, INT64_MAX - 2,
                         i, par);
}

/* Whether the kind the stream serves has no events at all (then it ends at once). */
static bool serves_nothing(const nexmark_src *s) {
  int32_t prop[3] = {s->cfg.person_proportion, s->cfg.auction_proportion, s->cfg.bid_proportion};
  return s->kind >= 0 && prop[s->kind] == 0;
}

static inline void put_str(spate_row_builder *rb, int i, nexmark_str v) {
  spate_rb_set_string(rb, i, v.p, v.len);
}

/* Writes the event as a row of the stream's schema into op->rb. */
static void write_row(op_t *op, const nexmark_src *s) {
  const nexmark_gen_event *e = s->ev;
  spate_row_builder *rb = &op->rb;
  spate_rb_begin(rb);
  if (s->stream == SPATE_NEXMARK_EVENTS) {
    spate_rb_set_int(rb, nexmark_event_event_type_FIELD, (int32_t)e->kind);
    spate_rb_set_timestamp(rb, nexmark_event_dateTime_FIELD, e->date_time);
    if (e->kind == NEXMARK_PERSON) {
      const nexmark_gen_person *p = &e->person;
      spate_rb_set_bigint(rb, nexmark_event_person_id_FIELD, p->id);
      put_str(rb, nexmark_event_person_name_FIELD, p->name);
      put_str(rb, nexmark_event_person_emailAddress_FIELD, p->email);
      put_str(rb, nexmark_event_person_creditCard_FIELD, p->credit_card);
      put_str(rb, nexmark_event_person_city_FIELD, p->city);
      put_str(rb, nexmark_event_person_state_FIELD, p->state);
      spate_rb_set_timestamp(rb, nexmark_event_person_dateTime_FIELD, e->date_time);
      put_str(rb, nexmark_event_person_extra_FIELD, p->extra);
    } else if (e->kind == NEXMARK_AUCTION) {
      const nexmark_gen_auction *a = &e->auction;
      spate_rb_set_bigint(rb, nexmark_event_auction_id_FIELD, a->id);
      put_str(rb, nexmark_event_auction_itemName_FIELD, a->item_name);
      put_str(rb, nexmark_event_auction_description_FIELD, a->description);
      spate_rb_set_bigint(rb, nexmark_event_auction_initialBid_FIELD, a->initial_bid);
      spate_rb_set_bigint(rb, nexmark_event_auction_reserve_FIELD, a->reserve);
      spate_rb_set_timestamp(rb, nexmark_event_auction_dateTime_FIELD, e->date_time);
      spate_rb_set_timestamp(rb, nexmark_event_auction_expires_FIELD, a->expires);
      spate_rb_set_bigint(rb, nexmark_event_auction_seller_FIELD, a->seller);
      spate_rb_set_bigint(rb, nexmark_event_auction_category_FIELD, a->category);
      put_str(rb, nexmark_event_auction_extra_FIELD, a->extra);
    } else {
      const nexmark_gen_bid *b = &e->bid;
      spate_rb_set_bigint(rb, nexmark_event_bid_auction_FIELD, b->auction);
      spate_rb_set_bigint(rb, nexmark_event_bid_bidder_FIELD, b->bidder);
      spate_rb_set_bigint(rb, nexmark_event_bid_price_FIELD, b->price);
      put_str(rb, nexmark_event_bid_channel_FIELD, b->channel);
      put_str(rb, nexmark_event_bid_url_FIELD, b->url);
      spate_rb_set_timestamp(rb, nexmark_event_bid_dateTime_FIELD, e->date_time);
      put_str(rb, nexmark_event_bid_extra_FIELD, b->extra);
    }
  } else if (e->kind == NEXMARK_PERSON) {
    const nexmark_gen_person *p = &e->person;
    spate_rb_set_bigint(rb, nexmark_person_id_FIELD, p->id);
    put_str(rb, nexmark_person_name_FIELD, p->name);
    put_str(rb, nexmark_person_emailAddress_FIELD, p->email);
    put_str(rb, nexmark_person_creditCard_FIELD, p->credit_card);
    put_str(rb, nexmark_person_city_FIELD, p->city);
    put_str(rb, nexmark_person_state_FIELD, p->state);
    spate_rb_set_timestamp(rb, nexmark_person_dateTime_FIELD, e->date_time);
    put_str(rb, nexmark_person_extra_FIELD, p->extra);
  } else if (e->kind == NEXMARK_AUCTION) {
    const nexmark_gen_auction *a = &e->auction;
    spate_rb_set_bigint(rb, nexmark_auction_id_FIELD, a->id);
    put_str(rb, nexmark_auction_itemName_FIELD, a->item_name);
    put_str(rb, nexmark_auction_description_FIELD, a->description);
    spate_rb_set_bigint(rb, nexmark_auction_initialBid_FIELD, a->initial_bid);
    spate_rb_set_bigint(rb, nexmark_auction_reserve_FIELD, a->reserve);
    spate_rb_set_timestamp(rb, nexmark_auction_dateTime_FIELD, e->date_time);
    spate_rb_set_timestamp(rb, nexmark_auction_expires_FIELD, a->expires);
    spate_rb_set_bigint(rb, nexmark_auction_seller_FIELD, a->seller);
    spate_rb_set_bigint(rb, nexmark_auction_category_FIELD, a->category);
    put_str(rb, nexmark_auction_extra_FIELD, a->extra);
  } else {
    const nexmark_gen_bid *b = &e->bid;
    spate_rb_set_bigint(rb, nexmark_bid_auction_FIELD, b->auction);
    spate_rb_set_bigint(rb, nexmark_bid_bidder_FIELD, b->bidder);
    spate_rb_set_bigint(rb, nexmark_bid_price_FIELD, b->price);
    put_str(rb, nexmark_bid_channel_FIELD, b->channel);
    put_str(rb, nexmark_bid_url_FIELD, b->url);
    spate_rb_set_timestamp(rb, nexmark_bid_dateTime_FIELD, e->date_time);
    put_str(rb, nexmark_bid_extra_FIELD, b->extra);
  }
}

/* A view on a split of step 1 moves straight to the next number of its kind (or the end). */
static void skip_to_kind(nexmark_src *s, idx_split *sp) {
  const nexmark_config *c = &s->cfg;
  int64_t lo = s->kind == NEXMARK_PERSON    ? 0
               : s->kind == NEXMARK_AUCTION ? c->person_proportion
                                            : (int64_t)c->person_proportion + c->auction_proportion;
  int64_t hi = lo + (s->kind == NEXMARK_PERSON    ? c->person_proportion
                     : s->kind == NEXMARK_AUCTION ? c->auction_proportion
                                                  : c->bid_proportion);
  int64_t rem = nexmark_event_id(sp->next) % c->total_proportion, skip = 0;
  if (rem < lo)
    skip = lo - rem;
  else if (rem >= hi)
    skip = c->total_proportion - rem + lo;
  if (skip == 0) return;
  if (__builtin_add_overflow(sp->next, skip, &sp->next) || sp->next > INT64_MAX - 2)
    sp->next = INT64_MAX - 2;
  if (sp->end >= 0 && sp->next > sp->end) sp->next = sp->end;
}

/* Emits up to budget events of split `at` (bounded splits: the first one; unbounded ones in
 * turn), skipping numbers of other kinds in a view. */
static int emit_some(op_t *op, nexmark_src *s, int budget) {
  idx_splits *splits = &s->splits;
  int at = idx_splits_at(splits), before = splits->n;
  /* a view on a stepped split inspects each number: bound the numbers looked at per poll */
  int64_t looks = (int64_t)budget * 64;
  while (budget > 0 && looks-- > 0 && splits->n == before) {
    idx_split *sp = &splits->v[at];
    if (s->kind >= 0) {
      if (sp->step == 1) {
        skip_to_kind(s, sp);
        if (sp->end >= 0 && sp->next >= sp->end) {
          sp->next = sp->end - 1; /* nothing of the kind left: drop the split */
          idx_splits_advance(splits, at);
          break;
        }
      } else if ((int)nexmark_kind_of(&s->cfg, nexmark_event_id(sp->next)) != s->kind) {
        idx_splits_advance(splits, at);
        continue;
      }
    }
    if (atomic_load_explicit(op->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
    int64_t n = sp->next, m = n + sp->step;
    if (n == s->ahead_n) { /* generated ahead: take it */
      nexmark_gen_event *e = s->ev;
      s->ev = s->ahead;
      s->ahead = e;
    } else {
      nexmark_generate(&s->cfg, &s->tables, n, s->ev);
    }
    s->ahead_n = -1;
    /* Generate the split's next event before writing this one: its extra, cut from anywhere in
     * the 1 MiB table, is being loaded (nexmark_generator.c prefetches it) while this row is
     * written. Events are functions of their numbers, so one generated ahead stays valid. */
    if (m <= INT64_MAX - 2 && (sp->end < 0 || m < sp->end) &&
        (s->kind < 0 || (int)nexmark_kind_of(&s->cfg, nexmark_event_id(m)) == s->kind)) {
      nexmark_generate(&s->cfg, &s->tables, m, s->ahead);
      s->ahead_n = m;
    }
    idx_splits_advance(splits, at);
    write_row(op, s);
    int rc = op_emit_built(op, s->ev->date_time, "nexmark source");
    if (rc < 0) return rc;
    rate_limit_took(&s->limit);
    budget--;
  }
  idx_splits_turn(splits, at, before);
  return 0;
}

/* The watermark the splits allow: the event time of the last number any of them consumed (the
 * lowest any can still reach) minus 4 s; INT64_MIN when the subtask has no split. */
static int64_t split_watermark(const nexmark_src *s) {
  int64_t wm = INT64_MAX;
  for (int i = 0; i < s->splits.n; i++) {
    const idx_split *sp = &s->splits.v[i];
    int64_t last = sp->next - sp->step > 0 ? sp->next - sp->step : 0;
    int64_t t = nexmark_timestamp(&s->cfg, nexmark_event_number(last)) - WATERMARK_DELAY_MS;
    if (t < wm) wm = t;
  }
  return s->splits.n ? wm : INT64_MIN;
}

static int maybe_watermark(op_t *op, nexmark_src *s) {
  if (s->wm_interval <= 0) return 0;
  int64_t now = op_now(op);
  if (now < s->wm_next_at) return 0;
  s->wm_next_at = now + s->wm_interval;
  int64_t wm = split_watermark(s);
  if (wm == INT64_MIN || wm <= s->wm_emitted) return 0;
  s->wm_emitted = wm;
  return op_forward_watermark(op, wm);
}

/* The rate limiter's timer: only wakes the task so that it polls again. */
static int wake(op_t *op, int64_t now) {
  ((nexmark_src *)op->impl)->limit.wake_at = INT64_MIN;
  return 0;
}

static int nexmark_poll(op_t *op, int budget) {
  nexmark_src *s = op->impl;
  if (s->splits.n == 0 || serves_nothing(s)) return SRC_END;
  int rc = maybe_watermark(op, s);
  if (rc < 0) return rc;
  int n = rate_limit_permits(op, &s->limit, budget, wake);
  if (n < 0) return n;
  if (n == 0) return SRC_WAIT;
  if ((rc = emit_some(op, s, n)) < 0) return rc;
  return s->splits.n ? SRC_MORE : SRC_END;
}

static int nexmark_snapshot(op_t *op, int64_t id, snap_writer *w) {
  nexmark_src *s = op->impl;
  for (int i = 0; i < s->splits.n; i++) {
    uint8_t e[IDX_SPLIT_BYTES + 8];
    idx_split_put(&s->splits.v[i], e);
    sp_patch_i64(e + IDX_SPLIT_BYTES, s->cfg.base_time);
    int rc = snap_list_add(w, SPLITS_STATE, SNAP_SPLIT, e, sizeof e);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot the nexmark source's splits");
  }
  return 0;
}

/* Takes the restored splits (and their base time), checking each against the source. */
static int nexmark_restore(op_t *op, const snap_restore *r) {
  nexmark_src *s = op->impl;
  const snap_list_view *l = snap_restore_list(r, SPLITS_STATE);
  s->ahead_n = -1; /* the base time may change */
  if (idx_splits_reset(&s->splits, l ? l->count : 0) < 0) return SPATE_ENOMEM;
  for (uint32_t i = 0; l && i < l->count; i++) {
    if (l->len[i] != IDX_SPLIT_BYTES + 8)
      return op_fail(op, SPATE_ECORRUPT, "restored nexmark split %u is %u bytes long, expected %d",
                     i, l->len[i], IDX_SPLIT_BYTES + 8);
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    char err[SP_ERRMSG_MAX];
    int rc = idx_splits_restore_one(&s->splits, i, &e, err, sizeof err);
    if (rc < 0) return op_fail(op, rc, "nexmark source: %s", err);
    int64_t base = sp_get_i64(&e);
    if (base < 0 || base > (INT64_C(1) << 50))
      return op_fail(op, SPATE_ECORRUPT, "restored nexmark split %u has base time %lld", i,
                     (long long)base);
    if (i > 0 && base != s->cfg.base_time)
      return op_fail(op, SPATE_ECORRUPT, "restored nexmark splits disagree on the base time");
    s->cfg.base_time = base;
  }
  return 0;
}

const op_vtable op_source_nexmark_vt = {.open = nexmark_open,
                                        .poll = nexmark_poll,
                                        .close = nexmark_close,
                                        .snapshot = nexmark_snapshot,
                                        .restore = nexmark_restore};
