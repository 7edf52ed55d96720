/*
 * spate/nexmark.h: the Nexmark benchmark's event generator as a source.
 *
 * The source produces the people, auctions and bids of an online auction with the model and the
 * rules of nexmark-flink (github.com/nexmark/nexmark, the `nexmark` table connector): event
 * kinds by event id (1 person : 3 auctions : 46 bids by default), ids, hot sellers, bidders and
 * auctions, prices in cents, names, e-mail addresses, credit cards, cities and states, item
 * names and descriptions, channels and URLs, and `extra` strings that bring each event to its
 * average size, quirks included (a bid's bidder id counts the first person id, 1000, twice;
 * channel-1's URL ends in `channel_id=-2147483648`).
 *
 * One deliberate difference: every event is a pure function of the options and its event
 * number. Its random fields come from a generator seeded with the event's id (as Beam's original
 * generator did; nexmark-flink draws from unseeded generators), and the tables nexmark-flink
 * draws once per JVM (hot URLs, the channel table, the 1 MiB string extras are cut from) from
 * fixed seeds. So the stream is the same at any parallelism, after a restart, a restore or a
 * rescale: subtasks take disjoint sets of event numbers, and a checkpoint keeps the next event
 * number of each (and the base time).
 *
 * Event n of the stream (n = 0, 1, ...) is nexmark-flink's n-th event at parallelism 1: event id
 * n + 2 (which decides its kind and seeds its random fields), event time
 *     dateTime = base-time + (long)((n + 1) * 1e6 / first-event.rate) / 1000   (ms).
 * (nexmark-flink splits its timeline per subtask, so its events differ with the parallelism;
 * these are its events at parallelism 1 whatever the parallelism.) Every record carries dateTime
 * as its timestamp, and the source emits watermarks as the benchmark's DDL declares them,
 * `dateTime - INTERVAL '4' SECOND` (the lowest timestamp still to come from any of the subtask's
 * splits, minus 4 s), every pipeline.auto-watermark-interval; the end of a bounded stream is the
 * maximum watermark.
 *
 * Options, as key/value pairs with nexmark-flink's names (the `nexmark.` prefix may be given or
 * not); each may also be set for the whole job as a `nexmark.<name>` configuration key
 * (`-D nexmark.events.num=1000000`), which the source's own options override:
 *   events.num                 events to generate; 0 (default): unbounded
 *   first-event.rate (or tps)  events per second of event time (default 10000): spacing of
 *                              dateTime; with max-emit-speed false also the emission rate
 *   next-event.rate            accepted for compatibility; nexmark-flink uses only the first rate
 *   max-emit-speed             true (default): emit as fast as possible; false: at most
 *                              first-event.rate events per second over all subtasks, on the
 *                              job's clock
 *   person.proportion, auction.proportion, bid.proportion   1, 3, 46
 *   auction.hot-ratio.sellers, bid.hot-ratio.auctions, bid.hot-ratio.bidders   4, 2, 4: an
 *                              auction is by a hot seller with probability 1 - 1/ratio, ...
 *   person.avg-size, auction.avg-size, bid.avg-size   200b, 500b, 100b (memory sizes, at most
 *                              400 kb): the average size `extra` fills each event up to
 *   base-time                  dateTime of event number 0, in ms since the epoch; default: the
 *                              time the job is built (as nexmark-flink), kept by checkpoints
 * A bad key or value fails the job naming the option.
 *
 * Streams: SPATE_NEXMARK_EVENTS is nexmark-flink's table `nexmark` with its nested rows
 * flattened (record nexmark_event below: event_type 0 person, 1 auction, 2 bid; the fields of
 * the other kinds are NULL). SPATE_NEXMARK_PERSON, _AUCTION and _BID are its views `person`,
 * `auction` and `bid` (records nexmark_person, nexmark_auction, nexmark_bid), each generating
 * only its own kind (the others are skipped without being generated, so three typed sources
 * cost no more than one combined one).
 */
#ifndef SPATE_NEXMARK_H
#define SPATE_NEXMARK_H
#include "spate/spate.h"

typedef enum spate_nexmark_stream {
  SPATE_NEXMARK_EVENTS = 0,  /* every event, flattened (nexmark_event) */
  SPATE_NEXMARK_PERSON = 1,  /* people only (nexmark_person) */
  SPATE_NEXMARK_AUCTION = 2, /* auctions only (nexmark_auction) */
  SPATE_NEXMARK_BID = 3,     /* bids only (nexmark_bid) */
} spate_nexmark_stream;

/* The Nexmark source. options: NULL, or key, value, key, value, ..., NULL (see above). The
 * source is parallel (the environment's default parallelism, or spate_set_parallelism).
 * Returns NULL, with the environment's error set, for a bad option. */
spate_stream *spate_nexmark_source(spate_env *env, spate_nexmark_stream stream,
                                   const char *const *options);

/* Event kinds in nexmark_event.event_type. */
enum {
  SPATE_NEXMARK_PERSON_EVENT = 0,
  SPATE_NEXMARK_AUCTION_EVENT = 1,
  SPATE_NEXMARK_BID_EVENT = 2
};

/* The view `person`. dateTime is the event's time (also the record's timestamp). */
SPATE_RECORD(nexmark_person, (id, BIGINT_NOT_NULL), (name, STRING_NOT_NULL),
             (emailAddress, STRING_NOT_NULL), (creditCard, STRING_NOT_NULL),
             (city, STRING_NOT_NULL), (state, STRING_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL),
             (extra, STRING_NOT_NULL));

/* The view `auction`; prices in cents. */
SPATE_RECORD(nexmark_auction, (id, BIGINT_NOT_NULL), (itemName, STRING_NOT_NULL),
             (description, STRING_NOT_NULL), (initialBid, BIGINT_NOT_NULL),
             (reserve, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL),
             (expires, TIMESTAMP_NOT_NULL), (seller, BIGINT_NOT_NULL), (category, BIGINT_NOT_NULL),
             (extra, STRING_NOT_NULL));

/* The view `bid`; price in cents. */
SPATE_RECORD(nexmark_bid, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (url, STRING_NOT_NULL),
             (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

/* The table `nexmark`, flattened: person.id is person_id, and so on. */
SPATE_RECORD(nexmark_event, (event_type, INT_NOT_NULL), (person_id, BIGINT), (person_name, STRING),
             (person_emailAddress, STRING), (person_creditCard, STRING), (person_city, STRING),
             (person_state, STRING), (person_dateTime, TIMESTAMP), (person_extra, STRING),
             (auction_id, BIGINT), (auction_itemName, STRING), (auction_description, STRING),
             (auction_initialBid, BIGINT), (auction_reserve, BIGINT), (auction_dateTime, TIMESTAMP),
             (auction_expires, TIMESTAMP), (auction_seller, BIGINT), (auction_category, BIGINT),
             (auction_extra, STRING), (bid_auction, BIGINT), (bid_bidder, BIGINT),
             (bid_price, BIGINT), (bid_channel, STRING), (bid_url, STRING),
             (bid_dateTime, TIMESTAMP), (bid_extra, STRING), (dateTime, TIMESTAMP_NOT_NULL));
#endif
