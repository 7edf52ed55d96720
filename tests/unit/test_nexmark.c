/*
 * test_nexmark.c: the Nexmark generator (connectors/nexmark_generator.h) against nexmark-flink.
 *
 *  - the first 10,000 events of nexmark-flink's default configuration at parallelism 1 and base
 *    time 1,700,000,000,000 (unit/data/nexmark_reference.csv, made by
 *    tests/support/nexmark_reference.sh from nexmark-flink's own classes): the fields its
 *    generator computes without randomness (kind, person and auction ids, dateTime) equal its
 *    own generator's; and the fields it draws, as its model functions draw them from a
 *    SplittableRandom seeded with the event id, equal ours (seller, category, prices, expiry,
 *    bid auction and bidder, lengths of extras, and a hash of the strings);
 *  - the rules that hold whatever is drawn: a bid's auction and bidder are the hot one or within
 *    the window of recent ones, people's fields come from nexmark-flink's lists and formats;
 *  - the distributions over 200,000 events: kinds 1:3:46, hot sellers, auctions and bidders at
 *    1 - 1/ratio, log-uniform prices from $1 to $1M, average event sizes;
 *  - the tables: hot and channel URLs, channel-1's URL ending in channel_id=-2147483648, the
 *    extras' characters;
 *  - an event is a function of its number only (any order, any repetition);
 *  - the configuration checks name the bad option.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "connectors/nexmark_generator.h"
#include "connectors/nexmark_random.h"

#define BASE INT64_C(1700000000000)
#define REFERENCE "unit/data/nexmark_reference.csv"

static nexmark_config default_config(void) {
  nexmark_config c;
  nexmark_config_defaults(&c);
  c.base_time = BASE;
  char err[256];
  assert_int_equal(nexmark_config_check(&c, err, sizeof err), 0);
  return c;
}

static uint32_t fnv(uint32_t h, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t)p[i];
    h *= 0x01000193u;
  }
  return h;
}

/* FNV-1a of the strings joined by '|', as the reference script hashes them. */
static uint32_t hash_strs(int n, ...) {
  va_list ap;
  va_start(ap, n);
  uint32_t h = 0x811c9dc5u;
  for (int i = 0; i < n; i++) {
    nexmark_str s = va_arg(ap, nexmark_str);
    if (i > 0) h = fnv(h, "|", 1);
    h = fnv(h, s.p, s.len);
  }
  va_end(ap);
  return h;
}

/* Splits a CSV line into at most max fields (empty fields are ""), in place. */
static int split_csv(char *line, char **f, int max) {
  int n = 0;
  line[strcspn(line, "\r\n")] = 0;
  for (char *p = line; n < max;) {
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  return n;
}

static void expect_i64(int line, const char *what, const char *field, int64_t got) {
  char *end;
  long long want = strtoll(field, &end, 10);
  if (!*field || *end) fail_msg("%s:%d: %s: '%s' is not a number", REFERENCE, line, what, field);
  if (got != want)
    fail_msg("%s:%d: %s is %lld, nexmark-flink's is %lld", REFERENCE, line, what, (long long)got,
             want);
}

static void test_reference(void **state) {
  nexmark_config c = default_config();
  nexmark_tables t;
  assert_int_equal(nexmark_tables_init(&t), 0);
  FILE *f = fopen(REFERENCE, "r");
  if (!f) fail_msg("cannot open %s (tests run in tests/)", REFERENCE);
  char buf[512], *fld[10];
  assert_non_null(fgets(buf, sizeof buf, f)); /* header */
  assert_string_equal(buf, "type,id,ts,a,b,c,d,e,extra_len,h\n");
  nexmark_gen_event *ev = calloc(1, sizeof *ev);
  int64_t n = 0;
  for (; fgets(buf, sizeof buf, f); n++) {
    int line = (int)n + 2;
    if (split_csv(buf, fld, 10) != 10) fail_msg("%s:%d: not 10 fields", REFERENCE, line);
    nexmark_generate(&c, &t, n, ev);
    /* what nexmark-flink computes without randomness */
    expect_i64(line, "event type", fld[0], ev->kind);
    expect_i64(line, "dateTime - base", fld[2], ev->date_time - BASE);
    char h[16];
    if (ev->kind == NEXMARK_PERSON) {
      const nexmark_gen_person *p = &ev->person;
      expect_i64(line, "person id", fld[1], p->id);
      expect_i64(line, "person extra length", fld[8], p->extra.len);
      snprintf(h, sizeof h, "%08x",
               hash_strs(5, p->name, p->email, p->credit_card, p->city, p->state));
    } else if (ev->kind == NEXMARK_AUCTION) {
      const nexmark_gen_auction *a = &ev->auction;
      expect_i64(line, "auction id", fld[1], a->id);
      /* drawn, from SplittableRandom(event id) */
      expect_i64(line, "auction seller", fld[3], a->seller);
      expect_i64(line, "auction category", fld[4], a->category);
      expect_i64(line, "auction initialBid", fld[5], a->initial_bid);
      expect_i64(line, "auction reserve", fld[6], a->reserve);
      expect_i64(line, "auction expires - base", fld[7], a->expires - BASE);
      expect_i64(line, "auction extra length", fld[8], a->extra.len);
      snprintf(h, sizeof h, "%08x", hash_strs(2, a->item_name, a->description));
    } else {
      const nexmark_gen_bid *b = &ev->bid;
      assert_string_equal(fld[1], "");
      expect_i64(line, "bid bidder", fld[3], b->bidder);
      expect_i64(line, "bid auction", fld[4], b->auction);
      expect_i64(line, "bid price", fld[5], b->price);
      expect_i64(line, "bid extra length", fld[8], b->extra.len);
      snprintf(h, sizeof h, "%08x", hash_strs(1, b->channel));
    }
    if (strcmp(h, fld[9]) != 0)
      fail_msg("%s:%d: the hash of the event's strings is %s, nexmark-flink's is %s", REFERENCE,
               line, h, fld[9]);
  }
  assert_int_equal(n, 10000);
  fclose(f);
  free(ev);
  nexmark_tables_free(&t);
}

static bool in_list(nexmark_str s, const char *const *list) {
  for (; *list; list++)
    if (strlen(*list) == s.len && memcmp(*list, s.p, s.len) == 0) return true;
  return false;
}

static bool all_lower(const char *p, size_t n, char special) {
  for (size_t i = 0; i < n; i++)
    if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == special)) return false;
  return true;
}

