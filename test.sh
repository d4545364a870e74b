#!/usr/bin/env bash
# Install everything the tests need, then run lint, format check and the whole test suite.
#   ./test.sh            all tests
#   ./test.sh -k server  extra arguments go to pytest
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "test.sh: Python 3.10 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi

# Python packages, in a virtual environment of the project's own.
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PYTHON" -m venv .venv
fi
echo "== installing the package and its test dependencies"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,device,build]'

# Node runs the real MicroPython (its WebAssembly port) for the firmware tests.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing Node.js from Debian's packages"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "test.sh: Node.js 18+ and npm are needed for the firmware tests; install them" \
             "(Debian/Ubuntu: sudo apt-get install nodejs npm) and run again." >&2
        exit 1
    fi
fi

# The media tests (tests/host/test_media_mpris.py, test_weather_media_e2e.py) run a private
# D-Bus session bus and a real player: dbus-daemon, and mpv with the mpv-mpris plugin, from
# Debian's packages. Without them those tests FAIL (they never skip), so install them here.
MEDIA_MISSING=()
command -v dbus-daemon >/dev/null 2>&1 || MEDIA_MISSING+=(dbus)
command -v mpv >/dev/null 2>&1 || MEDIA_MISSING+=(mpv)
if [ ! -f /usr/lib/mpv-mpris/mpris.so ] && [ ! -f /etc/mpv/scripts/mpris.so ]; then
    MEDIA_MISSING+=(mpv-mpris)
fi
if [ "${#MEDIA_MISSING[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing ${MEDIA_MISSING[*]} from Debian's packages (media tests)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${MEDIA_MISSING[@]}" >/dev/null
    else
        echo "test.sh: the media tests need ${MEDIA_MISSING[*]} (a D-Bus session bus and the" \
             "mpv player with its MPRIS plugin); install them (Debian/Ubuntu: sudo apt-get" \
             "install dbus mpv mpv-mpris) and run again." >&2
        exit 1
    fi
fi

# The tray tests (tests/host/test_tray.py) run a real X server with a real system tray:
# Xvfb, trayer and xdotool from Debian's packages. They FAIL without them, so install them here.
X_MISSING=()
command -v Xvfb >/dev/null 2>&1 || X_MISSING+=(xvfb)
command -v trayer >/dev/null 2>&1 || X_MISSING+=(trayer)
command -v xdotool >/dev/null 2>&1 || X_MISSING+=(xdotool)
if [ "${#X_MISSING[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing ${X_MISSING[*]} from Debian's packages (tray tests)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${X_MISSING[@]}" >/dev/null
    else
        echo "test.sh: the tray tests need ${X_MISSING[*]}; install them (Debian/Ubuntu:" \
             "sudo apt-get install xvfb trayer xdotool) and run again." >&2
        exit 1
    fi
fi

WASM_DIR=tests/firmware/wasm
if [ -f "$WASM_DIR/package-lock.json" ]; then
    if [ ! -f "$WASM_DIR/node_modules/.package-lock.json" ] \
        || [ "$WASM_DIR/package-lock.json" -nt "$WASM_DIR/node_modules/.package-lock.json" ]; then
        echo "== installing MicroPython (WebAssembly) from npm"
        (cd "$WASM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== pytest"
# Screenshots and other artefacts the tests leave for people to look at.
export NOCTURNE_ARTIFACTS="${NOCTURNE_ARTIFACTS:-$ROOT/.artifacts}"
exec .venv/bin/python -m pytest "$@"
