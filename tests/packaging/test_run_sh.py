"""run.sh for real: pip only when pyproject.toml changed (offline after that), what it is
doing said on the first start, the same console mode with or without --config."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.harness.rig import free_port

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """run.sh and pyproject.toml in a folder of their own, with a .venv that has no pip and
    sees this checkout's package and dependencies (a .pth): pip run there fails as it does
    offline, and nocturne runs as installed."""
    root = tmp_path / "my checkout"
    root.mkdir()
    shutil.copy2(ROOT / "run.sh", root / "run.sh")
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = venv / "lib" / version / "site-packages"
    (site / "checkout.pth").write_text(f"{ROOT / 'src'}\n{sysconfig.get_paths()['purelib']}\n")
    return root


def stamp(root: Path) -> None:
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    (root / ".venv" / ".nocturne-installed").write_text(digest)


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    out.update(PIP_NO_INDEX="1", PYTHON=sys.executable, PYTHONUNBUFFERED="1")
    out.pop("DISPLAY", None)
    return out


def run_sh(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "run.sh"), *args], capture_output=True, text=True, env=env(), cwd=root,
        timeout=TIMEOUT,
    )  # fmt: skip


def test_installed_once_run_sh_skips_pip_and_works_offline(checkout):
    stamp(checkout)
    done = run_sh(checkout, "config", "--config", str(checkout / "c.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"created {checkout / 'c.json'}"
    assert "installing" not in done.stdout + done.stderr


def test_first_start_says_it_installs_and_a_changed_project_installs_again(checkout):
    stamp(checkout)
    with open(checkout / "pyproject.toml", "a") as f:
        f.write("\n# changed\n")
    done = run_sh(checkout, "config", "--config", str(checkout / "c.json"))
    assert "run.sh: installing NOCTURNE_OS" in done.stdout
    assert done.returncode != 0  # this .venv has no pip, as a first start offline
    assert not (checkout / "c.json").exists()


def test_run_sh_with_config_is_the_console_and_says_the_next_step(checkout):
    stamp(checkout)
    config = checkout / "x.json"
    config.write_text(
        json.dumps(
            {"host": "127.0.0.1", "port": free_port(), "lhm_url": "http://127.0.0.1:9/data.json",
             "ping_host": "", "mdns": False, "web": None}
        )
    )  # fmt: skip
    proc = subprocess.Popen(
        [str(checkout / "run.sh"), "--config", str(config)], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=env(), cwd=checkout,
    )  # fmt: skip
    seen: list[str] = []
    try:
        deadline = time.monotonic() + TIMEOUT
        assert proc.stdout is not None
        while not any("Next:" in line for line in seen):
            line = proc.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(seen)
            seen.append(line)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(seen)
    assert "No system tray" not in text and "in the tray" not in text
    assert "`./run.sh emulate` in another terminal" in text
