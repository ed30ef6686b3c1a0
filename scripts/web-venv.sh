#!/usr/bin/env bash
# Creates .venv-web with Selenium and pytest for the browser tests (Tests/Browser); safe to run
# again. Chromium and its driver are Debian packages (scripts/deps.sh); Selenium drives them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.venv-web
requirements=(selenium==4.38.0 pytest)
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import selenium, pytest" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
fi
