#!/usr/bin/env bash
# Set up and run the whole test suite (what CI runs): lint, type check, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/llm_deps.sh || echo "warning: llama-cpp-python not installed; the real-model tests will be skipped"
bash scripts/redis_deps.sh || echo "warning: redis-server not installed; the ingest-queue tests will be skipped"
bash scripts/browser_deps.sh || echo "warning: Chromium not installed; the browser test will be skipped"
echo "ruff check . && mypy"
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q -rs -p no:cacheprovider "$@"
