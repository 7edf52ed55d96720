/*
 * nexmark.c: the API of the Nexmark source (include/spate/nexmark.h). The options are checked
 * here, where the job is built, by the configuration's own parser: each option becomes the
 * `nexmark.<name>` key of a copy of the environment's configuration (which holds what -D and
 * config.yaml set), so a bad value fails with the key's name, its expected form and its bounds.
 * The resolved options travel in the node's params; the operator is connectors/nexmark_source.c.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/config.h"
#include "connectors/nexmark_model.h"
#include "graph/op_params.h"
#include "spate/nexmark.h"

#define API "spate_nexmark_source"

/* Sets one source option on cfg under its nexmark.* key; false with env failed. */
static bool set_option(spate_env *env, sp_config *cfg, const char *key, const char *value) {
  if (!value) return api_fail(env, API ": option '%s' has no value", key), false;
  const char *name = strncmp(key, "nexmark.", 8) == 0 ? key + 8 : key;
  char full[128], err[SP_ERRMSG_MAX];
  if (snprintf(full, sizeof full, "nexmark.%s", name) >= (int)sizeof full)
    return api_fail(env, API ": unknown option '%.60s...'", key), false;
  if (sp_config_set(cfg, full, value, "nexmark source option", err, sizeof err) < 0)
    return api_fail(env, API ": option '%s': %s", key, err), false;
  return true;
}

spate_stream *spate_nexmark_source(spate_env *env, spate_nexmark_stream stream,
                                   const char *const *options) {
  if (!env || env->failed) return NULL;
  if (stream < SPATE_NEXMARK_EVENTS || stream > SPATE_NEXMARK_BID)
    return api_fail(env, API ": unknown stream %d", (int)stream), NULL;
  sp_config *cfg = sp_config_clone(env->config);
  if (!cfg) return api_fail(env, "out of memory"), NULL;
  for (size_t i = 0; options && options[i]; i += 2)
    if (!set_option(env, cfg, options[i], options[i + 1])) {
      sp_config_free(cfg);
      return NULL;
    }
  nexmark_config c;
  nexmark_config_defaults(&c);
  c.base_time = sp_wall_ms(); /* unless nexmark.base-time is set, as nexmark-flink does */
  nexmark_config_read(&c, cfg);
  sp_config_free(cfg);
  char err[SP_ERRMSG_MAX];
  if (nexmark_config_check(&c, err, sizeof err) < 0) return api_fail(env, API ": %s", err), NULL;
  static const char *const names[] = {"Source: Nexmark", "Source: Nexmark Person",
                                      "Source: Nexmark Auction", "Source: Nexmark Bid"};
  const spate_schema *schema = stream == SPATE_NEXMARK_EVENTS    ? nexmark_event_schema()
                               : stream == SPATE_NEXMARK_PERSON  ? nexmark_person_schema()
                               : stream == SPATE_NEXMARK_AUCTION ? nexmark_auction_schema()
                                                                 : nexmark_bid_schema();
  if (!schema) return api_fail(env, "out of memory"), NULL;
  op_nexmark_params p = {.stream = (uint8_t)stream,
                         .events_num = c.events_num,
                         .base_time = c.base_time,
                         .first_rate = c.first_rate,
                         .next_rate = c.next_rate,
                         .max_emit_speed = c.max_emit_speed,
                         .person_proportion = c.person_proportion,
                         .auction_proportion = c.auction_proportion,
                         .bid_proportion = c.bid_proportion,
                         .hot_sellers = c.hot_sellers,
                         .hot_auctions = c.hot_auctions,
                         .hot_bidders = c.hot_bidders,
                         .person_avg = c.person_avg,
                         .auction_avg = c.auction_avg,
                         .bid_avg = c.bid_avg,
                         .watermark_interval = 0}; /* set from the configuration at execution */
  int id;
  if (!api_add_node(env, OP_SRC_NEXMARK, names[stream], &id)) return NULL;
  sg_node *n = &env->g->nodes[id];
  n->out_schema = schema_ref(schema);
  n->chaining = CHAIN_HEAD;
  if (!api_set_params(env, id, &p)) return NULL;
  return api_new_stream(env, id, schema);
}
