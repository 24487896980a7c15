#!/usr/bin/env bash
# Debian's Redis server for the ingest-queue tests (tests/test_ingest_queue.py start their own
# redis-server on a free loopback port; nothing here starts a service).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