/* The rules that do not depend on the draws, and the distributions, over 200,000 events. */
static void test_rules_and_distributions(void **state) {
  static const char *const cities[] = {
      "Phoenix", "Los Angeles", "San Francisco", "Boise",    "Portland", "Bend",
      "Redmond", "Seattle",     "Kent",          "Cheyenne", NULL};
  static const char *const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY", NULL};
  static const char *const hot_channels[] = {"Google", "Facebook", "Baidu", "Apple", NULL};
  nexmark_config c = default_config();
  nexmark_tables t;
  assert_int_equal(nexmark_tables_init(&t), 0);
  nexmark_gen_event *ev = calloc(1, sizeof *ev);
  const int64_t total = 200000;
  int64_t kinds[3] = {0}, hot_seller = 0, hot_auction = 0, hot_bidder = 0, hot_channel = 0;
  int64_t size[3] = {0}, below_1k = 0, prices = 0, cat[5] = {0};
  for (int64_t n = 0; n < total; n++) {
    nexmark_generate(&c, &t, n, ev);
    int64_t id = n + 2;
    kinds[ev->kind]++;
    int64_t last_p = nexmark_last_person(&c, id), last_a = nexmark_last_auction(&c, id);
    if (ev->kind == NEXMARK_PERSON) {
      const nexmark_gen_person *p = &ev->person;
      assert_int_equal(p->id, last_p + 1000);
      assert_true(in_list(p->city, cities) && in_list(p->state, states));
      const char *sp = memchr(p->name.p, ' ', p->name.len);
      assert_non_null(sp);
      /* e-mail: 0-6 characters, '@', 0-4 characters, ".com" (trimmed strings: one of blanks
       * only is empty, as in nexmark-flink) */
      const char *at = memchr(p->email.p, '@', p->email.len);
      assert_non_null(at);
      size_t user = (size_t)(at - p->email.p), dom = p->email.len - user - 5;
      assert_true(user <= 6 && dom <= 4);
      assert_memory_equal(p->email.p + p->email.len - 4, ".com", 4);
      assert_true(all_lower(p->email.p, user, ' ') && all_lower(at + 1, dom, ' '));
      assert_int_equal(p->credit_card.len, 19);
      for (int i = 0; i < 19; i++)
        assert_true(i % 5 == 4 ? p->credit_card.p[i] == ' '
                               : p->credit_card.p[i] >= '0' && p->credit_card.p[i] <= '9');
      size[0] += 8 + p->name.len + p->email.len + p->credit_card.len + p->city.len + p->state.len +
                 p->extra.len;
    } else if (ev->kind == NEXMARK_AUCTION) {
      const nexmark_gen_auction *a = &ev->auction;
      assert_int_equal(a->id, last_a + 1000);
      int64_t hot = last_p / 100 * 100 + 1000;
      if (a->seller == hot)
        hot_seller++;
      else /* one of the active people or a few ahead */
        assert_true(a->seller >= 1000 + (last_p + 1 > 1000 ? last_p + 1 - 1000 : 0) &&
                    a->seller < 1000 + last_p + 1 + 10);
      assert_true(a->category >= 10 && a->category < 15);
      cat[a->category - 10]++;
      assert_true(a->initial_bid >= 100 && a->initial_bid <= 100000000);
      assert_true(a->reserve >= a->initial_bid + 100);
      assert_true(a->expires > ev->date_time);
      assert_true(a->item_name.len <= 19 && a->description.len <= 99);
      assert_true(all_lower(a->item_name.p, a->item_name.len, ' '));
      size[1] += 8 + a->item_name.len + a->description.len + 40 + a->extra.len;
    } else {
      const nexmark_gen_bid *b = &ev->bid;
      if (b->auction == last_a / 100 * 100 + 1000)
        hot_auction++;
      else
        assert_true(b->auction >= 1000 + (last_a > 100 ? last_a - 100 : 0) &&
                    b->auction < 1000 + last_a + 1 + 10);
      /* nexmark-flink adds the first person id twice to a bidder */
      if (b->bidder == last_p / 100 * 100 + 1 + 2000)
        hot_bidder++;
      else
        assert_true(b->bidder >= 2000 + (last_p + 1 > 1000 ? last_p + 1 - 1000 : 0) &&
                    b->bidder < 2000 + last_p + 1 + 10);
      assert_true(b->price >= 100 && b->price <= 100000000);
      prices++;
      if (b->price < 100000) below_1k++; /* below $1,000: half of a log-uniform $1..$1M */
      if (in_list(b->channel, hot_channels)) {
        hot_channel++;
        int i = b->channel.p[0] == 'G'   ? 0
                : b->channel.p[0] == 'F' ? 1
                : b->channel.p[1] == 'a' ? 2
                                         : 3;
        assert_ptr_equal(b->url.p, t.hot_url[i].p);
      } else {
        assert_true(b->channel.len > 8 && memcmp(b->channel.p, "channel-", 8) == 0);
        int i = atoi(b->channel.p + 8);
        assert_ptr_equal(b->url.p, t.channel_url[i].p);
      }
      size[2] += 32 + b->extra.len;
    }
  }
  /* 1 : 3 : 46 exactly, the kinds following the event id */
  assert_int_equal(kinds[0], total / 50);
  assert_int_equal(kinds[1], total / 50 * 3);
  assert_int_equal(kinds[2], total / 50 * 46);
  /* hot with probability 1 - 1/ratio (plus the few uniform draws that hit the hot one) */
  double fs = (double)hot_seller / kinds[1], fa = (double)hot_auction / kinds[2],
         fb = (double)hot_bidder / kinds[2], fc = (double)hot_channel / kinds[2];
  if (fabs(fs - 0.75) > 0.02 || fabs(fa - 0.5) > 0.02 || fabs(fb - 0.75) > 0.02 ||
      fabs(fc - 0.5) > 0.02)
    fail_msg(
        "hot shares: sellers %.3f (0.75), auctions %.3f (0.5), bidders %.3f (0.75), "
        "channels %.3f (0.5)",
        fs, fa, fb, fc);
  for (int i = 0; i < 5; i++) assert_true(fabs((double)cat[i] / kinds[1] - 0.2) < 0.02);
  assert_true(fabs((double)below_1k / prices - 0.5) < 0.01);
  /* average sizes: nexmark-flink's estimate, within 2 % */
  double avg[3] = {(double)size[0] / kinds[0], (double)size[1] / kinds[1],
                   (double)size[2] / kinds[2]};
  if (fabs(avg[0] / 200 - 1) > 0.02 || fabs(avg[1] / 500 - 1) > 0.02 ||
      fabs(avg[2] / 100 - 1) > 0.02)
    fail_msg("average sizes %.1f, %.1f, %.1f (want 200, 500, 100)", avg[0], avg[1], avg[2]);
  free(ev);
  nexmark_tables_free(&t);
}

