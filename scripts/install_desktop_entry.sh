#!/usr/bin/env bash
# Install streamdesk's desktop entry and icons for the current user (no root), so it shows up in the
# application menu with its icon:
#   scripts/install_desktop_entry.sh                     for a pip/venv install (`streamdesk` on PATH)
#   scripts/install_desktop_entry.sh dist/streamdesk     for the bundle: also links ~/.local/bin/streamdesk
#   scripts/install_desktop_entry.sh --uninstall
# Honours XDG_DATA_HOME (default ~/.local/share).
set -euo pipefail
cd "$(dirname "$0")/.."

res=streamdesk/resources
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor
bin=$HOME/.local/bin

if [[ "${1:-}" == "--uninstall" ]]; then
  rm -f "$apps/streamdesk.desktop" "$icons"/*/apps/streamdesk.png "$icons/scalable/apps/streamdesk.svg"
  [[ -L $bin/streamdesk ]] && rm -f "$bin/streamdesk"
  echo "install_desktop_entry: removed"
  exit 0
fi

if [[ -n "${1:-}" ]]; then
  exe=$(cd "$1" && pwd)/streamdesk
  [[ -x $exe ]] || { echo "install_desktop_entry: $exe is not the bundle's executable" >&2; exit 1; }
  mkdir -p "$bin"
  ln -sfn "$exe" "$bin/streamdesk"
  echo "install_desktop_entry: linked $bin/streamdesk -> $exe"
fi

mkdir -p "$apps" "$icons/scalable/apps"
install -m 0644 "$res/streamdesk.desktop" "$apps/streamdesk.desktop"
install -m 0644 "$res/streamdesk.svg" "$icons/scalable/apps/streamdesk.svg"
for png in "$res"/icons/hicolor/*/apps/streamdesk.png; do
  size=$(basename "$(dirname "$(dirname "$png")")")
  install -D -m 0644 "$png" "$icons/$size/apps/streamdesk.png"
done
# refresh the menu and icon caches where the tools exist (harmless when they do not)
command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
command -v streamdesk >/dev/null || echo "install_desktop_entry: note: \`streamdesk\` is not on PATH yet (is ~/.local/bin on it?)"
echo "install_desktop_entry: installed $apps/streamdesk.desktop and icons under $icons"
