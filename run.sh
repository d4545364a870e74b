#!/usr/bin/env bash
# Install NOCTURNE_OS into a local virtual environment and run the server in this console.
#   ./run.sh                     serve (LibreHardwareMonitor if reachable, else this PC's sensors)
#   ./run.sh --config my.json    any `nocturne` option works; `./run.sh doctor`, `./run.sh sensors`
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "run.sh: Python 3.10 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
    "$PYTHON" -m venv "$ROOT/.venv"
fi
"$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
if [ $# -eq 0 ]; then
    set -- --console
fi
exec "$ROOT/.venv/bin/nocturne" "$@"
