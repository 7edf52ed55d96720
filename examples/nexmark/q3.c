/*
 * q3.c: Nexmark Query 3, local item suggestion: who sells in category 10 in Oregon, Idaho or
 * California,
 *     SELECT P.name, P.city, P.state, A.id
 *     FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
 *     WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
 * Flink runs this regular join of two append-only inputs as an append-only result; here it is a
 * keyed co-process function over seller = person id: the person (ids are unique, so at most one
 * per key) is kept in value state, auctions that arrive before their seller wait in list state,
 * and every match is emitted once, whichever side came first.
 */
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q3_out, (name, STRING_NOT_NULL), (city, STRING_NOT_NULL), (state, STRING_NOT_NULL),
             (id, BIGINT_NOT_NULL));

int q3_category_10(spate_ctx *ctx, const spate_row *in) {
  return nexmark_auction_category(in) == 10;
}

int q3_far_west(spate_ctx *ctx, const spate_row *in) {
  spate_bytes s = nexmark_person_state(in);
  return s.len == 2 && (memcmp(s.ptr, "OR", 2) == 0 || memcmp(s.ptr, "ID", 2) == 0 ||
                        memcmp(s.ptr, "CA", 2) == 0);
}

static spate_state *seller(spate_ctx *ctx) {
  spate_state_desc d = {
      .name = "seller", .kind = SPATE_STATE_VALUE, .schema = nexmark_person_schema()};
  return spate_ctx_state(ctx, &d);
}

static int emit(spate_collector *out, const spate_row *person, int64_t auction) {
  struct nexmark_person p = nexmark_person_read(person);
  return q3_out_emit(out, &(struct q3_out){p.name, p.city, p.state, auction});
}

int q3_auction(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_row person;
  int found = spate_value_get(seller(ctx), &person);
  if (found < 0) return found;
  if (found) return emit(out, &person, nexmark_auction_id(in));
  return spate_list_add_bigint(spate_list_state_bigint(ctx, "waiting"), nexmark_auction_id(in));
}

int q3_person(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = spate_value_update(seller(ctx), in);
  spate_state *waiting = spate_list_state_bigint(ctx, "waiting");
  spate_state_iter it;
  if (rc < 0 || (rc = spate_list_iter(waiting, &it)) < 0) return rc;
  int64_t auction;
  while (spate_list_next_bigint(&it, &auction))
    if ((rc = emit(out, in, auction)) < 0) return rc;
  return spate_state_clear(waiting);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *auctions =
      spate_filter(spate_nexmark_source(env, SPATE_NEXMARK_AUCTION, NULL), q3_category_10);
  spate_stream *people =
      spate_filter(spate_nexmark_source(env, SPATE_NEXMARK_PERSON, NULL), q3_far_west);
  spate_stream *joined = spate_co_process(
      spate_connect(spate_key_by_name(auctions, "seller"), spate_key_by_name(people, "id")),
      q3_auction, q3_person, NULL, q3_out_schema());
  nexmark_output(env, joined, q3_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q3");
}
