#!/usr/bin/env bash
# Installs everything Audita needs on a fresh Debian 12 machine: Debian packages, a virtual
# environment in .venv with the pinned Python dependencies. Safe to re-run; quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(sox libsox-fmt-all ffmpeg festival festvox-ru libchromaprint-tools python3-venv git chromium fonts-dejavu-core)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi

stamp=".setup-stamp-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python dependencies" >&2
  log=.venv/setup-pip.log
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e '.[test,postgres,ray]' \
      && .venv/bin/python -m pip install --no-deps 'Resemblyzer==0.1.4'; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  .venv/bin/python -c "import audita" # fail loudly if the install did not work
  rm -f .setup-stamp-*
  touch "$stamp"
fi
