#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (scripts/test.sh uses it).
#
#   scripts/pg.sh start DIR   installs Debian's postgresql if missing, creates a cluster in DIR,
#                             starts it on a Unix socket in DIR (no TCP) and prints its URL
#   scripts/pg.sh stop DIR    stops that server and removes DIR
#
# The cluster trusts local connections, keeps no data worth keeping (fsync off) and listens on no
# network address. Override the server binaries with PG_BINDIR, the port (socket name) with PG_PORT.
set -euo pipefail

action="${1:-}"
dir="${2:-}"
if [ -z "$action" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
port="${PG_PORT:-5433}"

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Runs a server binary as the owner of the cluster: `postgres` when we are root (initdb refuses
# root), else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
  start)
    bindir="$(find_bindir)"
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
      echo "pg: installing Debian's postgresql" >&2
      SUDO=""
      if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
      bindir="$(find_bindir)"
    fi
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
      echo "pg: no PostgreSQL server binaries found" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
      cat "$dir/server.log" >&2 || true
      exit 1
    fi
    echo "postgresql+psycopg://postgres@/postgres?host=$dir&port=$port"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      bindir="$(find_bindir)"
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
