#!/usr/bin/env bash
# Set up the project on a fresh machine: uv (if missing), then the locked environment in .venv.
# Deterministic: `uv sync --frozen` installs exactly what uv.lock records (CPU torch from /opt/wheels).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "Installing uv..."
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
UV=$(command -v uv || echo "$(python3 -m site --user-base)/bin/uv")
"$UV" sync --frozen --quiet "$@"
echo "Environment ready: $(.venv/bin/python --version), $(.venv/bin/python -c 'import chromadb, streamlit; print("chromadb", chromadb.__version__, "streamlit", streamlit.__version__)')"
