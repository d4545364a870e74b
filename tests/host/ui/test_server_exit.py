"""A server asked to stop is gone within 2 s, whatever it is doing (issue 20, item 6).

The real ``nocturne --console`` process under each load a desk can put on it, then SIGTERM
(or SIGINT, as Ctrl+C): boards connected and reading, boards that stopped reading, web
clients, LibreHardwareMonitor answering slowly with a request in flight, an MQTT broker
that went silent (a real mosquitto, stopped with SIGSTOP) and one whose port swallows the
connection attempt (the client's connect blocked in a worker thread), and all at once.

The deadline is the server's own (nocturne/shutdown.py): its stop path gives every wait a
share of 2 s, and a backstop ends the process with status 3 and "Did not stop within" in
the log should anything still hang. So a clean exit (status 0, no such line) says the stop
path itself made it. The tests' own clock (TIMEOUT) only catches a hang.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from tests.harness.rig import free_port

from ...conftest import CAPTURE_0_9_6
from ..mqtt.test_mqtt import Broker
from .test_cli import TIMEOUT, Running, start_console, write_config

BOARDS = 12  # connected boards; every other one stops reading (its buffers fill)
FORCED = "Did not stop within"


class BlackHole:
    """A port whose listen queue is full: a connect to it is never answered (the SYN is
    dropped), as for a broker behind a firewall that drops packets."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(4):  # fill the queue (backlog 0 still queues one or two)
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(s)

    def close(self) -> None:
        for s in (*self.fillers, self.listener):
            s.close()


async def boards(port: int, count: int) -> tuple[list[asyncio.Task[bool]], list[object]]:
    """``count`` boards said HELO; the even ones read every line (a task each, True once
    the server closed the connection), the odd ones never read."""
    readers: list[asyncio.Task[bool]] = []
    writers: list[object] = []

    async def read_to_end(reader: asyncio.StreamReader) -> bool:
        while await reader.read(65536):
            pass
        return True

    for k in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\nscreen:0\n")
        await writer.drain()
        writers.append(writer)
        if k % 2 == 0:
            readers.append(asyncio.create_task(read_to_end(reader)))
    return readers, writers


def web_clients(port: int, stop: threading.Event) -> list[threading.Thread]:
    """Two clients asking for /api/devices and /metrics back to back until ``stop``."""
    import urllib.request

    def ask(path: str) -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    r.read()
            except OSError:
                stop.wait(0.05)

    threads = [
        threading.Thread(target=ask, args=(p,), daemon=True) for p in ("/api/devices", "/metrics")
    ]
    for t in threads:
        t.start()
    return threads


async def stop_and_check(server: Running, how: int = signal.SIGTERM) -> str:
    server.proc.send_signal(how)
    status = await server.stop(signal_it=False)  # waits at most TIMEOUT: a hang detector
    log = "".join(server.log)
    assert FORCED not in log, log
    assert status == 0, log
    assert "Stopping" in log
    return log


CONDITIONS = ["boards", "slow-lhm", "silent-broker", "black-hole-broker", "all"]


@pytest.mark.parametrize("condition", CONDITIONS)
async def test_server_exits_under_load(condition: str, tmp_path: Path) -> None:
    everything = condition == "all"
    lhm = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await lhm.start()
    if condition == "slow-lhm" or everything:
        lhm.delay = 60.0  # every read is in flight when the stop comes
    broker: Broker | None = None
    hole: BlackHole | None = None
    keys: dict[str, object] = {"port": free_port(), "lhm_url": lhm.url}
    if condition == "silent-broker" or everything:
        broker = Broker(tmp_path)
        broker.start()
        keys["mqtt"] = {"host": "127.0.0.1", "port": broker.port, "interval": 1}
    elif condition == "black-hole-broker":
        hole = BlackHole()
        keys["mqtt"] = {"host": "127.0.0.1", "port": hole.port}
    web_port = free_port()
    if condition == "boards" or everything:
        keys["web"] = {"host": "127.0.0.1", "port": web_port}
    halt_web = threading.Event()
    server = await start_console(write_config(tmp_path, **keys))
    try:
        await server.wait_for_log("running; press Ctrl+C")
        readers: list[asyncio.Task[bool]] = []
        if broker is not None:
            await server.wait_for_log("MQTT: publishing")
        if condition == "boards" or everything:
            readers, _ = await boards(int(keys["port"]), BOARDS)
            web_clients(web_port, halt_web)
        if condition == "slow-lhm" or everything:
            while lhm.requests == 0:  # a read is on its way
                await asyncio.sleep(0.05)
        if broker is not None:
            assert broker.proc is not None
            broker.proc.send_signal(signal.SIGSTOP)  # gone silent: states and pings unanswered
        await asyncio.sleep(2.5)  # a few ticks under that load
        await stop_and_check(server)
        for done in await asyncio.wait_for(asyncio.gather(*readers), TIMEOUT):
            assert done  # every reading board saw the connection close
    finally:
        halt_web.set()
        if server.proc.returncode is None:
            server.proc.kill()
        if broker is not None and broker.proc is not None:
            broker.proc.send_signal(signal.SIGCONT)
            broker.stop()
        if hole is not None:
            hole.close()
        await lhm.stop()


