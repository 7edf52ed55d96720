/*
 * nexmark_source.c: the baseline job of the Nexmark query benchmark (bench/bench_nexmark.sh):
 * the Nexmark source alone, every event of the table `nexmark` (people, auctions and bids,
 * flattened) into a discarding sink. Its options come from the configuration, as the queries'
 * do, and it runs through the same runner:
 *
 *     spate nexmark run build/bench/nexmark_source.so --events N -p P [-D key=value]...
 */
#include <spate/nexmark.h>
#include <spate/spate.h>

int spate_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  spate_env *env = spate_env_create();
  spate_discard(spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, NULL));
  return spate_execute_main(env, "Nexmark source");
}
