#!/usr/bin/env bash
# nexmark_reference.sh: produces tests/unit/data/nexmark_reference.csv, the reference values the
# Nexmark source's unit test (tests/unit/test_nexmark.c) compares against, from nexmark-flink's own
# generator classes (github.com/nexmark/nexmark, module nexmark-flink) compiled with plain javac.
#
#   tests/support/nexmark_reference.sh <nexmark checkout> [output]
#
# Nothing of nexmark is kept in this repository: the script copies the generator's Java files
# from the checkout into a scratch directory, adds stubs for the few outside classes they import
# (Flink's shaded Jackson annotation and ObjectMapper, slf4j, javax.annotation.Nullable, Flink's
# Preconditions), compiles them with a small driver (written below) and runs it. The values were
# produced from commit 6b3646c of nexmark/nexmark with OpenJDK 17.0.15.
#
# The configuration is nexmark-flink's default (rate 10,000 events/s, proportions 1:3:46, hot
# ratios 2/4/4, average sizes 200/500/100 bytes, 1,000 active people, 100 auctions in flight) at
# parallelism 1, base time 1,700,000,000,000 ms, as its table source builds it (first event id
# 1, first event number 1). Line k (0-based, after the header) is the reference's k-th event.
#
# Columns, in two groups:
#  1. what the reference computes without randomness, from its own generator
#     (NexmarkGenerator, unseeded as nexmark-flink runs it): type (0 person, 1 auction, 2 bid),
#     id (person or auction id; empty for a bid), ts (dateTime - base time, in ms);
#  2. the same event drawn by nexmark-flink's model functions (PersonGenerator.nextPerson,
#     AuctionGenerator.nextAuction, BidGenerator.nextBid) with a random generator seeded by the
#     event id, `new SplittableRandom(eventId)`, as Spate's source draws it (the one deliberate
#     difference from nexmark-flink): a (seller / bidder), b (category / auction), c (initial bid
#     / price), d (reserve), e (expires - base time), extra_len (length of extra), and h, the
#     32-bit FNV-1a hash (hex) of the event's strings that do not depend on nexmark-flink's
#     unseeded static tables, joined by '|': person name|email|credit card|city|state; auction
#     item name|description; bid channel (for a channel-N channel; the hot channels' names too).
#     URLs and extras' characters come from those static tables and are checked by rule instead.
set -euo pipefail
src=${1:?usage: nexmark_reference.sh <nexmark checkout> [output]}
out=${2:-$(cd "$(dirname "$0")/.." && pwd)/unit/data/nexmark_reference.csv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
j=$src/nexmark-flink/src/main/java/com/github/nexmark/flink
mkdir -p "$work/src"
for f in NexmarkConfiguration.java utils/NexmarkUtils.java generator/GeneratorConfig.java \
  generator/NexmarkGenerator.java generator/model/AuctionGenerator.java \
  generator/model/BidGenerator.java generator/model/LongGenerator.java \
  generator/model/PersonGenerator.java generator/model/PriceGenerator.java \
  generator/model/StringsGenerator.java model/Event.java model/Person.java model/Auction.java \
  model/Bid.java; do
  mkdir -p "$work/src/$(dirname "$f")"
  cp "$j/$f" "$work/src/$f"
done
stub() { mkdir -p "$work/stub/$(dirname "$1")"; cat >"$work/stub/$1"; }
J=org/apache/flink/shaded/jackson2/com/fasterxml/jackson
stub $J/annotation/JsonProperty.java <<'J'
package org.apache.flink.shaded.jackson2.com.fasterxml.jackson.annotation;
public @interface JsonProperty {}
J
stub $J/core/JsonProcessingException.java <<'J'
package org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core;
public class JsonProcessingException extends Exception {}
J
stub $J/databind/ObjectMapper.java <<'J'
package org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind;
public class ObjectMapper {
  public String writeValueAsString(Object o)
      throws org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException {
    return String.valueOf(o);
  }
}
J
stub org/slf4j/Logger.java <<'J'
package org.slf4j;
public interface Logger { default void info(String s, Object... a) {} default void warn(String s, Object... a) {} }
J
stub org/slf4j/LoggerFactory.java <<'J'
package org.slf4j;
public class LoggerFactory { public static Logger getLogger(Class<?> c) { return new Logger() {}; } }
J
stub javax/annotation/Nullable.java <<'J'
package javax.annotation;
public @interface Nullable {}
J
stub org/apache/flink/util/Preconditions.java <<'J'
package org.apache.flink.util;
public class Preconditions { public static <T> T checkNotNull(T t) { if (t == null) throw new NullPointerException(); return t; } }
J
cat >"$work/src/Dump.java" <<'J'
import com.github.nexmark.flink.NexmarkConfiguration;
import com.github.nexmark.flink.generator.GeneratorConfig;
import com.github.nexmark.flink.generator.NexmarkGenerator;
import com.github.nexmark.flink.generator.model.AuctionGenerator;
import com.github.nexmark.flink.generator.model.BidGenerator;
import com.github.nexmark.flink.generator.model.PersonGenerator;
import com.github.nexmark.flink.model.Auction;
import com.github.nexmark.flink.model.Bid;
import com.github.nexmark.flink.model.Event;
import com.github.nexmark.flink.model.Person;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

public class Dump {
  static String fnv(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) { h ^= (b & 0xff); h *= 0x01000193; }
    return String.format("%08x", h);
  }
  public static void main(String[] args) {
    long base = 1_700_000_000_000L;
    int n = 10_000;
    NexmarkConfiguration conf = new NexmarkConfiguration();
    conf.numEvents = n;
    GeneratorConfig gc = new GeneratorConfig(conf, base, 1, n, -1, 1);
    NexmarkGenerator gen = new NexmarkGenerator(gc);
    StringBuilder o = new StringBuilder("type,id,ts,a,b,c,d,e,extra_len,h\n");
    for (long k = 0; k < n; k++) {
      long eventId = gen.getNextEventId();
      long ts = gc.timestampForEvent(gc.nextAdjustedEventNumber(k));
      Event ev = gen.nextEvent().event;
      SplittableRandom r = new SplittableRandom(eventId);
      switch (ev.type) {
        case PERSON: {
          Person p = PersonGenerator.nextPerson(eventId, r, ts, gc);
          if (p.id != ev.newPerson.id || p.dateTime.toEpochMilli() != ev.newPerson.dateTime.toEpochMilli()) throw new AssertionError();
          o.append("0,").append(ev.newPerson.id).append(',').append(ev.newPerson.dateTime.toEpochMilli() - base)
           .append(",,,,,,").append(p.extra.length()).append(',')
           .append(fnv(p.name + "|" + p.emailAddress + "|" + p.creditCard + "|" + p.city + "|" + p.state)).append('\n');
          break;
        }
        case AUCTION: {
          Auction a = AuctionGenerator.nextAuction(k, eventId, r, ts, gc);
          if (a.id != ev.newAuction.id || a.dateTime.toEpochMilli() != ev.newAuction.dateTime.toEpochMilli()) throw new AssertionError();
          o.append("1,").append(ev.newAuction.id).append(',').append(ev.newAuction.dateTime.toEpochMilli() - base)
           .append(',').append(a.seller).append(',').append(a.category).append(',').append(a.initialBid)
           .append(',').append(a.reserve).append(',').append(a.expires.toEpochMilli() - base)
           .append(',').append(a.extra.length()).append(',').append(fnv(a.itemName + "|" + a.description)).append('\n');
          break;
        }
        default: {
          Bid b = BidGenerator.nextBid(eventId, r, ts, gc);
          if (b.dateTime.toEpochMilli() != ev.bid.dateTime.toEpochMilli()) throw new AssertionError();
          o.append("2,,").append(ev.bid.dateTime.toEpochMilli() - base)
           .append(',').append(b.bidder).append(',').append(b.auction).append(',').append(b.price)
           .append(",,,").append(b.extra.length()).append(',').append(fnv(b.channel)).append('\n');
        }
      }
    }
    System.out.print(o);
  }
}
J
find "$work/src" "$work/stub" -name '*.java' >"$work/files"
javac -nowarn -d "$work/classes" @"$work/files" 2>&1 | grep -v '^Note:' || true
mkdir -p "$(dirname "$out")"
java -cp "$work/classes" Dump >"$out"
echo "wrote $out ($(($(wc -l <"$out") - 1)) events)"
