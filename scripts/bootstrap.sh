#!/usr/bin/env bash
# Set up everything streamdesk needs on a Debian/Ubuntu machine with Python 3.11+:
# the Debian packages for Qt under X/offscreen, the real components the tests use
# (Xvfb, D-Bus + gnome-keyring, OBS Studio, nginx with RTMP), and a virtualenv in .venv
# with streamdesk and its test extras. Idempotent: a second run only checks.
#   --app-only   skip the packages only the tests need (OBS, nginx, gnome-keyring)
set -euo pipefail
cd "$(dirname "$0")/.."

APP_PKGS=(libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-sync1 libxcb-xkb1
  libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
  fonts-noto-color-emoji)  # the 👁 and 📋 buttons of the secret fields
TEST_PKGS=(xvfb xauth dbus gnome-keyring obs-studio nginx libnginx-mod-rtmp iproute2 desktop-file-utils appstream)

pkgs=("${APP_PKGS[@]}")
[[ "${1:-}" == "--app-only" ]] || pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "streamdesk needs Python 3.11+"'
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [[ "${1:-}" == "--app-only" ]]; then extras=""; else extras="[test,package,dev]"; fi
.venv/bin/python -m pip install -q -e ".$extras"
echo "bootstrap: ready (.venv)"
