#!/usr/bin/env bash
# The main job: set up, ingest the shipped sample reports, open the chat UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/baocao start "$@"