async def test_ctrl_c_with_a_silent_broker(tmp_path: Path) -> None:
    """SIGINT, as Ctrl+C in the console sends it."""
    broker = Broker(tmp_path)
    broker.start()
    keys = {
        "port": free_port(),
        "lhm_url": f"http://127.0.0.1:{free_port()}/data.json",
        "mqtt": {"host": "127.0.0.1", "port": broker.port},
    }
    server = await start_console(write_config(tmp_path, **keys))
    try:
        await server.wait_for_log("MQTT: publishing")
        assert broker.proc is not None
        broker.proc.send_signal(signal.SIGSTOP)
        await stop_and_check(server, signal.SIGINT)
    finally:
        if server.proc.returncode is None:
            server.proc.kill()
        if broker.proc is not None:
            broker.proc.send_signal(signal.SIGCONT)
        broker.stop()


def test_tray_close_with_the_broker_connect_stuck(tmp_path: Path) -> None:
    """The tray's Close (ServerThread.stop_for_exit, what ``nocturne`` runs when its tray
    loop ends) while the MQTT client's connect is stuck in a worker thread."""
    hole = BlackHole()
    lhm = f"http://127.0.0.1:{free_port()}/data.json"
    mqtt = {"host": "127.0.0.1", "port": hole.port}
    config = write_config(tmp_path, port=free_port(), lhm_url=lhm, mqtt=mqtt)
    try:
        done = run_script(
            "import logging, threading, time\n"
            "from nocturne.config.model import load_config\n"
            "from nocturne.ui.server_thread import ServerThread\n"
            "logging.basicConfig(level=logging.INFO)\n"
            f"server = ServerThread(lambda: load_config({str(config)!r}).config)\n"
            "assert server.start().running\n"
            "time.sleep(0.5)\n"
            "print([t.name for t in threading.enumerate()])\n"
            "server.stop_for_exit()\n"
        )
    finally:
        hole.close()
    assert FORCED not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert "asyncio_" in done.stdout  # the connect was in a worker thread meanwhile


# --- the deadline's parts, each on its own ----------------------------------------------


async def test_stop_all_leaves_a_part_that_ignores_cancelling() -> None:
    from nocturne.shutdown import stop_all

    stopped: list[str] = []
    release = asyncio.Event()

    async def stubborn() -> None:
        while True:
            try:
                await release.wait()
                return
            except asyncio.CancelledError:
                continue  # ignores being cancelled

    async def quick() -> None:
        stopped.append("quick")

    async def failing() -> None:
        raise OSError("gone")

    parts = {"stubborn": stubborn, "quick": quick, "failing": failing}
    try:
        late = await asyncio.wait_for(stop_all(parts, budget=0.2), TIMEOUT)
    finally:
        release.set()  # the stubborn part may end now
    assert late == ["stubborn"] and stopped == ["quick"]


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT
    )


def test_end_process_does_not_wait_for_a_stuck_thread() -> None:
    """A worker thread that never returns (a non-daemon thread, as the executor's are)."""
    done = run_script(
        "import logging, threading\n"
        "from nocturne import shutdown\n"
        "logging.basicConfig()\n"
        "threading.Thread(target=threading.Event().wait, name='stuck-read').start()\n"
        "shutdown.end_process(shutdown.Deadline(0.2), 0)\n"
        "print('not reached')\n"
    )
    assert done.returncode == 0, done.stderr
    assert "stuck-read" in done.stderr and "not reached" not in done.stdout


def test_backstop_ends_a_process_that_hangs() -> None:
    done = run_script(
        "import logging, time\n"
        "from nocturne import shutdown\n"
        "logging.basicConfig()\n"
        "shutdown.arm_backstop(0.5)\n"
        "time.sleep(60)\n"
    )
    assert done.returncode == 3, done.stderr
    assert FORCED in done.stderr


def test_keyboard_interrupt_still_runs_the_stop() -> None:
    """Ctrl+C as KeyboardInterrupt out of the loop (Windows has no loop signal handlers):
    the server's coroutine is cancelled and its ``finally`` (the stop) still runs."""
    done = run_script(
        "import asyncio, logging\n"
        "from nocturne import shutdown\n"
        "logging.basicConfig()\n"
        "async def serve():\n"
        "    def interrupt():\n"
        "        raise KeyboardInterrupt\n"
        "    asyncio.get_running_loop().call_later(0.1, interrupt)\n"
        "    try:\n"
        "        await asyncio.sleep(60)\n"
        "    finally:\n"
        "        await asyncio.sleep(0.3)  # a stop that takes a while\n"
        "        print('stopped', flush=True)\n"
        "try:\n"
        "    shutdown.run(serve())\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stopped", "interrupted"]
