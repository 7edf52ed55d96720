#!/usr/bin/env bash
# record_compile_errors.sh CC INCLUDE_DIR: typed records (spate/record.h) are checked by the
# compiler. A small job file that uses a record correctly must compile; each mistake below,
# made on one line of that same file, must fail to compile with an error on that line (no
# -Werror: a plain compile refuses them).
set -uo pipefail
cc=$1
inc=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# The file: a record, then a function whose marked line each case replaces.
job() {
  cat <<C
#include "spate/spate.h"
SPATE_RECORD(sensor, (id, STRING), (ts, TIMESTAMP), (temp, DOUBLE), (ok, BOOLEAN), (n, INT),
             (raw, BYTES), (big, BIGINT));
int udf(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  double t = sensor_temp(in);
  spate_bytes id = sensor_id(in);
  sensor_set_id(out, id.ptr, id.len);
  sensor_set_temp(out, t);
  $1 /* the line under test */
  return 0;
}
C
}

compile() { "$cc" -std=gnu11 -fsyntax-only -Wall -I"$inc" "$@" >"$dir/out" 2>&1; }

fails=0
# the correct use, also of typed parameters (SPATE_WITH_PARAMS takes an initializer list, a
# compound literal or a value), with and without NDEBUG
ok='sensor_set_ts(out, 1); sensor_set_id_str(out, "x"); int64_t b = sensor_big(in); (void)b;'
ok+=' struct p { int x; } v = {2}; spate_stream *s = NULL; SPATE_WITH_PARAMS(s, struct p, {.x = 1});'
ok+=' SPATE_WITH_PARAMS(s, struct p, ((struct p){.x = 1})); SPATE_WITH_PARAMS(s, struct p, v);'
ok+=' const struct p *pp = SPATE_PARAMS(ctx, struct p); (void)pp;'
job "$ok" >"$dir/ok.c"
for flags in "" "-DNDEBUG"; do
  if ! compile "$dir/ok.c" $flags; then
    echo "FAIL: the correct use does not compile ($flags):"; cat "$dir/out"; exit 1
  fi
done

cases=(
  'spate_bytes b = sensor_temp(in); (void)b;'          # a DOUBLE read as a string
  'int64_t x = sensor_id(in); (void)x;'                # a STRING read as an integer
  'double d = sensor_raw(in); (void)d;'                # BYTES read as a double
  'sensor_set_temp(out, "21.5");'                      # a string passed to a DOUBLE setter
  'sensor_set_ts(out, "2024-01-01");'                  # a string passed to a TIMESTAMP setter
  'sensor_set_n(out, in);'                             # a pointer passed to an INT setter
  'sensor_set_id(out, 21.5, 4);'                       # a double passed to a STRING setter
  'sensor_set_raw(out, 7, 1);'                         # an integer passed to a BYTES setter
  'double h = sensor_humidity(in); (void)h;'           # a field the record does not have
  'sensor_set_humidity(out, 1.0);'                     # ... nor a setter of it
  'struct sensor s = sensor_read(in); double x = s.id; (void)x;' # the struct view is typed too
)
for c in "${cases[@]}"; do
  job "$c" >"$dir/bad.c"
  if compile "$dir/bad.c"; then
    echo "FAIL: compiled although it must not: $c"; fails=$((fails + 1))
  elif ! grep -q "bad.c:9:[0-9]*: error" "$dir/out"; then
    echo "FAIL: no error on the line under test for: $c"; cat "$dir/out"; fails=$((fails + 1))
  else
    echo "ok: refused: $c"
  fi
done
exit $((fails > 0))
