"""`nocturne doctor` and the server as a new user meets them: Linux without
LibreHardwareMonitor is fine, a running server is recognised, a broken config or a bad
environment variable is the one problem reported, a mistyped --config creates nothing."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.harness.rig import free_port

from .test_cli import clean_env, run_cli, start_console, write_config

not_windows = pytest.mark.skipif(sys.platform == "win32", reason="LHM is expected on Windows")


@not_windows
async def test_doctor_on_linux_without_lhm_at_the_default_url_is_all_good(tmp_path):
    config = write_config(tmp_path, port=free_port())  # no lhm_url: the default one
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert "[ok] this PC's own sensors (psutil) feed the boards" in out
    assert "LibreHardwareMonitor: nothing answers" not in out and "Options →" not in out
    assert (code, out.rstrip().splitlines()[-1]) == (0, "All good.")


@not_windows
async def test_the_server_on_linux_without_lhm_says_so_at_info(tmp_path):
    running = await start_console(write_config(tmp_path, port=free_port()))
    try:
        line = await running.wait_for_log("LibreHardwareMonitor unavailable")
    finally:
        await running.stop()
    assert " INFO " in line and "This PC's own sensors (psutil) feed the boards" in line
    warnings = [seen for seen in running.log if " WARNING " in seen]
    assert not any("LibreHardwareMonitor" in seen for seen in warnings), warnings
    assert not any("Options →" in seen for seen in running.log)


async def test_a_configured_lhm_url_that_does_not_answer_stays_a_problem(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/data.json"
    config = write_config(tmp_path, port=free_port(), lhm_url=url)
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(config), cwd=tmp_path)
    assert code == 1 and "[PROBLEM] LibreHardwareMonitor: nothing answers" in out
    assert "this PC's own sensors (psutil) feed" not in out


async def test_doctor_recognises_the_running_server(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port=port)
    running = await start_console(config)
    try:
        await running.wait_for_log("Listening for devices")
        code, out = await asyncio.to_thread(
            run_cli, "doctor", "--config", str(config), cwd=tmp_path
        )
    finally:
        await running.stop()
    assert f"[ok] a NOCTURNE server is running on port {port}, answering as " in out
    assert "already in use" not in out and "PROBLEM" not in out, out
    assert code == 0


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
