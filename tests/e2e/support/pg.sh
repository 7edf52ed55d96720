# pg.sh: a private PostgreSQL server for one test (sourced, not a test itself). Debian's server
# binaries run from a data directory and a Unix socket under the test's own directory, on no TCP
# port, and stop with the test. PostgreSQL refuses to run as root, so under root (as in CI) the
# server runs as the unprivileged user `nobody` through runuser; psql, the client, runs as the
# caller and reads the files it loads itself (\copy).
#
#   pg_start DIR   initdb + start; returns 1 (log shown) if either fails; the server stops
#                  when the test's shell is gone, even when it was killed
#   pg_sql ARGS... psql on that server (database postgres, user spate), stopping at an error
#   pg_stop        stops it (fast shutdown); safe to call twice
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_dir=
pg_as=()

pg_start() {
  pg_dir=$1
  if [ -z "$pg_bin" ]; then
    echo "PostgreSQL's server is not installed (scripts/setup.sh installs package postgresql)" >&2
    return 1
  fi
  mkdir -p "$pg_dir/sock"
  if [ "$(id -u)" = 0 ]; then
    chmod o+x "$(dirname "$pg_dir")" # the server's user must reach its directory
    chown -R nobody: "$pg_dir"
    pg_as=(runuser -u nobody --)
  fi
  if ! "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U spate -E UTF8 --locale=C \
    --no-sync >"$pg_dir/initdb.log" 2>&1; then
    cat "$pg_dir/initdb.log" >&2
    return 1
  fi
  # fsync off: the data is the test's, rebuilt every run
  if ! "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 120 \
    -o "-k $pg_dir/sock -c listen_addresses= -c fsync=off -p 5432" start >/dev/null; then
    cat "$pg_dir/server.log" >&2
    return 1
  fi
  # A test that ctest kills at its timeout never runs its EXIT trap, so the server would outlive
  # it. A watchdog stops it once the test's shell is gone: started through a subshell that exits
  # at once and in a session of its own, it is no descendant of the test that a kill of the
  # test's process tree would take along; its output goes nowhere, so ctest does not wait on it.
  (setsid bash -c 'tail --pid="$1" -f /dev/null; shift; "$@"' _ "$$" "${pg_as[@]}" \
    "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 60 stop </dev/null >/dev/null 2>&1 &)
}

pg_sql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$pg_dir/sock" -p 5432 -U spate -d postgres "$@"
}

pg_stop() {
  [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ] || return 0
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 120 stop >/dev/null 2>&1 || true
}
