/*
 * bench_nexmark_source.c: the Nexmark source alone. 10,000,000 events of nexmark-flink's default
 * configuration (1 person : 3 auctions : 46 bids, average sizes 200/500/100 bytes) go from the
 * source (the flattened table `nexmark`, include/spate/nexmark.h) to a discarding sink, at
 * parallelism 1 (or -p N: N source subtasks, each chained to its sink).
 *
 * The baseline is a loop that generates the same events with the same generator function
 * (connectors/nexmark_generator.h) and writes each into a row of the same schema with the same
 * row builder, so the ratio is what the engine adds to generating and building the rows: the
 * task, the chain, the sink. Its checksum (sum of prices, ids and string lengths over all
 * events) is printed; the engine's sink counts its records, which must equal the events.
 *
 *   bench_nexmark_source [build_dir] [-n events] [-p parallelism] [-r runs]
 */
#include "bench_util.h"
#include "connectors/nexmark_generator.h"
#include "spate/nexmark.h"

#define DEFAULT_EVENTS 10000000LL

static double run_engine(int64_t events, int p, bool verbose) {
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  if (!env) return -1;
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, p);
  char n[32];
  snprintf(n, sizeof n, "%lld", (long long)events);
  const char *opts[] = {"events.num", n, "base-time", "1700000000000", NULL};
  spate_discard(spate_name(spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts), "nexmark"));
  spate_job_result *r = spate_execute(env, "bench nexmark source");
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  if (ok) {
    long i = bench_find_operator(r, "Discard");
    uint64_t got = i < 0 ? 0 : spate_job_result_records_in(r, (size_t)i);
    if (got != (uint64_t)events) {
      fprintf(stderr, "FAIL: the sink got %llu records, expected %lld\n", (unsigned long long)got,
              (long long)events);
      ok = false;
    }
  }
  spate_job_result_free(r);
  spate_env_free(env);
  return ok ? t : -1;
}

static inline void put(spate_row_builder *rb, int i, nexmark_str s) {
  spate_rb_set_string(rb, i, s.p, s.len);
}

/* Generates every event and builds its row, as the source does, in one loop. */
static double run_baseline(int64_t events, uint64_t *checksum) {
  nexmark_config c;
  nexmark_config_defaults(&c);
  c.base_time = INT64_C(1700000000000);
  char err[256];
  nexmark_tables t;
  if (nexmark_config_check(&c, err, sizeof err) < 0 || nexmark_tables_init(&t) < 0) abort();
  spate_row_builder *rb = spate_rb_new(nexmark_event_schema());
  nexmark_gen_event *e = calloc(1, sizeof *e);
  if (!rb || !e) abort();
  uint64_t sum = 0;
  int rc = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < events; i++) {
    nexmark_generate(&c, &t, i, e);
    spate_rb_begin(rb);
    spate_rb_set_int(rb, nexmark_event_event_type_FIELD, (int32_t)e->kind);
    spate_rb_set_timestamp(rb, nexmark_event_dateTime_FIELD, e->date_time);
    if (e->kind == NEXMARK_PERSON) {
      const nexmark_gen_person *p = &e->person;
      spate_rb_set_bigint(rb, nexmark_event_person_id_FIELD, p->id);
      put(rb, nexmark_event_person_name_FIELD, p->name);
      put(rb, nexmark_event_person_emailAddress_FIELD, p->email);
      put(rb, nexmark_event_person_creditCard_FIELD, p->credit_card);
      put(rb, nexmark_event_person_city_FIELD, p->city);
      put(rb, nexmark_event_person_state_FIELD, p->state);
      spate_rb_set_timestamp(rb, nexmark_event_person_dateTime_FIELD, e->date_time);
      put(rb, nexmark_event_person_extra_FIELD, p->extra);
      sum += (uint64_t)p->id + p->extra.len;
    } else if (e->kind == NEXMARK_AUCTION) {
      const nexmark_gen_auction *a = &e->auction;
      spate_rb_set_bigint(rb, nexmark_event_auction_id_FIELD, a->id);
      put(rb, nexmark_event_auction_itemName_FIELD, a->item_name);
      put(rb, nexmark_event_auction_description_FIELD, a->description);
      spate_rb_set_bigint(rb, nexmark_event_auction_initialBid_FIELD, a->initial_bid);
      spate_rb_set_bigint(rb, nexmark_event_auction_reserve_FIELD, a->reserve);
      spate_rb_set_timestamp(rb, nexmark_event_auction_dateTime_FIELD, e->date_time);
      spate_rb_set_timestamp(rb, nexmark_event_auction_expires_FIELD, a->expires);
      spate_rb_set_bigint(rb, nexmark_event_auction_seller_FIELD, a->seller);
      spate_rb_set_bigint(rb, nexmark_event_auction_category_FIELD, a->category);
      put(rb, nexmark_event_auction_extra_FIELD, a->extra);
      sum += (uint64_t)a->id + (uint64_t)a->reserve + a->extra.len;
    } else {
      const nexmark_gen_bid *b = &e->bid;
      spate_rb_set_bigint(rb, nexmark_event_bid_auction_FIELD, b->auction);
      spate_rb_set_bigint(rb, nexmark_event_bid_bidder_FIELD, b->bidder);
      spate_rb_set_bigint(rb, nexmark_event_bid_price_FIELD, b->price);
      put(rb, nexmark_event_bid_channel_FIELD, b->channel);
      put(rb, nexmark_event_bid_url_FIELD, b->url);
      spate_rb_set_timestamp(rb, nexmark_event_bid_dateTime_FIELD, e->date_time);
      put(rb, nexmark_event_bid_extra_FIELD, b->extra);
      sum += (uint64_t)b->price + b->extra.len;
    }
    spate_row row;
    rc |= spate_rb_finish(rb, &row);
    sum += row.len;
  }
  double secs = bench_now() - t0;
  if (rc) {
    fprintf(stderr, "FAIL: baseline row building failed: %s\n", spate_rb_error(rb));
    exit(1);
  }
  spate_rb_free(rb);
  free(e);
  nexmark_tables_free(&t);
  *checksum = sum;
  return secs;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int64_t events = o.count ? o.count : DEFAULT_EVENTS;
  int p = o.parallelism ? o.parallelism : 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf(
      "nexmark-source: %lld events (1:3:46) from the Nexmark source to a discarding sink, "
      "parallelism %d\n",
      (long long)events, p);
  bench_best base = {0}, eng = {0};
  uint64_t checksum = 0, first = 0;
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) {
      bench_record(&base, "baseline", run_baseline(events, &checksum));
      if (base.done == 1) first = checksum;
      if (checksum != first) {
        fprintf(stderr, "FAIL: the baseline's checksum changed between runs\n");
        return 1;
      }
    }
    if (bench_again(&eng, &o)) {
      double t = run_engine(events, p, eng.done == 0);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  printf("checksum: %llu\n", (unsigned long long)checksum);
  char name[32];
  snprintf(name, sizeof name, p == 1 ? "nexmark-source" : "nexmark-source-p%d", p);
  bench_report(name, events, eng.best_s, base.best_s);
  return 0;
}
