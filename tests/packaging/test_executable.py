"""The one-file executable PyInstaller builds: it starts, serves a device and stops cleanly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from nocturne.build import NAME, build
from nocturne.emulator.rig import free_port

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def executable(tmp_path_factory):
    out = tmp_path_factory.mktemp("exe")
    started = time.monotonic()
    exe = build(out=out)
    took = time.monotonic() - started
    print(f"\nbuilt {exe.name}: {exe.stat().st_size / 2**20:.1f} MB in {took:.0f} s")
    return exe


def test_firmware_is_bundled_beside_the_executable(executable):
    firmware = executable.parent / "firmware"
    assert (firmware / "main.py").is_file() and (firmware / "nocturne_fw" / "app.py").is_file()
    assert not list(firmware.rglob("__pycache__"))
    assert executable.name == NAME


def test_executable_serves_a_device_and_stops_cleanly(executable, tmp_path):
    port, web_port = free_port(), free_port()
    config = tmp_path / "config.json"
    # No LHM here: the executable serves this machine's own sensors.
    config.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "lhm_url": f"http://127.0.0.1:{free_port()}/data.json",
                "ping_host": "",
                "web": {"host": "127.0.0.1", "port": web_port},
            }
        )
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(executable), "--console", "--config", str(config)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = started + TIMEOUT
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
                break
            except ConnectionRefusedError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the executable never listened"
                time.sleep(0.05)
        listening_after = time.monotonic() - started
        sock.sendall(b"HELO\nscreen:0\n")
        line = sock.makefile("rb").readline()
        data = json.loads(line)
        assert data["ra"] > 0 and "alert" in data  # psutil's RAM from this machine
        # the web endpoint, aiohttp frozen: the dashboard's API and /metrics answer
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/api/csrf", timeout=TIMEOUT) as r:
            assert json.loads(r.read())["login_required"] is False
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/metrics", timeout=TIMEOUT) as r:
            assert b"nocturne_build_info" in r.read()
        print(f"\nexecutable listening {listening_after:.2f} s after start")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
        sock.settimeout(TIMEOUT)
        while sock.recv(1 << 16):  # lines sent before the stop, then the end of the stream
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "nocturne.log").read_text(encoding="utf-8")
    assert "Listening for devices" in log and "Stopping" in log


def test_executable_runs_the_emulator(executable, tmp_path):
    """`NocturneServer emulate`: the bundled shims and the firmware beside the exe."""
    done = subprocess.run(
        [str(executable), "emulate", "--headless", "--seconds", "3", "--port", str(free_port()),
         "--host", "127.0.0.1", "--fs", str(tmp_path)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The firmware booted, joined the simulated WiFi and looks for the server.
    assert "CONNECTING" in done.stdout + done.stderr