static void test_tables(void **state) {
  nexmark_tables t;
  assert_int_equal(nexmark_tables_init(&t), 0);
  static const char prefix[] = "https://www.nexmark.com/";
  int with_id = 0;
  for (int i = 0; i < NEXMARK_CHANNELS + NEXMARK_HOT_CHANNELS; i++) {
    nexmark_str u = i < NEXMARK_HOT_CHANNELS ? t.hot_url[i] : t.channel_url[i - 4];
    assert_true(u.len > sizeof prefix && memcmp(u.p, prefix, sizeof prefix - 1) == 0);
    /* three segments of 3 or 4 letters or '_', then item.htm?query=1 */
    const char *p = u.p + sizeof prefix - 1;
    for (int s = 0; s < 3; s++) {
      const char *slash = memchr(p, '/', u.len - (size_t)(p - u.p));
      assert_non_null(slash);
      assert_true(slash - p >= 3 && slash - p <= 4 && all_lower(p, (size_t)(slash - p), '_'));
      p = slash + 1;
    }
    assert_memory_equal(p, "item.htm?query=1", 16);
    if (i >= NEXMARK_HOT_CHANNELS) {
      int ch = i - 4;
      char name[32];
      snprintf(name, sizeof name, "channel-%d", ch);
      assert_int_equal(t.channel[ch].len, strlen(name));
      assert_memory_equal(t.channel[ch].p, name, strlen(name));
      size_t rest = u.len - (size_t)(p - u.p) - 16;
      if (rest) {
        with_id++;
        /* |Integer.reverse(ch)| */
        uint32_t v = (uint32_t)ch, r = 0;
        for (int b = 0; b < 32; b++, v >>= 1) r = r << 1 | (v & 1);
        int64_t id = (int32_t)r;
        if (id < 0 && id != INT32_MIN) id = -id;
        char want[40];
        snprintf(want, sizeof want, "&channel_id=%lld", (long long)id);
        assert_int_equal(rest, strlen(want));
        assert_memory_equal(p + 16, want, rest);
      }
    }
  }
  /* nine in ten channels carry their id */
  assert_true(with_id > 8800 && with_id < 9200);
  /* the quirk: channel-1's id is Integer.MIN_VALUE (with these seeds entry 1 carries an id) */
  const nexmark_str u1 = t.channel_url[1];
  static const char quirk[] = "channel_id=-2147483648";
  assert_true(u1.len > sizeof quirk);
  assert_memory_equal(u1.p + u1.len - (sizeof quirk - 1), quirk, sizeof quirk - 1);
  /* extras: nexmark-flink's characters 'a' + (signed int % 26), from 'H' to 'z' */
  int seen_upper = 0;
  for (int i = 0; i < NEXMARK_EXTRA_LEN; i++) {
    assert_true(t.extra[i] >= 'a' - 25 && t.extra[i] <= 'z');
    seen_upper += t.extra[i] < 'a';
  }
  assert_true(seen_upper > NEXMARK_EXTRA_LEN / 4); /* about half the ints are negative */
  nexmark_tables_free(&t);
}

