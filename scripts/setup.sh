#!/usr/bin/env bash
# Creates .venv and installs lens with what it needs to run (or, with --dev, to be tested).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/pip install --quiet -r requirements-dev.txt
else
  .venv/bin/pip install --quiet -r requirements.txt
fi
.venv/bin/pip install --quiet --no-deps -e .
