/*
 * nexmark_generator.c: the Nexmark event generator (see nexmark_generator.h). The order of the
 * random draws within an event is nexmark-flink's, so that the same seed gives the same event.
 */
#include "connectors/nexmark_generator.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "connectors/nexmark_random.h"

/* Seeds of the tables (any fixed values would do; these spell "nexmark" and "nexmark-urls"). */
#define EXTRA_SEED INT64_C(0x6e65786d61726b)
#define URL_SEED INT64_C(0x6e65786d61726b2d)
#define MIN_STRING_LENGTH 3
#define URL_MAX 80  /* the longest URL: 55 bytes of base URL, "&channel_id=" and 11 digits */
#define NAME_MAX 16 /* "channel-9999" */

static const char *const us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
/* Table strings with their lengths, known when compiled (no strlen per event). */
#define S(lit) \
  { lit, sizeof(lit) - 1 }
static const nexmark_str us_cities[] = {
    S("Phoenix"), S("Los Angeles"), S("San Francisco"), S("Boise"), S("Portland"),
    S("Bend"),    S("Redmond"),     S("Seattle"),       S("Kent"),  S("Cheyenne")};
static const nexmark_str first_names[] = {S("Peter"), S("Paul"),   S("Luke"),  S("John"),
                                          S("Saul"),  S("Vicky"),  S("Kate"),  S("Julie"),
                                          S("Sarah"), S("Deiter"), S("Walter")};
static const nexmark_str last_names[] = {S("Shultz"), S("Abrams"),  S("Spencer"),
                                         S("White"),  S("Bartels"), S("Walton"),
                                         S("Smith"),  S("Jones"),   S("Noris")};
static const nexmark_str hot_channels[] = {S("Google"), S("Facebook"), S("Baidu"), S("Apple")};
#define COUNT(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

/* A random string of MIN_STRING_LENGTH to max_len - 1 characters, each `special` with
 * probability 1/13 and else a lower-case letter, without leading or trailing blanks (Java's
 * trim, which matters when special is a space). Written at *at, which moves past it. */
static nexmark_str next_string(nexmark_random *r, int32_t max_len, char special, char **at) {
  int32_t len = MIN_STRING_LENGTH + nexmark_random_below(r, max_len - MIN_STRING_LENGTH);
  char *s = *at;
  for (int32_t i = 0; i < len; i++)
    s[i] = nexmark_random_below(r, 13) == 0 ? special : (char)('a' + nexmark_random_below(r, 26));
  *at += len;
  int32_t lo = 0, hi = len;
  while (lo < hi && (unsigned char)s[lo] <= ' ') lo++;
  while (hi > lo && (unsigned char)s[hi - 1] <= ' ') hi--;
  return (nexmark_str){s + lo, (uint32_t)(hi - lo)};
}

/* A random value in [0, n) (nexmark-flink's LongGenerator: skewed above 2^31 - 1, as there). */
static int64_t next_long(nexmark_random *r, int64_t n) {
  if (n < INT32_MAX) return nexmark_random_below(r, (int32_t)n);
  int64_t v = nexmark_random_long(r) % n;
  return v < 0 ? -v : v;
}

/* A price in cents, log-uniform from 1 to 1,000,000 dollars. Java's Math.round is the nearest
 * integer with halves up; for these positive values llround (halves away from 0) is the same. */
static int64_t next_price(nexmark_random *r) {
  return llround(pow(10.0, nexmark_random_double(r) * 6.0) * 100.0);
}

/* An extra string bringing current_size up to avg on average: 0.8 to 1.2 times what is
 * missing, cut at a random offset from the table. */
static nexmark_str next_extra(nexmark_random *r, const nexmark_tables *t, int32_t current_size,
                              int32_t avg) {
  if (current_size > avg) return (nexmark_str){t->extra, 0};
  int32_t missing = avg - current_size;
  int32_t delta = (int32_t)llround(missing * 0.2);
  int32_t len = missing - delta + (delta == 0 ? 0 : nexmark_random_below(r, 2 * delta));
  /* len < NEXMARK_EXTRA_LEN / 2 (NEXMARK_MAX_AVG_SIZE), so it is always cut from the table */
  int32_t offset = nexmark_random_below(r, NEXMARK_EXTRA_LEN - len);
  /* the cut lies anywhere in 1 MiB, mostly out of cache: start loading it now, so that it
   * arrives while the event's other fields are written into the row */
  for (int32_t at = 0; at < len; at += 64) __builtin_prefetch(t->extra + offset + at);
  return (nexmark_str){t->extra + offset, (uint32_t)len};
}

/* A random person among the active ones and a few not yet created (base 0). */
static int64_t next_base0_person(const nexmark_config *c, int64_t event_id, nexmark_random *r) {
  int64_t people = nexmark_last_person(c, event_id) + 1;
  int64_t active = people < NEXMARK_NUM_ACTIVE_PEOPLE ? people : NEXMARK_NUM_ACTIVE_PEOPLE;
  return people - active + next_long(r, active + NEXMARK_PERSON_ID_LEAD);
}

