#!/usr/bin/env bash
# README's test command: installs everything the tests need, then runs them all.
# PostgreSQL tests run when LENS_TEST_POSTGRES_URL is set (.ci/run sets it) and skip with a reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest "$@"
