"""setup_nocturne.py for real (a new virtual environment), and the Windows launchers' text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_setup(venv: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "setup_nocturne.py"), "--venv", str(venv),
         "--config", str(config)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_setup_creates_venv_installs_and_writes_config_then_is_idempotent(tmp_path):
    venv = tmp_path / "my venv"  # a space, as in "C:\Users\Ana Lee\..."
    config = tmp_path / "config.json"
    first = run_setup(venv, config)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"virtual environment: created {venv}" in first.stdout
    assert "NOCTURNE_OS: installed" in first.stdout
    assert f"config: created {config}" in first.stdout
    assert json.loads(config.read_text())["port"] == 8090
    python = venv / "bin" / "python"
    version = subprocess.run(
        [str(python), "-m", "nocturne", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.startswith("nocturne ")

    config.write_text('{"port": 9123}')
    second = run_setup(venv, config)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "(already there)" in second.stdout
    assert "NOCTURNE_OS: already installed" in second.stdout
    assert "(kept as it is)" in second.stdout
    assert "$ " not in second.stdout  # ran no command at all
    assert config.read_text() == '{"port": 9123}'


def bat(name: str) -> str:
    raw = (ROOT / name).read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), f"{name}: CRLF line ends"
    return raw.decode("ascii")


def test_launchers_find_their_folder_quote_paths_and_say_when_python_is_missing():
    for name in ("RUN.bat", "EMERGENCY_START.bat", "build.bat"):
        text = bat(name)
        assert 'set "ROOT=%~dp0"' in text  # their own folder, whatever the current one
        assert '"%ROOT%setup_nocturne.py"' in text
        assert "Python 3.10 or newer" in text
        for line in text.splitlines():  # every path from %ROOT% sits inside double quotes
            at = line.find("%ROOT%")
            while at != -1:
                assert line[:at].count('"') % 2 == 1, f"{name}: unquoted %ROOT% in {line!r}"
                at = line.find("%ROOT%", at + 1)
    run = bat("RUN.bat")
    assert 'start "" "%VENV_PYW%" -m nocturne --config "%ROOT%config.json"' in run
    emergency = bat("EMERGENCY_START.bat")
    assert '"%VENV_PY%" -m nocturne --console --config "%ROOT%config.json"' in emergency
    assert emergency.rstrip().endswith("pause")
    assert '"%VENV_PY%" tools\\build_exe.py' in bat("build.bat")
