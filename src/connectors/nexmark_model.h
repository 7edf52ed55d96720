/*
 * nexmark_model.h: the Nexmark model's configuration and its deterministic rules: which kind
 * of event an event id is, the ids of the last person and auction created before it, and the
 * event time of an event number. These are nexmark-flink's GeneratorConfig, PersonGenerator and
 * AuctionGenerator rules, reimplemented from their documented behaviour; nexmark_generator.h
 * draws the random fields on top of them.
 *
 * Numbering (see include/spate/nexmark.h): event n (0-based) of the stream has nexmark-flink's
 * event number n + 1 (its time) and event id n + 2 (its kind, its ids and its random seed), as
 * nexmark-flink's table source numbers its events from first event id 1 and first event number 1.
 */
#ifndef SPATE_CONNECTORS_NEXMARK_MODEL_H
#define SPATE_CONNECTORS_NEXMARK_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEXMARK_FIRST_PERSON_ID 1000
#define NEXMARK_FIRST_AUCTION_ID 1000
#define NEXMARK_FIRST_CATEGORY_ID 10
#define NEXMARK_NUM_CATEGORIES 5
#define NEXMARK_PERSON_ID_LEAD 10
#define NEXMARK_AUCTION_ID_LEAD 10
#define NEXMARK_HOT_RATIO \
  100 /* hot people and auctions: the first (sellers, auctions) or second
                                 (bidders) of each 100 */
#define NEXMARK_NUM_ACTIVE_PEOPLE 1000
#define NEXMARK_NUM_IN_FLIGHT_AUCTIONS 100
#define NEXMARK_MAX_AVG_SIZE (400 * 1024) /* extras stay shorter than half the extra table */

typedef enum nexmark_kind { NEXMARK_PERSON = 0, NEXMARK_AUCTION = 1, NEXMARK_BID = 2 } nexmark_kind;

/* The options (include/spate/nexmark.h), checked by nexmark_config_check. */
typedef struct nexmark_config {
  int64_t events_num; /* 0: unbounded */
  int64_t base_time;  /* ms since the epoch */
  int32_t first_rate, next_rate;
  bool max_emit_speed;
  int32_t person_proportion, auction_proportion, bid_proportion;
  int32_t hot_sellers, hot_auctions, hot_bidders;
  int32_t person_avg, auction_avg, bid_avg;
  /* derived by nexmark_config_check */
  int32_t total_proportion;
  double inter_event_delay_us;
} nexmark_config;

/* nexmark-flink's defaults (base_time 0: the caller sets it). */
void nexmark_config_defaults(nexmark_config *c);
/* Reads the nexmark.* keys of a configuration (base/config_keys.c parses and bounds each one,
 * so their messages name the key); nexmark.base-time only when set. */
struct sp_config;
void nexmark_config_read(nexmark_config *c, const struct sp_config *cfg);
/* Checks the options together and derives the rest; SPATE_EINVAL with a message. */
int nexmark_config_check(nexmark_config *c, char *err, size_t err_len);

/* The kind of the event with this id. */
static inline nexmark_kind nexmark_kind_of(const nexmark_config *c, int64_t event_id) {
  int64_t rem = event_id % c->total_proportion;
  if (rem < c->person_proportion) return NEXMARK_PERSON;
  return rem < c->person_proportion + c->auction_proportion ? NEXMARK_AUCTION : NEXMARK_BID;
}

/* The event id and number of stream event n. */
static inline int64_t nexmark_event_id(int64_t n) { return n + 2; }
static inline int64_t nexmark_event_number(int64_t n) { return n + 1; }

/* The event time of an event number (nexmark-flink's timestampForEvent). */
static inline int64_t nexmark_timestamp(const nexmark_config *c, int64_t event_number) {
  return c->base_time + (int64_t)((double)event_number * c->inter_event_delay_us) / 1000;
}

/* The last person id (base 0) created up to this event id: the event's own for a person. */
static inline int64_t nexmark_last_person(const nexmark_config *c, int64_t event_id) {
  int64_t epoch = event_id / c->total_proportion, offset = event_id % c->total_proportion;
  if (offset >= c->person_proportion) offset = c->person_proportion - 1;
  return epoch * c->person_proportion + offset;
}

/* The last auction id (base 0) created up to this event id: the event's own for an auction. */
static inline int64_t nexmark_last_auction(const nexmark_config *c, int64_t event_id) {
  int64_t epoch = event_id / c->total_proportion, offset = event_id % c->total_proportion;
  if (offset < c->person_proportion) {
    epoch--; /* a person: the last auction of the previous epoch */
    offset = c->auction_proportion - 1;
  } else if (offset >= c->person_proportion + c->auction_proportion) {
    offset = c->auction_proportion - 1; /* a bid: the last auction of this epoch */
  } else {
    offset -= c->person_proportion;
  }
  return epoch * c->auction_proportion + offset;
}
#endif