/* An event depends on its number only: backwards, repeated and with other options set to the
 * same values it is the same. */
static void test_pure_function(void **state) {
  nexmark_config c = default_config();
  nexmark_tables t1, t2;
  assert_int_equal(nexmark_tables_init(&t1), 0);
  assert_int_equal(nexmark_tables_init(&t2), 0);
  assert_memory_equal(t1.extra, t2.extra, NEXMARK_EXTRA_LEN);
  nexmark_gen_event *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  for (int64_t n = 3000; n >= 0; n -= 7) {
    nexmark_generate(&c, &t1, n, a);
    nexmark_generate(&c, &t2, 5000 - n, b); /* something else in between */
    nexmark_generate(&c, &t2, n, b);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->date_time, b->date_time);
    if (a->kind == NEXMARK_BID) {
      assert_int_equal(a->bid.price, b->bid.price);
      assert_int_equal(a->bid.extra.p - t1.extra, b->bid.extra.p - t2.extra);
    } else if (a->kind == NEXMARK_AUCTION) {
      assert_int_equal(a->auction.expires, b->auction.expires);
      assert_int_equal(a->auction.description.len, b->auction.description.len);
      assert_memory_equal(a->auction.description.p, b->auction.description.p,
                          a->auction.description.len);
    } else {
      assert_int_equal(a->person.email.len, b->person.email.len);
      assert_memory_equal(a->person.email.p, b->person.email.p, a->person.email.len);
    }
  }
  /* timestamps follow the rate: 1,000 events per second put event 999 at base + 1 s */
  nexmark_config slow = c;
  slow.first_rate = 1000;
  char err[256];
  assert_int_equal(nexmark_config_check(&slow, err, sizeof err), 0);
  nexmark_generate(&slow, &t1, 999, a);
  assert_int_equal(a->date_time, BASE + 1000);
  free(a);
  free(b);
  nexmark_tables_free(&t1);
  nexmark_tables_free(&t2);
}

static void test_config_errors(void **state) {
  char err[256];
  nexmark_config c = default_config();
  c.hot_bidders = 0;
  assert_int_equal(nexmark_config_check(&c, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "bid.hot-ratio.bidders"));
  c = default_config();
  c.person_proportion = c.auction_proportion = c.bid_proportion = 0;
  assert_int_equal(nexmark_config_check(&c, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "proportion"));
  c = default_config();
  c.auction_avg = NEXMARK_MAX_AVG_SIZE + 1;
  assert_int_equal(nexmark_config_check(&c, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "auction.avg-size"));
  c = default_config();
  c.first_rate = 0;
  assert_int_equal(nexmark_config_check(&c, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "first-event.rate"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference),     cmocka_unit_test(test_rules_and_distributions),
      cmocka_unit_test(test_tables),        cmocka_unit_test(test_pure_function),
      cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
