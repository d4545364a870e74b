"""The board finds its PC by itself, between two private network namespaces joined by a veth
pair (no traffic leaves them; they are deleted afterwards): the real server (`nocturne
--console`, bound to 0.0.0.0, with its LHM replay) in one, emulated boards (`nocturne emulate
--headless`, the unchanged firmware) in the other. A board with an empty SERVER_HOST
broadcasts the query on its subnet, connects to the answer and remembers it; when the PC is
renumbered mid-run (the server keeps running), the board searches again and follows it. A
board of the original kind (SERVER_HOST set, no SERVER_NAME/SERVER_TOKEN) connects as before
and never needs to search while its host answers.

Needs root (CI runs as root) and `ip`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from tests.harness.netns import NamespacePair
from tests.harness.rig import ServerProcess, write_config

from ..conftest import CAPTURE_0_9_6

SUBNET = "10.213.1.{}/24"  # replaces the pair's /30: room for the PC to move
PC_OLD, PC_NEW, BOARDS = "10.213.1.10", "10.213.1.11", "10.213.1.20"
LHM_PORT, PORT = 18085, 18090  # fresh namespaces: nothing else listens there
NAME = "DESK-E2E"
MP_HEAP = "384k"
ORIGINAL_SECRETS = (  # a secrets.py of the original firmware: no SERVER_NAME, no SERVER_TOKEN
    'WIFI_SSID = "lab"\nWIFI_PASSWORD = "pw"\nSERVER_HOST = "{host}"\nSERVER_PORT = {port}\n'
)


class Child:
    """A process in a namespace, its stdout and stderr in a file."""

    def __init__(self, namespace: str, log: Path, *args: str) -> None:
        self.cmd = ("ip", "netns", "exec", namespace, sys.executable, *args)
        self.log_path = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Child:
        with open(self.log_path, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.cmd, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
            )
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def until(what: str, cond, timeout: float, *logs: Child | ServerProcess) -> float:
    """Seconds until ``cond()``; fails with the logs after ``timeout``."""
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            shown = "\n".join(f"--- {c.log_path.name}\n{c.log()[-3000:]}" for c in logs)
            raise AssertionError(f"not within {timeout} s: {what}\n{shown}")
        await asyncio.sleep(0.1)
    return time.monotonic() - t0


def memo(fs: Path) -> dict | None:
    try:
        return json.loads((fs / "server.json").read_text())
    except (OSError, ValueError):
        return None


def lab(nets: NamespacePair, tmp_path: Path, **config: object) -> tuple[Child, ServerProcess]:
    """The /30 of the pair replaced by a /24 (room for the PC to move); an LHM replay and
    the server (bound to 0.0.0.0, at PC_OLD) in the server's namespace, not started."""
    nets.readdress(nets.server, delete="10.213.0.1/30", add=SUBNET.format(10))
    nets.readdress(nets.client, delete="10.213.0.2/30", add=SUBNET.format(20))
    replay = Child(
        nets.server, tmp_path / "lhm.log",
        "-m", "nocturne.devtools.lhm_replay", str(CAPTURE_0_9_6), "--port", str(LHM_PORT),
    )  # fmt: skip
    path = write_config(
        tmp_path,
        PORT,
        f"http://127.0.0.1:{LHM_PORT}/data.json",
        host="0.0.0.0",  # every address the PC has, now and after it is renumbered
        name=NAME,
        poll_interval=0.5,
        **config,
    )
    return replay, ServerProcess(path, prefix=("ip", "netns", "exec", nets.server))


def board(nets: NamespacePair, fs: Path, *args: str) -> Child:
    """``nocturne emulate --headless`` in the boards' namespace, its flash in ``fs``."""
    fs.mkdir(exist_ok=True)
    return Child(
        nets.client, fs.parent / f"{fs.name}.log",
        "-m", "nocturne", "emulate", "--headless", "--seconds", "300", "--port", str(PORT),
        "--fs", str(fs), *args,
    )  # fmt: skip


