#!/usr/bin/env bash
# Creates .venv-mcp with the official MCP Python client and what its tests need; safe to run again.
# Pinned so CI sees the client the tests were written against; pip's cache makes reruns cheap.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.venv-mcp
requirements=(mcp==2.3.0 jsonschema==4.26.0 pytest)
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import mcp, jsonschema, pytest" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
fi
