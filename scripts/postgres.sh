#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests of the PostgreSQL store.
#
#   source scripts/postgres.sh        # starts it, exports DEPLOYGOV_TEST_POSTGRES_URL, stops it on EXIT
#   bash scripts/postgres.sh CMD ...  # runs CMD with the URL set, then stops the server
#
# Installs Debian's `postgresql` when no server binaries are found (apt-get, noninteractive; sudo
# only when not root). The cluster lives in a temporary folder (trust authentication, fsync off:
# it holds nothing worth keeping) and listens on 127.0.0.1, on the first free port from
# DEPLOYGOV_PG_PORT (default 54329). When DEPLOYGOV_TEST_POSTGRES_URL is already set, that server
# is used and nothing is started. PostgreSQL refuses to run as root: as root the server runs as
# the `postgres` user through runuser.

dg_pg_start() {
  if [ -n "${DEPLOYGOV_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres: using DEPLOYGOV_TEST_POSTGRES_URL from the environment"
    return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres: installing Debian's postgresql"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql </dev/null >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  local as=()
  DG_PG_TMP=$(mktemp -d /tmp/deploygov-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    as=(runuser -u postgres --)
    chown postgres: "$DG_PG_TMP"
  fi
  local port=${DEPLOYGOV_PG_PORT:-54329} last=$(( ${DEPLOYGOV_PG_PORT:-54329} + 50 ))
  while (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
    if [ "$port" -gt "$last" ]; then
      echo "postgres: no free port" >&2
      return 1
    fi
  done
  "${as[@]}" "$bin/initdb" -D "$DG_PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DG_PG_TMP/initdb.log" 2>&1 \
    || { cat "$DG_PG_TMP/initdb.log" >&2; return 1; }
  DG_PG_CTL=("${as[@]}" "$bin/pg_ctl" -D "$DG_PG_TMP/data")
  "${DG_PG_CTL[@]}" -l "$DG_PG_TMP/log" -w -o "-c listen_addresses=127.0.0.1 -c port=$port \
    -c unix_socket_directories=$DG_PG_TMP -c max_connections=300 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off" start >/dev/null || { cat "$DG_PG_TMP/log" >&2; return 1; }
  export DEPLOYGOV_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "postgres: throwaway server at $DEPLOYGOV_TEST_POSTGRES_URL"
}

dg_pg_stop() {
  if [ -n "${DG_PG_TMP:-}" ] && [ -d "$DG_PG_TMP" ]; then
    "${DG_PG_CTL[@]}" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DG_PG_TMP"
    unset DEPLOYGOV_TEST_POSTGRES_URL DG_PG_TMP
  fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: keep whatever EXIT trap the caller had, and stop the server after it.
  dg_pg_prev_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  trap "${dg_pg_prev_trap:+$dg_pg_prev_trap; }dg_pg_stop" EXIT
  dg_pg_start
else
  set -euo pipefail
  trap dg_pg_stop EXIT
  dg_pg_start
  if [ "$#" -gt 0 ]; then
    "$@"
  else
    echo "postgres: no command given; stopping" >&2
  fi
fi
