#!/usr/bin/env bash
# Build the Linux one-folder bundle from installer/federation-desk.spec (the same spec as the Windows build).
#
#   installer/build-linux.sh [--python PYTHON] [--dist DIR] [--work DIR] [--tar]
#
#   --python  the Python whose environment has Federation Desk and PyInstaller installed
#             (default: .venv/bin/python, made by `python3 dev.py setup`)
#   --dist    where dist/FederationDesk/ goes (default: dist/)
#   --work    PyInstaller's working folder (default: build/pyinstaller/); kept between builds to save time
#   --tar     also pack dist/FederationDesk-VERSION-linux-ARCH.tar.gz
#
# The bundle runs on a Linux desktop with the usual system libraries (PLATFORM.md 3 and 12):
# libgl1 libegl1 libglib2.0-0 libxkbcommon0 libfreetype6 libfontconfig1 libdbus-1-3, and on X11
# libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="$ROOT/.venv/bin/python"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
TAR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --python) PYTHON="$2"; shift 2 ;;
    --dist) DIST="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --tar) TAR=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "Unknown option $1 (see $0 --help)" >&2; exit 2 ;;
  esac
done

if ! command -v objdump >/dev/null 2>&1 || ! command -v objcopy >/dev/null 2>&1; then
  echo "PyInstaller needs objdump and objcopy on Linux: install binutils (sudo apt-get install binutils)." >&2
  exit 1
fi
if [ ! -x "$PYTHON" ]; then
  echo "No Python at $PYTHON. Run 'python3 dev.py setup' first, or pass --python." >&2
  exit 1
fi
if ! "$PYTHON" -c "import PyInstaller, federation_desk" 2>/dev/null; then
  echo "PyInstaller or Federation Desk is not installed for $PYTHON." >&2
  echo "Install them with: $PYTHON -m pip install -e '$ROOT[test]'" >&2
  exit 1
fi

VERSION="$("$PYTHON" -c 'import federation_desk; print(federation_desk.__version__)')"
echo "Building Federation Desk $VERSION into $DIST/FederationDesk ..."
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/installer/federation-desk.spec"

BUNDLE="$DIST/FederationDesk"
# The bundled command line must start and report the version it was built from.
REPORTED="$("$BUNDLE/federation-desk-cli" --version)"
if [ "$REPORTED" != "Federation Desk $VERSION" ]; then
  echo "The bundle reports '$REPORTED', expected 'Federation Desk $VERSION'." >&2
  exit 1
fi
echo "Built $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)): federation-desk (app), federation-desk-cli (command line)."

if [ "$TAR" -eq 1 ]; then
  ARCHIVE="$DIST/FederationDesk-$VERSION-linux-$(uname -m).tar.gz"
  tar -C "$DIST" -czf "$ARCHIVE" FederationDesk
  echo "Packed $ARCHIVE"
fi
