#!/usr/bin/env bash
# The whole test suite (installs what it needs first). Store-facing tests run on SQLite and on a
# throwaway PostgreSQL server started here (scripts/pg.sh) unless AUDITA_TEST_PG_URL names one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${AUDITA_TEST_PG_URL:-}" ]; then
  pg_dir="$(mktemp -d /tmp/audita-test-pg.XXXXXX)"  # short: a socket path has ~100 bytes
  if url="$(bash scripts/pg.sh start "$pg_dir")"; then
    export AUDITA_TEST_PG_URL="$url"
    trap 'bash scripts/pg.sh stop "$pg_dir"' EXIT
  else
    rm -rf "$pg_dir"
    echo "test: PostgreSQL could not be started: its tests will be skipped (they fail under CI=true)" >&2
  fi
fi
status=0
.venv/bin/python -m pytest "$@" || status=$?
exit "$status"
