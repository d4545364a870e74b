"""The `nocturne` command as a user runs it: a real process, real sockets, a replayed LHM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import free_port

from ...conftest import CAPTURE_0_9_6, LHM_CAPTURES
from ..wire.test_protocol import documented_keys

TIMEOUT = 20.0


def write_config(tmp_path: Path, **keys) -> Path:
    path = tmp_path / "config.json"
    # ping_host "": tests never reach past loopback (the default pings a public resolver).
    # web null: the default port 8095 is one per machine, and tests start servers side by side.
    # mdns false: no multicast from a test.
    data = {"host": "127.0.0.1", "ping_host": "", "web": None, "mdns": False, **keys}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Running:
    """`nocturne --console` in a subprocess, with its stderr collected."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.log: list[str] = []

    async def wait_for_log(self, text: str) -> str:
        async def scan() -> str:
            for line in self.log:
                if text in line:
                    return line
            while True:
                raw = await self.proc.stderr.readline()
                if not raw:
                    raise AssertionError(f"exited before logging {text!r}:\n" + "".join(self.log))
                line = raw.decode()
                self.log.append(line)
                if text in line:
                    return line

        return await asyncio.wait_for(scan(), TIMEOUT)

    async def stop(self, *, signal_it: bool = True) -> int:
        """SIGTERM (as a service manager would), or with signal_it=False wait for it to exit."""
        if signal_it and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(self.proc.stderr.read(), TIMEOUT)
        self.log.append(rest.decode())
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)


async def start_console(
    config: Path, env: dict[str, str] | None = None, *, console: bool = True
) -> Running:
    """`nocturne --console --config CONFIG` (plain `nocturne` with console=False)."""
    mode = ["--console"] if console else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nocturne", *mode, "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=clean_env() if env is None else env, cwd=config.parent,
    )  # fmt: skip
    return Running(proc)


async def read_lines(port: int, count: int) -> list[dict]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    writer.write(b"HELO\nscreen:0\n")
    lines = []
    for _ in range(count):
        raw = await asyncio.wait_for(reader.readline(), TIMEOUT)
        assert raw.endswith(b"\n") and len(raw) <= 4096
        lines.append(json.loads(raw))
    writer.close()
    return lines


def expected_wire(capture: Path) -> dict[str, object]:
    """The wire values the capture implies, for the keys only LHM provides."""
    hw = parse_data_json(capture.read_bytes()).hardware
    out = {}
    for name, key in (
        ("cpu_temp", "ct"),
        ("gpu_temp", "gt"),
        ("gpu_hotspot", "gh"),
        ("cpu_power", "pw"),
        ("gpu_load", "gl"),
        ("cpu_fan", "cf"),
    ):
        value = getattr(hw, name)
        if value is not None:
            out[key] = round(value)
    return out


@pytest.mark.parametrize("capture", LHM_CAPTURES, ids=lambda p: p.stem[:30])
async def test_console_serves_the_capture_values(tmp_path, capture):
    replay = LhmReplay(capture.read_bytes())
    await replay.start()
    port = free_port()
    running = await start_console(write_config(tmp_path, port=port, lhm_url=replay.url))
    try:
        await running.wait_for_log("Listening for devices")
        lines = await read_lines(port, 2)
    finally:
        code = await running.stop()
        await replay.stop()
    expected = expected_wire(capture)
    assert expected, "every capture has at least a CPU temperature or load"
    documented = documented_keys()
    for line in lines:
        assert set(line) <= set(documented), set(line) - set(documented)
        for key, value in line.items():
            unit = documented[key]
            if "integer" in unit:
                assert isinstance(value, int) and not isinstance(value, bool), (key, value)
            elif "one decimal" in unit:
                assert isinstance(value, (int, float)) and round(value, 1) == value, (key, value)
        for key, value in expected.items():
            assert line[key] == value, (key, line)
        assert line["alert"] in ("", "CRITICAL")
    assert code == 0
    log_file = (tmp_path / "nocturne.log").read_text()
    assert "Listening for devices" in log_file and "Stopping" in log_file


async def test_console_without_lhm_serves_local_values_then_switches_to_lhm(tmp_path):
    lhm_port = free_port()
    port = free_port()
    url = f"http://127.0.0.1:{lhm_port}/data.json"
    running = await start_console(write_config(tmp_path, port=port, lhm_url=url))
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes(), port=lhm_port)
    try:
        await running.wait_for_log("LibreHardwareMonitor unavailable")
        local = (await read_lines(port, 2))[-1]
        assert local["ra"] > 0 and "cl" in local  # psutil, from this machine
        assert "gh" not in local  # no GPU hot spot without LHM
        await replay.start()
        await running.wait_for_log("LibreHardwareMonitor is back")
        lines = await read_lines(port, 2)
        assert lines[-1]["gh"] == 52 and lines[-1]["ct"] == 54
    finally:
        code = await running.stop()
        await replay.stop()
    assert code == 0
    downs = [line for line in running.log if "LibreHardwareMonitor unavailable" in line]
    assert len(downs) == 1, downs


