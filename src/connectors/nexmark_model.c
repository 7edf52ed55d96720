/*
 * nexmark_model.c: the Nexmark source's configuration: nexmark-flink's defaults, reading the
 * `nexmark.*` keys of a configuration, and the checks that span several options. The rules
 * themselves are inline in nexmark_model.h.
 */
#include "connectors/nexmark_model.h"

#include "base/config.h"
#include "base/err.h"

void nexmark_config_defaults(nexmark_config *c) {
  *c = (nexmark_config){.events_num = 0,
                        .base_time = 0,
                        .first_rate = 10000,
                        .next_rate = 10000,
                        .max_emit_speed = true,
                        .person_proportion = 1,
                        .auction_proportion = 3,
                        .bid_proportion = 46,
                        .hot_sellers = 4,
                        .hot_auctions = 2,
                        .hot_bidders = 4,
                        .person_avg = 200,
                        .auction_avg = 500,
                        .bid_avg = 100};
}

void nexmark_config_read(nexmark_config *c, const sp_config *cfg) {
  c->events_num = sp_config_int(cfg, "nexmark.events.num");
  c->first_rate = (int32_t)sp_config_int(cfg, "nexmark.first-event.rate");
  c->next_rate = (int32_t)sp_config_int(cfg, "nexmark.next-event.rate");
  c->max_emit_speed = sp_config_bool(cfg, "nexmark.max-emit-speed");
  c->person_proportion = (int32_t)sp_config_int(cfg, "nexmark.person.proportion");
  c->auction_proportion = (int32_t)sp_config_int(cfg, "nexmark.auction.proportion");
  c->bid_proportion = (int32_t)sp_config_int(cfg, "nexmark.bid.proportion");
  c->hot_sellers = (int32_t)sp_config_int(cfg, "nexmark.auction.hot-ratio.sellers");
  c->hot_auctions = (int32_t)sp_config_int(cfg, "nexmark.bid.hot-ratio.auctions");
  c->hot_bidders = (int32_t)sp_config_int(cfg, "nexmark.bid.hot-ratio.bidders");
  c->person_avg = (int32_t)sp_config_bytes(cfg, "nexmark.person.avg-size");
  c->auction_avg = (int32_t)sp_config_bytes(cfg, "nexmark.auction.avg-size");
  c->bid_avg = (int32_t)sp_config_bytes(cfg, "nexmark.bid.avg-size");
  int64_t base = sp_config_int(cfg, "nexmark.base-time");
  if (base >= 0) c->base_time = base;
}

int nexmark_config_check(nexmark_config *c, char *err, size_t err_len) {
  if (c->events_num < 0 || c->events_num > INT64_MAX - 2)
    return sp_err(err, err_len, SPATE_EINVAL, "nexmark option events.num: %lld is out of range",
                  (long long)c->events_num);
  if (c->first_rate < 1 || c->next_rate < 1)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "nexmark option %s: %d is not a positive number of events per second",
                  c->first_rate < 1 ? "first-event.rate" : "next-event.rate",
                  c->first_rate < 1 ? c->first_rate : c->next_rate);
  const char *prop = c->person_proportion < 0    ? "person.proportion"
                     : c->auction_proportion < 0 ? "auction.proportion"
                     : c->bid_proportion < 0     ? "bid.proportion"
                                                 : NULL;
  if (prop) return sp_err(err, err_len, SPATE_EINVAL, "nexmark option %s is negative", prop);
  int64_t total = (int64_t)c->person_proportion + c->auction_proportion + c->bid_proportion;
  if (total < 1 || total > 1000000)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "nexmark options person.proportion + auction.proportion + bid.proportion: "
                  "their sum %lld is not in 1..1000000",
                  (long long)total);
  const char *hot = c->hot_sellers < 1    ? "auction.hot-ratio.sellers"
                    : c->hot_auctions < 1 ? "bid.hot-ratio.auctions"
                    : c->hot_bidders < 1  ? "bid.hot-ratio.bidders"
                                          : NULL;
  if (hot) return sp_err(err, err_len, SPATE_EINVAL, "nexmark option %s must be at least 1", hot);
  const char *avg = c->person_avg < 0 || c->person_avg > NEXMARK_MAX_AVG_SIZE ? "person.avg-size"
                    : c->auction_avg < 0 || c->auction_avg > NEXMARK_MAX_AVG_SIZE
                        ? "auction.avg-size"
                    : c->bid_avg < 0 || c->bid_avg > NEXMARK_MAX_AVG_SIZE ? "bid.avg-size"
                                                                          : NULL;
  if (avg)
    return sp_err(err, err_len, SPATE_EINVAL, "nexmark option %s is not between 0 and %d bytes",
                  avg, NEXMARK_MAX_AVG_SIZE);
  if (c->base_time < 0 || c->base_time > (INT64_C(1) << 50))
    return sp_err(err, err_len, SPATE_EINVAL, "nexmark option base-time: %lld is out of range",
                  (long long)c->base_time);
  c->total_proportion = (int32_t)total;
  c->inter_event_delay_us = 1000000.0 / c->first_rate;
  return 0;
}
