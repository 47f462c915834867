#!/usr/bin/env bash
# Installs what the Studio's browser test needs: aiohttp and Playwright (pip) and Debian's chromium (apt).
# Playwright's own browser download is not used: the test launches the system chromium (executable_path).
# Run as root (or with sudo) on Debian/Ubuntu; without these the browser test skips.
set -euo pipefail
python -m pip install 'aiohttp>=3.9' playwright
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi
chromium --version
