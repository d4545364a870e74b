#!/usr/bin/env bash
# Install NOCTURNE_OS into a local virtual environment and run the server in this console.
#   ./run.sh                     serve (LibreHardwareMonitor if reachable, else this PC's sensors)
#   ./run.sh --config my.json    the same, on that config; any `nocturne` option works, and
#                                `./run.sh doctor`, `./run.sh sensors`, `./run.sh emulate`
# pip runs only when pyproject.toml changed since the last install (the stamp file that
# setup_nocturne.py keeps too), so a second start is quick and works offline.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-python3}"
VENV_PY="$ROOT/.venv/bin/python"
STAMP="$ROOT/.venv/.nocturne-installed"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "run.sh: Python 3.10 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x "$VENV_PY" ]; then
    echo "run.sh: creating the virtual environment $ROOT/.venv ..."
    "$PYTHON" -m venv "$ROOT/.venv"
fi
WANTED="$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANTED" ]; then
    echo "run.sh: installing NOCTURNE_OS and what it needs into $ROOT/.venv (a minute the first time) ..."
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
    printf '%s' "$WANTED" >"$STAMP"
    echo "run.sh: installed; the next start skips this step."
fi
export NOCTURNE_COMMAND="./run.sh"  # how the server's "Next:" hint names this command
# --console for every start: `./run.sh --config x.json` runs as plain `./run.sh` does.
exec "$VENV_PY" -m nocturne --console "$@"
