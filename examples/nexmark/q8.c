/*
 * q8.c: Nexmark Query 8, monitor new users: people who opened an auction in the same 10-second
 * window in which they registered,
 *     SELECT P.id, P.name, P.starttime FROM
 *       (SELECT id, name, window_start AS starttime, window_end AS endtime
 *        FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *        GROUP BY id, name, window_start, window_end) P
 *     JOIN
 *       (SELECT seller, window_start AS starttime, window_end AS endtime
 *        FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *        GROUP BY seller, window_start, window_end) A
 *     ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
 * A window coGroup of people (by id) and auctions (by seller) over tumbling event-time windows of
 * 10 s: a window and key with at least one auction emits each distinct (id, name) of its people
 * once, as both GROUP BYs make the join's sides distinct.
 */
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q8_out, (id, BIGINT_NOT_NULL), (name, STRING_NOT_NULL), (stime, TIMESTAMP_NOT_NULL));

int q8_match(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *people,
             spate_window_elements *auctions, spate_collector *out) {
  spate_row row;
  if (!spate_window_next(auctions, &row)) return 0; /* no auction by this person here */
  /* People of one key share the id; names may repeat (ids are unique in the generator, so there
   * is one, but GROUP BY id, name would keep every distinct name). */
  enum { MAX_NAMES = 8 };
  spate_bytes seen[MAX_NAMES];
  int nseen = 0;
  while (spate_window_next(people, &row)) {
    struct nexmark_person p = nexmark_person_read(&row);
    bool dup = false;
    for (int i = 0; i < nseen && !dup; i++)
      dup = seen[i].len == p.name.len && memcmp(seen[i].ptr, p.name.ptr, p.name.len) == 0;
    if (dup) continue;
    if (nseen == MAX_NAMES)
      return spate_ctx_fail(ctx, "q8: person %lld has more than %d names in one window",
                            (long long)p.id, MAX_NAMES);
    int rc = q8_out_emit(out, &(struct q8_out){p.id, p.name, w->start});
    if (rc < 0) return rc;
    seen[nseen++] = p.name; /* rows of the window stay valid while it fires */
  }
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *people = spate_nexmark_source(env, SPATE_NEXMARK_PERSON, NULL);
  spate_stream *auctions = spate_nexmark_source(env, SPATE_NEXMARK_AUCTION, NULL);
  spate_stream *joined = spate_window_cogroup(
      spate_key_by_name(people, "id"), spate_key_by_name(auctions, "seller"),
      spate_tumbling_windows(SPATE_EVENT_TIME, 10000, 0), q8_match, q8_out_schema());
  nexmark_output(env, joined, q8_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q8");
}