/* A random auction among those likely still open and a few not yet created (base 0). */
static int64_t next_base0_auction(const nexmark_config *c, int64_t event_id, nexmark_random *r) {
  int64_t max = nexmark_last_auction(c, event_id);
  int64_t min = max - NEXMARK_NUM_IN_FLIGHT_AUCTIONS > 0 ? max - NEXMARK_NUM_IN_FLIGHT_AUCTIONS : 0;
  return min + next_long(r, max - min + 1 + NEXMARK_AUCTION_ID_LEAD);
}

static void gen_person(const nexmark_config *c, const nexmark_tables *t, int64_t event_id,
                       nexmark_random *r, nexmark_gen_event *ev) {
  nexmark_gen_person *p = &ev->person;
  char *at = ev->buf;
  p->id = nexmark_last_person(c, event_id) + NEXMARK_FIRST_PERSON_ID;
  nexmark_str first = first_names[nexmark_random_below(r, COUNT(first_names))];
  nexmark_str last = last_names[nexmark_random_below(r, COUNT(last_names))];
  uint32_t fl = first.len, ll = last.len;
  memcpy(at, first.p, fl);
  at[fl] = ' ';
  memcpy(at + fl + 1, last.p, ll);
  p->name = (nexmark_str){at, (uint32_t)(fl + 1 + ll)};
  at += p->name.len;
  /* the e-mail address: a string, '@', a string, ".com", put together in place */
  char *email = at;
  nexmark_str user = next_string(r, 7, ' ', &at);
  memmove(email, user.p, user.len);
  at = email + user.len;
  *at++ = '@';
  char *domain_at = at;
  nexmark_str domain = next_string(r, 5, ' ', &at);
  memmove(domain_at, domain.p, domain.len);
  at = domain_at + domain.len;
  memcpy(at, ".com", 4);
  at += 4;
  p->email = (nexmark_str){email, (uint32_t)(at - email)};
  char *cc = at;
  for (int i = 0; i < 4; i++) {
    int32_t v = nexmark_random_below(r, 10000);
    if (i > 0) *at++ = ' ';
    for (int d = 3; d >= 0; d--, v /= 10) at[d] = (char)('0' + v % 10);
    at += 4;
  }
  p->credit_card = (nexmark_str){cc, (uint32_t)(at - cc)};
  nexmark_str city = us_cities[nexmark_random_below(r, COUNT(us_cities))];
  const char *state = us_states[nexmark_random_below(r, COUNT(us_states))];
  p->city = city;
  p->state = (nexmark_str){state, 2};
  int32_t size =
      8 + (int32_t)(p->name.len + p->email.len + p->credit_card.len + p->city.len + p->state.len);
  p->extra = next_extra(r, t, size, c->person_avg);
}

static void gen_auction(const nexmark_config *c, const nexmark_tables *t, int64_t n,
                        int64_t event_id, nexmark_random *r, nexmark_gen_event *ev) {
  nexmark_gen_auction *a = &ev->auction;
  char *at = ev->buf;
  a->id = nexmark_last_auction(c, event_id) + NEXMARK_FIRST_AUCTION_ID;
  if (nexmark_random_below(r, c->hot_sellers) > 0) /* the first of the last 100 people */
    a->seller = nexmark_last_person(c, event_id) / NEXMARK_HOT_RATIO * NEXMARK_HOT_RATIO;
  else
    a->seller = next_base0_person(c, event_id, r);
  a->seller += NEXMARK_FIRST_PERSON_ID;
  a->category = NEXMARK_FIRST_CATEGORY_ID + nexmark_random_below(r, NEXMARK_NUM_CATEGORIES);
  a->initial_bid = next_price(r);
  /* the auction lasts on average until numInFlightAuctions auctions later */
  int64_t ahead = c->auction_proportion > 0 ? (int64_t)NEXMARK_NUM_IN_FLIGHT_AUCTIONS *
                                                  c->total_proportion / c->auction_proportion
                                            : 0;
  int64_t horizon = nexmark_timestamp(c, nexmark_event_number(n) + ahead) - ev->date_time;
  a->expires = ev->date_time + 1 + next_long(r, horizon * 2 > 1 ? horizon * 2 : 1);
  a->item_name = next_string(r, 20, ' ', &at);
  a->description = next_string(r, 100, ' ', &at);
  a->reserve = a->initial_bid + next_price(r);
  int32_t size = 8 + (int32_t)(a->item_name.len + a->description.len) + 8 + 8 + 8 + 8 + 8;
  a->extra = next_extra(r, t, size, c->auction_avg);
}

