"""`nocturne doctor` and the server as a new user meets them: Linux without
LibreHardwareMonitor is fine, a running server is recognised, a broken config or a bad
environment variable is the one problem reported, a mistyped --config creates nothing."""

from __future__ import annotations

import asyncio
import io
import logging
import sys

import pytest

from nocturne.app import NocturneServer
from nocturne.collect import collector
from nocturne.config.model import load_config
from nocturne.ui.doctor import run_doctor
from tests.harness.rig import free_port

from .test_cli import clean_env, run_cli, start_console, write_config

not_windows = pytest.mark.skipif(sys.platform == "win32", reason="LHM is expected on Windows")


@pytest.fixture
def default_lhm_url(monkeypatch) -> str:
    """LibreHardwareMonitor's default URL, moved to a loopback port where nothing answers: a
    replay someone runs on this machine at 8085 (as the README shows) cannot answer there."""
    url = f"http://127.0.0.1:{free_port()}/data.json"
    monkeypatch.setattr(collector, "DEFAULT_LHM_URL", url)
    return url


async def doctor(config) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_doctor(config, out=out)
    return code, out.getvalue()


@not_windows
async def test_doctor_on_linux_without_lhm_at_the_default_url_is_all_good(
    tmp_path, default_lhm_url
):
    config = write_config(tmp_path, port=free_port(), lhm_url=default_lhm_url)
    code, out = await doctor(config)
    assert "[ok] this PC's own sensors (psutil) feed the boards" in out
    assert "LibreHardwareMonitor: nothing answers" not in out and "Options →" not in out
    assert (code, out.rstrip().splitlines()[-1]) == (0, "All good."), out


@not_windows
async def test_the_server_on_linux_without_lhm_says_so_at_info(tmp_path, default_lhm_url, caplog):
    caplog.set_level(logging.INFO)
    config = write_config(tmp_path, port=free_port(), lhm_url=default_lhm_url)
    server = NocturneServer(load_config(config, environ={}).config, media=False, power=False)
    await server.start()
    try:
        await server.collector.tick()
    finally:
        await server.stop()
    downs = [r for r in caplog.records if "LibreHardwareMonitor unavailable" in r.getMessage()]
    assert [r.levelno for r in downs] == [logging.INFO]
    assert "This PC's own sensors (psutil) feed the boards" in downs[0].getMessage()
    assert "Options →" not in caplog.text


async def test_a_configured_lhm_url_that_does_not_answer_stays_a_problem(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/data.json"
    config = write_config(tmp_path, port=free_port(), lhm_url=url)
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert code == 1 and "[PROBLEM] LibreHardwareMonitor: nothing answers" in out
    assert "this PC's own sensors (psutil) feed" not in out


async def test_doctor_recognises_the_running_server(tmp_path, default_lhm_url):
    port = free_port()
    config = write_config(tmp_path, port=port, lhm_url=default_lhm_url)
    server = NocturneServer(load_config(config, environ={}).config, media=False, power=False)
    await server.start()
    try:
        code, out = await doctor(config)
    finally:
        await server.stop()
    assert f"[ok] a NOCTURNE server is running on port {port}, answering as " in out
    assert "already in use" not in out, out
    if sys.platform != "win32":
        assert "PROBLEM" not in out and code == 0, out


async def test_doctor_on_a_broken_config_reports_that_one_problem(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"prot": 8090}')
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("[")] == [
        f"[PROBLEM] config: {config}: unknown key 'prot' (did you mean 'port'?); the known keys "
        "are: " + out.split("the known keys are: ")[1].splitlines()[0]
    ]
    assert "1 problem(s) found" in out


async def test_doctor_names_a_bad_environment_variable(tmp_path):
    config = write_config(tmp_path, port=free_port())
    env = clean_env() | {"TCP_PORT": "abc"}

    def doctor() -> str:
        import subprocess

        return subprocess.run(
            [sys.executable, "-m", "nocturne", "doctor", "--config", str(config)],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
        ).stdout  # fmt: skip

    out = await asyncio.to_thread(doctor)
    assert '[PROBLEM] config: environment variable TCP_PORT="abc": expected a whole' in out
    assert "fix: Correct or unset that environment variable." in out
    assert "Fix the file" not in out


async def test_a_mistyped_config_path_is_not_created_by_the_server(tmp_path):
    typo = tmp_path / "confg.json"
    running = await start_console(typo)
    code = await running.stop(signal_it=False)
    assert code == 2 and not typo.exists()
    assert f"{typo}: no such file. Check the path" in "".join(running.log)
    code, out = await asyncio.to_thread(run_cli, "config", "--config", str(typo), cwd=tmp_path)
    assert (code, out) == (0, f"created {typo.resolve()}\n") and typo.exists()
