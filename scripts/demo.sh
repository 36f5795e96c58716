#!/usr/bin/env bash
# Main job end to end on the bundled sample case (installs what it needs first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/audita --home "${AUDITA_DEMO_HOME:-.audita-demo}" demo "$@"
