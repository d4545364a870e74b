"""A plain (not editable) install of the wheel, as ``pipx install nocturne-os`` makes it: the
board's files ship inside it, ``nocturne flash`` and ``nocturne emulate`` find them there from
any folder, and the sdist carries ``firmware/`` too.

The wheel and sdist are built from a copy of the checkout with a developer's secrets.py, caches
and hidden files planted in ``firmware/``: none of them may ship. The virtual environment and
every working folder are outside the checkout; NOCTURNE_FIRMWARE is unset.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from nocturne.firmware_files import board_files
from tests.harness.rig import free_port, server_env, write_config

from ..conftest import CAPTURE_0_9_6

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
PACKAGED = "nocturne/_firmware/"
SECRET_MARKER = "a-developer-s-own-password"
PLANTED = {  # in the copy's firmware/, never in a wheel or on a board
    "secrets.py": f"WIFI_SSID = 'home'\nWIFI_PASSWORD = '{SECRET_MARKER}'\n",
    ".DS_Store": "junk",
    "nocturne_fw/__pycache__/app.cpython-311.pyc": "junk",
    "nocturne_fw/old.pyc": "junk",
}


def env_outside_the_checkout() -> dict[str, str]:
    env = server_env()
    for name in ("NOCTURNE_FIRMWARE", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def run(command: list[str], cwd: Path, timeout: float = 300.0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=cwd, env=env_outside_the_checkout(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def source_copy(target: Path) -> Path:
    """What a release is built from, plus what a developer's firmware/ may hold."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("src", "firmware"):
        shutil.copytree(ROOT / folder, target / folder, ignore=junk)
    for rel, text in PLANTED.items():
        path = target / "firmware" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return target


class Installed:
    def __init__(self, base: Path) -> None:
        self.source = source_copy(base / "source")
        self.dist = base / "dist"
        self.workdir = base / "work"  # where the user runs the commands
        self.workdir.mkdir()
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(self.dist),
             str(self.source)], cwd=base)  # fmt: skip
        (self.wheel,) = self.dist.glob("*.whl")
        venv = base / "venv"
        run([sys.executable, "-m", "venv", str(venv)], cwd=base)
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = str(bin_dir / "python")
        self.nocturne = str(bin_dir / "nocturne")
        # hatchling only to build the sdist below; deps from the registry (pip's cache).
        run([self.python, "-m", "pip", "install", "-q", str(self.wheel), "hatchling"], cwd=base)
        run([self.python, "-m", "hatchling", "build", "-t", "sdist", "-d", str(self.dist)],
            cwd=self.source)  # fmt: skip
        (self.sdist,) = self.dist.glob("*.tar.gz")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel-install")
    assert ROOT not in base.parents, "the install must live outside the checkout"
    started = time.monotonic()
    result = Installed(base)
    print(f"\nbuilt and installed {result.wheel.name} in {time.monotonic() - started:.0f} s")
    return result


