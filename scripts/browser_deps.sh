#!/usr/bin/env bash
# Debian's Chromium for the end-to-end browser test (Playwright drives it; no browser download),
# DejaVu (Vietnamese glyphs) for the PDFs the reader tests generate, and a colour emoji font so
# the UI's icons render in screenshots.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
  && fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then exit 0; fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
# The font is cosmetic: a mirror without it must not fail the set-up.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-color-emoji >/dev/null \
  || echo "warning: fonts-noto-color-emoji not installed; emoji will show as boxes in screenshots"
