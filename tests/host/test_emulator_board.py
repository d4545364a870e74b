"""Both emulated boards are a ``Board`` (emulator/board.py): the firmware in CPython
(``Device``) and under the MicroPython unix port (``MpDevice``), checked by pyright (npm,
tests/firmware/typecheck) against the Protocol, so the CLI and views can take either."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYRIGHT = ROOT / "tests" / "firmware" / "typecheck" / "node_modules" / "pyright" / "index.js"
PROBE = """\
from nocturne.emulator.board import Board
from nocturne.emulator.device import Device
from nocturne.emulator.mp_runtime import MpDevice


def boards(a: Device, b: MpDevice) -> list[Board]:
    return [a, b]
"""


def pyright_errors(tmp_path: Path, source: str) -> list[str]:
    node = shutil.which("node")
    assert node and PYRIGHT.is_file(), "node or pyright is missing: run ./test.sh"
    (tmp_path / "probe.py").write_text(source)
    config = {
        "pythonVersion": "3.11",
        "typeCheckingMode": "basic",
        "extraPaths": [str(ROOT / "src")],
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config))
    run = subprocess.run(
        [node, str(PYRIGHT), "-p", str(tmp_path / "pyrightconfig.json"), "--pythonpath",
         sys.executable, "--outputjson", str(tmp_path / "probe.py")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = json.loads(run.stdout)
    return [d["message"] for d in report["generalDiagnostics"] if d["severity"] == "error"]


def test_both_runtimes_boards_are_a_board(tmp_path):
    assert pyright_errors(tmp_path, PROBE) == []


def test_a_board_that_lacks_a_member_is_not_one(tmp_path):
    lacking = PROBE + "\n\nclass NoButton:\n    name = 'x'\n\n\nnot_one: Board = NoButton()\n"
    errors = pyright_errors(tmp_path, lacking)
    assert len(errors) == 1 and '"NoButton" is incompatible with protocol "Board"' in errors[0]