async def test_a_board_finds_its_pc_by_broadcast_and_follows_it_to_a_new_address(tmp_path):
    with NamespacePair() as nets:
        replay, server = lab(nets, tmp_path)
        original_fs = tmp_path / "original"
        original_fs.mkdir()
        original = original_fs / "secrets.py"
        original.write_text(ORIGINAL_SECRETS.format(host=PC_OLD, port=PORT))
        finder_fs = tmp_path / "finder"
        finder = board(nets, finder_fs, "--host", "", "--server-name", NAME.lower())
        classic = board(nets, original_fs, "--secrets", str(original))
        # the same firmware under real MicroPython (the unix port): its own sockets, select.
        # Its heap: MP_HEAP, not the default 256 KB, in which this 64-bit port has no room
        # left to compile discovery.py while the app runs (the board then says NO MEMORY).
        real_fs = tmp_path / "micropython"
        real = board(nets, real_fs, "--runtime", "micropython", "--heap", MP_HEAP, "--host", "")
        children = (replay, finder, classic, real)
        try:
            await replay.start()
            await server.start()
            await finder.start()
            await classic.start()
            await real.start()
            logs = (finder, classic, real, server)

            # 1. found by broadcast; connected; remembered
            took = await until(
                "the searching board shows FOUND",
                lambda: f"FOUND {NAME} ({PC_OLD}:{PORT})" in finder.log(),
                60,
                *logs,
            )
            print(f"\nfound {NAME} at {PC_OLD} {took:.1f} s after the board started")
            await until(
                "the board remembers the PC",
                lambda: memo(finder_fs) == {"host": PC_OLD, "port": PORT, "name": NAME},
                30,
                *logs,
            )
            await until("the boards linked", lambda: server.log().count(BOARDS) >= 3, 30, *logs)
            await until(
                "MicroPython's board remembers the PC",
                lambda: (memo(real_fs) or {}).get("host") == PC_OLD,
                30,
                *logs,
            )
            await until("the original board's HUB", lambda: "HUB" in classic.log(), 30, *logs)
            assert "SEARCHING" not in classic.log()  # its host answered: no search
            assert memo(original_fs) is None

            # 2. the PC is renumbered; the server keeps running, bound to 0.0.0.0
            mark = len(finder.log())
            nets.readdress(nets.server, delete=SUBNET.format(10), add=SUBNET.format(11))
            t0 = time.monotonic()
            await until(
                "the board follows the PC to its new address",
                lambda: f"FOUND {NAME} ({PC_NEW}:{PORT})" in finder.log()[mark:],
                90,
                *logs,
            )
            followed = time.monotonic() - t0
            await until(
                "the memo follows", lambda: (memo(finder_fs) or {}).get("host") == PC_NEW, 30
            )
            print(f"followed the PC from {PC_OLD} to {PC_NEW} in {followed:.1f} s")
            # the original board (SERVER_HOST set) searched once its host had failed
            await until(
                "the original board follows too",
                lambda: f"FOUND {NAME} ({PC_NEW}:{PORT})" in classic.log(),
                90,
                *logs,
            )
            await until(
                "MicroPython's board follows too",
                lambda: (memo(real_fs) or {}).get("host") == PC_NEW,
                90,
                *logs,
            )
            await until(
                "lines to the boards at the new address",
                lambda: server.log().count(f"connected from {BOARDS}") >= 6,
                30,
                *logs,
            )
        finally:
            for c in children:
                await c.stop()
            code = await server.stop()
        log = server.log()
        assert "Traceback" not in log, log
        assert code in (0, None, -9), log
        for c in (finder, classic, real):
            assert "Traceback" not in c.log(), c.log()
        assert "FOUND" in real.log()


TOKEN = "Zq3v9Kp2Lm8Xw4Rt6Yb1Nc7"  # 23 URL-safe characters


async def test_paired_and_unpaired_boards_against_a_pc_that_needs_pairing(tmp_path):
    with NamespacePair() as nets:
        replay, server = lab(nets, tmp_path, device_tokens={"desk": TOKEN})
        paired = board(nets, tmp_path / "paired", "--host", "", "--token", TOKEN)
        bare = board(nets, tmp_path / "bare", "--host", "")
        children = (replay, paired, bare)
        try:
            await replay.start()
            await server.start()
            await paired.start()
            await bare.start()
            logs = (paired, bare, server)
            await until("the paired board's HUB", lambda: "HUB  UP" in paired.log(), 60, *logs)
            assert f"FOUND {NAME} ({PC_OLD}:{PORT})" in paired.log()
            # the unpaired one finds the PC too, is refused before any line, and says why
            await until("NOT PAIRED", lambda: "(NOT PAIRED)" in bare.log(), 60, *logs)
            assert "HUB" not in bare.log()
            assert memo(tmp_path / "bare") is None  # no line came: nothing remembered
            assert (memo(tmp_path / "paired") or {}).get("host") == PC_OLD
        finally:
            for c in children:
                await c.stop()
            await server.stop()
        assert TOKEN not in server.log() and TOKEN not in bare.log()
