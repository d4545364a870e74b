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

# Debian packages the tests run for real, never skip, and so install here when missing:
#   nodejs, npm       the real MicroPython (its WebAssembly port) for the firmware tests
#   dbus, mpv,        a private D-Bus session bus and a real player with its MPRIS plugin,
#   mpv-mpris           for the media tests
#   xvfb, trayer,     an X server with a real system tray, and clicks, for the tray tests
#   xdotool             and the emulator's window test
#   xfonts-base       fonts for Tk in that window
#   mosquitto         a real MQTT broker for the MQTT / Home Assistant tests
#   prometheus        promtool, which checks the /metrics text
#   chromium          a real browser (headless, driven by playwright-core) for the dashboard
MISSING=()
command -v node >/dev/null 2>&1 || MISSING+=(nodejs)
command -v npm >/dev/null 2>&1 || MISSING+=(npm)
command -v dbus-daemon >/dev/null 2>&1 || MISSING+=(dbus)
command -v mpv >/dev/null 2>&1 || MISSING+=(mpv)
if [ ! -f /usr/lib/mpv-mpris/mpris.so ] && [ ! -f /etc/mpv/scripts/mpris.so ]; then
    MISSING+=(mpv-mpris)
fi
command -v Xvfb >/dev/null 2>&1 || MISSING+=(xvfb xfonts-base)  # fonts for Tk in the window test
command -v trayer >/dev/null 2>&1 || MISSING+=(trayer)
command -v xdotool >/dev/null 2>&1 || MISSING+=(xdotool)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || MISSING+=(mosquitto)
command -v promtool >/dev/null 2>&1 || MISSING+=(prometheus)
[ -x /usr/bin/chromium ] || MISSING+=(chromium)
if [ "${#MISSING[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing ${MISSING[*]} from Debian's packages"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${MISSING[@]}" >/dev/null
    else
        echo "test.sh: the tests need these Debian/Ubuntu packages: ${MISSING[*]}." \
             "Install them (sudo apt-get install ${MISSING[*]}) and run again." >&2
        exit 1
    fi
fi

# npm packages: the MicroPython WebAssembly port, pyright for the firmware's type check, and
# playwright-core, which drives the system's chromium (it downloads no browser of its own).
for NPM_DIR in tests/firmware/wasm tests/firmware/typecheck tests/browser; do
    if [ ! -f "$NPM_DIR/node_modules/.package-lock.json" ] \
        || [ "$NPM_DIR/package-lock.json" -nt "$NPM_DIR/node_modules/.package-lock.json" ]; then
        echo "== installing $NPM_DIR's npm packages"
        (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    fi
done

# The ESP32-S3 build's API, as stubs, in a folder of their own: installed into .venv they
# would shadow CPython's own time, socket... for every tool that looks there.
ESP32_STUBS="micropython-esp32-esp32-generic-s3-stubs==1.29.0.post1"
if [ "$(cat .stubs/esp32-s3/.installed 2>/dev/null)" != "$ESP32_STUBS" ]; then
    echo "== installing $ESP32_STUBS (type stubs of the board's MicroPython)"
    rm -rf .stubs/esp32-s3
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        --target .stubs/esp32-s3 "$ESP32_STUBS"
    echo "$ESP32_STUBS" > .stubs/esp32-s3/.installed
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== pytest"
# Screenshots and other artefacts the tests leave for people to look at.
export NOCTURNE_ARTIFACTS="${NOCTURNE_ARTIFACTS:-$ROOT/.artifacts}"
exec .venv/bin/python -m pytest "$@"
