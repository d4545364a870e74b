"""The firmware type-checks against the ESP32-S3 build's API (micropython-esp32-...-stubs).

pyright (npm, tests/firmware/typecheck) checks every firmware file with the board's stubs as
its standard library, so a call the board's MicroPython does not have — a keyword argument
its C functions do not take, a module CPython has and the board lacks — is an error here.
test.sh installs both; a missing one fails this test rather than skipping it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK_DIR = Path(__file__).resolve().parent / "typecheck"
PYRIGHT = CHECK_DIR / "node_modules" / "pyright" / "index.js"
STUBS = ROOT / ".stubs" / "esp32-s3"


def run_pyright(*files: Path) -> dict:
    node = shutil.which("node")
    assert node, "node is missing: ./test.sh installs nodejs"
    assert PYRIGHT.is_file(), f"{PYRIGHT} is missing: run ./test.sh (npm ci in {CHECK_DIR})"
    assert (STUBS / "machine.pyi").is_file(), f"{STUBS} is missing: run ./test.sh"
    cmd = [node, str(PYRIGHT), "-p", str(CHECK_DIR / "pyrightconfig.json"), "--outputjson"]
    proc = subprocess.run(
        [*cmd, *map(str, files)], capture_output=True, text=True, timeout=300, check=False
    )
    return json.loads(proc.stdout)


def firmware_files() -> list[Path]:
    fw = ROOT / "firmware"
    return sorted(p for p in fw.rglob("*.py") if p.name != "secrets.py")


def test_the_firmware_type_checks_against_the_esp32_s3_stubs():
    report = run_pyright(*firmware_files())
    findings = [
        f"{Path(d['file']).relative_to(ROOT)}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert report["summary"]["filesAnalyzed"] >= len(firmware_files())
    assert not findings, "\n".join(findings)


def test_the_check_sees_the_boards_api_not_cpythons(tmp_path):
    # time.monotonic is CPython's; the board has time.ticks_ms. A check that used CPython's
    # standard library would pass this file.
    probe = tmp_path / "probe.py"
    probe.write_text("import time\nimport machine\nmachine.Pin(0)\ntime.monotonic()\n")
    report = run_pyright(probe)
    messages = [d["message"] for d in report["generalDiagnostics"]]
    assert any("monotonic" in m for m in messages), messages
    assert not any("machine" in m for m in messages), messages