async def test_broken_config_stops_startup_with_one_clear_message(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"port": 8090,\n "limits": {"cpu": "75"}}\n')
    running = await start_console(config)
    code = await running.stop(signal_it=False)
    text = "".join(running.log)
    assert code == 2
    assert str(config) in text
    assert "key 'limits.cpu': expected a number from 20 to 125, found \"75\"" in text
    assert "Traceback" not in text


async def test_port_taken_is_explained(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = await start_console(write_config(tmp_path, port=port))
        code = await running.stop(signal_it=False)
    text = "".join(running.log)
    assert code == 2
    assert f"uses port {port}" in text and "another 'port'" in text
    assert "Traceback" not in text


def run_cli(*args: str, cwd: Path) -> tuple[int, str]:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "nocturne", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        cwd=cwd,
    )
    return done.returncode, done.stdout + done.stderr


async def test_doctor_all_good_against_lhm(tmp_path, lhm_replay):
    config = write_config(tmp_path, port=free_port(), lhm_url=lhm_replay.url)
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert code == 0, out
    assert "[ok] LibreHardwareMonitor answers" in out
    assert "All good." in out


async def test_doctor_finds_missing_lhm_taken_port_and_bad_override(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(
            tmp_path, port=port, lhm_url=f"http://127.0.0.1:{free_port()}/data.json"
        )
        code, out = await asyncio.to_thread(
            run_cli, "doctor", "--config", str(config), cwd=tmp_path
        )
    assert code == 1
    assert f"[PROBLEM] TCP port {port} is already in use" in out
    assert "[PROBLEM] LibreHardwareMonitor: nothing answers" in out
    assert "Options → Remote Web Server → Run" in out
    assert "2 problem(s) found" in out


async def test_doctor_reports_a_broken_config(tmp_path):
    config = tmp_path / "config.json"
    config.write_text("{nope")
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert code == 1
    assert "[PROBLEM] config:" in out and "line 1, column 2" in out
    assert "weather" not in out and "ping" not in out  # those need a valid config


async def test_sensors_lists_every_sensor_and_the_choice(tmp_path, lhm_replay):
    config = write_config(tmp_path, lhm_url=lhm_replay.url, sensors={"gt": "/nope/0"})
    code, out = await asyncio.to_thread(run_cli, "sensors", "--config", str(config), cwd=tmp_path)
    assert code == 0, out
    reading = parse_data_json(CAPTURE_0_9_6.read_bytes())
    assert f"{len(reading.sensors)} sensors" in out
    for sensor in reading.sensors:
        assert sensor.id in out
    ct_id = reading.chosen["cpu_temp"]
    ct_line = next(line for line in out.splitlines() if line.rstrip().endswith(ct_id))
    assert "→ ct" in ct_line
    assert "'/nope/0', which LHM does not list" in out
    assert "ct  cpu_temp" in out and f"LHM {ct_id}" in out


async def doctor(config: Path) -> tuple[int, str]:
    return await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=config.parent)


async def test_doctor_reads_the_weather_and_the_ping(tmp_path, lhm_replay):
    from nocturne.devtools.weather_replay import OpenMeteoReplay

    from ...conftest import FIXTURES

    weather = OpenMeteoReplay.from_dir(FIXTURES / "weather")
    await weather.start()
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen()
    try:
        config = write_config(
            tmp_path,
            port=free_port(),
            lhm_url=lhm_replay.url,
            weather_city="Enschede",
            weather_api_url=weather.forecast_url,
            geocoding_api_url=weather.geocoding_url,
            ping_host="127.0.0.1",
            ping_port=target.getsockname()[1],
        )
        code, out = await asyncio.to_thread(
            run_cli, "doctor", "--config", str(config), cwd=tmp_path
        )
        assert code == 0, out
        assert "[ok] weather for Enschede" in out and "Dense drizzle" in out
        assert f"[ok] ping: 127.0.0.1:{target.getsockname()[1]} answers in" in out

        config = write_config(
            tmp_path,
            lhm_url=lhm_replay.url,
            weather_city="Nowhere-on-earth",
            weather_api_url=weather.forecast_url,
            geocoding_api_url=weather.geocoding_url,
            ping_host="127.0.0.1",
            ping_port=free_port(),  # nothing listens there
        )
        code, out = await asyncio.to_thread(
            run_cli, "doctor", "--config", str(config), cwd=tmp_path
        )
        assert code == 1
        assert "[PROBLEM] weather: Open-Meteo knows no place called 'Nowhere-on-earth'" in out
        assert "[PROBLEM] ping:" in out and 'ping_host "" to turn the ping off' in out
    finally:
        target.close()
        await weather.stop()


async def test_plain_nocturne_without_a_display_falls_back_to_console(tmp_path, lhm_replay):
    port = free_port()
    config = write_config(tmp_path, port=port, lhm_url=lhm_replay.url)
    env = clean_env()
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    running = await start_console(config, env, console=False)
    try:
        line = await running.wait_for_log("No system tray here")
        assert "running in console mode" in line
        await running.wait_for_log("Listening for devices")
        assert (await read_lines(port, 1))[0]["ct"] == 54
    finally:
        code = await running.stop()
    assert code == 0
    assert sum("No system tray here" in line for line in running.log) == 1