def test_the_wheel_ships_exactly_the_board_files(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
    packaged = sorted(PurePosixPath(n[len(PACKAGED) :]) for n in names if n.startswith(PACKAGED))
    assert packaged == board_files(installed.source / "firmware")  # what flash copies
    assert PurePosixPath("nocturne_fw/app.py") in packaged
    for rel in PLANTED:
        assert PurePosixPath(rel) not in packaged
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_ships_the_dashboard(installed: Installed) -> None:
    """The page's files (web/static: the server serves them, no CDN) are in the wheel."""
    static = installed.source / "src" / "nocturne" / "web" / "static"
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    page = sorted(p.name for p in static.iterdir())
    assert {"index.html", "app.js", "style.css"} <= set(page)
    assert [n for n in page if f"nocturne/web/static/{n}" not in names] == []


def test_the_sdist_carries_the_firmware_but_no_secrets(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as sdist:
        names = {PurePosixPath(n).relative_to(PurePosixPath(n).parts[0]) for n in sdist.getnames()}
    assert PurePosixPath("firmware/main.py") in names
    assert PurePosixPath("firmware/nocturne_fw/app.py") in names
    assert PurePosixPath("firmware/secrets.py") not in names
    assert not [n for n in names if "__pycache__" in n.parts or n.suffix == ".pyc"]


def test_flash_dry_run_lists_the_packaged_firmware(installed: Installed) -> None:
    done = run(
        [installed.nocturne, "flash", "--dry-run", "--port", "/dev/ttyACM9", "--ssid", "home",
         "--password", "12345678", "--host", "192.168.1.20",
         "--config", str(installed.workdir / "config.json")],
        cwd=installed.workdir, timeout=TIMEOUT,
    )  # fmt: skip
    out = done.stdout
    (files_line,) = [line for line in out.splitlines() if line.startswith("# files: ")]
    files = files_line.removeprefix("# files: ").split(", ")
    assert "nocturne_fw/app.py" in files and "main.py" in files
    assert "secrets.py" not in files  # the generated one is staged, not the checkout's
    assert SECRET_MARKER not in out
    assert f"{os.sep}site-packages{os.sep}nocturne{os.sep}_firmware" in out
    assert str(ROOT) not in out


def test_an_editable_install_uses_the_checkouts_firmware(tmp_path: Path) -> None:
    """What test.sh makes (pip install -e): src/ on the path, firmware/ of the checkout."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)], cwd=tmp_path)
    done = run(
        [python, "-c", "from nocturne.firmware_files import find_firmware_dir as f; print(f())"],
        cwd=tmp_path, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.stdout.strip() == str(ROOT / "firmware")


def wait_until_listening(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
            return
        except ConnectionRefusedError:
            assert proc.poll() is None, f"exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"nothing listened on {port}"
            time.sleep(0.1)


def test_emulate_shows_live_data_from_the_installed_server(installed: Installed) -> None:
    port, lhm_port, web_port = free_port(), free_port(), free_port()
    config = write_config(
        installed.workdir, port, f"http://127.0.0.1:{lhm_port}/data.json",
        web={"host": "127.0.0.1", "port": web_port},
    )  # fmt: skip
    env = env_outside_the_checkout()
    started: list[subprocess.Popen] = []
    try:
        # LHM's stand-in from the plain install: aiohttp is the server's own dependency now.
        replay = subprocess.Popen(
            [installed.python, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE_0_9_6),
             "--port", str(lhm_port)],
            cwd=installed.workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(replay)
        server = subprocess.Popen(
            [installed.nocturne, "--console", "--config", str(config)],
            cwd=installed.workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(server)
        wait_until_listening(lhm_port, replay)
        wait_until_listening(port, server)
        wait_until_listening(web_port, server)
        dashboard = f"http://127.0.0.1:{web_port}/api/csrf"
        with urllib.request.urlopen(dashboard, timeout=TIMEOUT) as answer:  # the installed web
            assert json.loads(answer.read())["login_required"] is False
        board = subprocess.run(
            [installed.nocturne, "emulate", "--headless", "--seconds", "5", "--host",
             "127.0.0.1", "--port", str(port), "--config", str(config)],
            cwd=installed.workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT,
            check=False,
        )  # fmt: skip
    finally:
        for proc in reversed(started):
            proc.send_signal(signal.SIGTERM)
        for proc in started:
            try:
                proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert board.returncode == 0, board.stderr
    # Status lines read "   1.5s  HUB  UP": the first scene, drawn from the server's lines.
    assert re.search(r"^\s*\d+\.\ds  HUB  UP$", board.stderr, re.MULTILINE), board.stderr
    assert server.returncode == 0


def test_the_plain_install_carries_aiohttp_and_the_web_package(installed: Installed) -> None:
    probe = "import aiohttp.web, nocturne.web.server, prometheus_client.aiohttp"
    assert subprocess.run([installed.python, "-c", probe], timeout=TIMEOUT).returncode == 0
    with zipfile.ZipFile(installed.wheel) as wheel:
        assert "nocturne/web/server.py" in wheel.namelist()
