#!/usr/bin/env bash
# Build the desktop bundle: dist/streamdesk/ (PyInstaller onedir, from streamdesk.spec), then print its
# size, the size of a .tar.gz of it, and how long the build took.
#   scripts/build_bundle.sh            build (installs the `package` extra into .venv when missing)
#   scripts/build_bundle.sh --tar      also leave dist/streamdesk-<version>-linux-<arch>.tar.gz
# STREAMDESK_BUNDLE_KEEP=group,… keeps exclusion groups in (see streamdesk.spec) to measure them.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[[ -x $PY ]] || { echo "build_bundle: no .venv here; run scripts/bootstrap.sh first" >&2; exit 1; }
if ! $PY -c 'import PyInstaller' 2>/dev/null; then
  echo "build_bundle: installing the packaging extra (PyInstaller)"
  $PY -m pip install -q -e '.[package]'
fi

start=$SECONDS
$PY -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller streamdesk.spec
elapsed=$((SECONDS - start))

out=dist/streamdesk
[[ -x $out/streamdesk ]] || { echo "build_bundle: $out/streamdesk was not produced" >&2; exit 1; }
version=$($PY -c 'import streamdesk; print(streamdesk.__version__)')
tarball=dist/streamdesk-$version-linux-$(uname -m).tar.gz
tar -C dist -czf "$tarball" streamdesk
printf 'build_bundle: %s built in %d s\n' "$out" "$elapsed"
printf 'build_bundle: size %s on disk, %s as .tar.gz\n' "$(du -sh "$out" | cut -f1)" "$(du -h "$tarball" | cut -f1)"
[[ "${1:-}" == "--tar" ]] && echo "build_bundle: $tarball" || rm -f "$tarball"
