/*
 * nexmark_generator.h: draws one Nexmark event, a pure function of the configuration, the
 * tables and the event's number. The rules are nexmark-flink's PersonGenerator,
 * AuctionGenerator, BidGenerator, PriceGenerator and StringsGenerator (reimplemented from their
 * behaviour, in the same order of draws), on a SplitMix64 generator seeded with the event id
 * (nexmark_random.h) where nexmark-flink uses an unseeded one.
 *
 * The tables are what nexmark-flink draws once per process from unseeded generators: the 1 MiB
 * string that extras are cut from (its characters run from 'H' to 'z', as nexmark-flink's
 * remainder of a signed int makes them), the URLs of the four hot channels and the 10,000-entry
 * channel table (channel-i, and a URL that ends in "&channel_id=" and |reverse(i)| as a 32-bit
 * int nine times in ten, so entry 1 reads channel_id=-2147483648). Here they come from fixed
 * seeds, so they are the same in every process. Built once per source subtask (about 1.8 MB),
 * read-only afterwards.
 *
 * Generating allocates nothing: strings are views into the tables or into the event's own
 * buffer, valid until the event is generated into again.
 */
#ifndef SPATE_CONNECTORS_NEXMARK_GENERATOR_H
#define SPATE_CONNECTORS_NEXMARK_GENERATOR_H
#include <stdint.h>

#include "connectors/nexmark_model.h"

#define NEXMARK_EXTRA_LEN (1024 * 1024)
#define NEXMARK_CHANNELS 10000
#define NEXMARK_HOT_CHANNELS 4

typedef struct nexmark_str {
  const char *p;
  uint32_t len;
} nexmark_str;

typedef struct nexmark_tables {
  char *extra; /* NEXMARK_EXTRA_LEN characters */
  char *text;  /* the URLs and channel names, back to back */
  nexmark_str hot_url[NEXMARK_HOT_CHANNELS];
  nexmark_str channel[NEXMARK_CHANNELS], channel_url[NEXMARK_CHANNELS];
} nexmark_tables;

/* Builds the tables; SPATE_ENOMEM. nexmark_tables_free releases them (also after a failure). */
int nexmark_tables_init(nexmark_tables *t);
void nexmark_tables_free(nexmark_tables *t);

typedef struct nexmark_gen_person {
  int64_t id;
  nexmark_str name, email, credit_card, city, state, extra;
} nexmark_gen_person;

typedef struct nexmark_gen_auction {
  int64_t id, initial_bid, reserve, expires, seller, category;
  nexmark_str item_name, description, extra;
} nexmark_gen_auction;

typedef struct nexmark_gen_bid {
  int64_t auction, bidder, price;
  nexmark_str channel, url, extra;
} nexmark_gen_bid;

/* One event: kind, dateTime and the fields of its kind (the others are left as they were). */
typedef struct nexmark_gen_event {
  nexmark_kind kind;
  int64_t date_time;
  nexmark_gen_person person;
  nexmark_gen_auction auction;
  nexmark_gen_bid bid;
  char buf[256]; /* the strings drawn character by character (at most 170 bytes in all) */
} nexmark_gen_event;

/* Generates stream event n (0 <= n, n + 2 without overflow) into ev. c must have passed
 * nexmark_config_check. */
void nexmark_generate(const nexmark_config *c, const nexmark_tables *t, int64_t n,
                      nexmark_gen_event *ev);
#endif