static void gen_bid(const nexmark_config *c, const nexmark_tables *t, int64_t event_id,
                    nexmark_random *r, nexmark_gen_event *ev) {
  nexmark_gen_bid *b = &ev->bid;
  if (nexmark_random_below(r, c->hot_auctions) > 0) /* the first of the last 100 auctions */
    b->auction = nexmark_last_auction(c, event_id) / NEXMARK_HOT_RATIO * NEXMARK_HOT_RATIO;
  else
    b->auction = next_base0_auction(c, event_id, r);
  b->auction += NEXMARK_FIRST_AUCTION_ID;
  if (nexmark_random_below(r, c->hot_bidders) > 0) /* the second of the last 100 people */
    b->bidder = nexmark_last_person(c, event_id) / NEXMARK_HOT_RATIO * NEXMARK_HOT_RATIO + 1;
  else
    b->bidder = next_base0_person(c, event_id, r);
  b->bidder += NEXMARK_FIRST_PERSON_ID;
  b->price = next_price(r);
  if (nexmark_random_below(r, 2) > 0) {
    int32_t i = nexmark_random_below(r, NEXMARK_HOT_CHANNELS);
    b->channel = hot_channels[i];
    b->url = t->hot_url[i];
  } else {
    int32_t i = nexmark_random_below(r, NEXMARK_CHANNELS);
    b->channel = t->channel[i];
    b->url = t->channel_url[i];
  }
  b->bidder += NEXMARK_FIRST_PERSON_ID; /* nexmark-flink adds it twice */
  b->extra = next_extra(r, t, 8 + 8 + 8 + 8, c->bid_avg);
}

void nexmark_generate(const nexmark_config *c, const nexmark_tables *t, int64_t n,
                      nexmark_gen_event *ev) {
  int64_t id = nexmark_event_id(n);
  nexmark_random r = nexmark_random_seeded(id);
  ev->kind = nexmark_kind_of(c, id);
  ev->date_time = nexmark_timestamp(c, nexmark_event_number(n));
  switch (ev->kind) {
  case NEXMARK_PERSON: gen_person(c, t, id, &r, ev); break;
  case NEXMARK_AUCTION: gen_auction(c, t, n, id, &r, ev); break;
  default: gen_bid(c, t, id, &r, ev); break;
  }
}

/* ---- tables ----------------------------------------------------------------------------------- */

/* nexmark-flink's base URL: three random path segments of 3 or 4 characters ('_' for 1 in 13). */
static nexmark_str base_url(nexmark_random *r, char **at) {
  char *s = *at, *w = s;
  static const char prefix[] = "https://www.nexmark.com/", suffix[] = "item.htm?query=1";
  memcpy(w, prefix, sizeof prefix - 1);
  w += sizeof prefix - 1;
  for (int i = 0; i < 3; i++) {
    char *seg = w;
    nexmark_str part = next_string(r, 5, '_', &w);
    memmove(seg, part.p, part.len); /* '_' is not trimmed: part is the whole segment */
    w = seg + part.len;
    *w++ = '/';
  }
  memcpy(w, suffix, sizeof suffix - 1);
  w += sizeof suffix - 1;
  *at = w;
  return (nexmark_str){s, (uint32_t)(w - s)};
}

int nexmark_tables_init(nexmark_tables *t) {
  memset(t, 0, sizeof *t);
  t->extra = sp_malloc(NEXMARK_EXTRA_LEN);
  size_t text_len = (size_t)(NEXMARK_HOT_CHANNELS + NEXMARK_CHANNELS) * URL_MAX +
                    (size_t)NEXMARK_CHANNELS * NAME_MAX;
  t->text = sp_malloc(text_len);
  if (!t->extra || !t->text) return SPATE_ENOMEM;
  /* nexmark-flink's exact-length string: six letters per random int, 'a' + the (signed)
   * remainder by 26, so negative ints give the characters 'H' to '`' too */
  nexmark_random r = nexmark_random_seeded(EXTRA_SEED);
  int32_t rnd = 0;
  for (int i = 0, left = 0; i < NEXMARK_EXTRA_LEN; i++, left--) {
    if (left == 0) {
      rnd = nexmark_random_int(&r);
      left = 6;
    }
    t->extra[i] = (char)('a' + rnd % 26);
    rnd /= 26;
  }
  r = nexmark_random_seeded(URL_SEED);
  char *at = t->text;
  for (int i = 0; i < NEXMARK_HOT_CHANNELS; i++) t->hot_url[i] = base_url(&r, &at);
  for (int i = 0; i < NEXMARK_CHANNELS; i++) {
    nexmark_str url = base_url(&r, &at);
    if (nexmark_random_below(&r, 10) > 0) {
      /* Java's Math.abs(Integer.reverse(i)): the bits reversed as an int, and abs of INT_MIN
       * stays INT_MIN */
      uint32_t v = (uint32_t)i, rev = 0;
      for (int b = 0; b < 32; b++, v >>= 1) rev = rev << 1 | (v & 1);
      int64_t id = (int32_t)rev;
      if (id < 0 && id != INT32_MIN) id = -id;
      at += sprintf(at, "&channel_id=%lld", (long long)id);
      url.len = (uint32_t)(at - url.p);
    }
    t->channel_url[i] = url;
    char *name = at;
    at += sprintf(at, "channel-%d", i);
    t->channel[i] = (nexmark_str){name, (uint32_t)(at - name)};
  }
  return 0;
}

void nexmark_tables_free(nexmark_tables *t) {
  sp_free(t->extra);
  sp_free(t->text);
  t->extra = t->text = NULL;
}
