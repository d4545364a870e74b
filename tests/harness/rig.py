"""The whole path on one PC, for end-to-end tests, benchmarks and documentation:
a replayed LibreHardwareMonitor capture (``LhmReplay``) → a real ``nocturne --console``
process → emulated boards. Loopback only.

- :func:`write_config` writes a server config that stays on this machine (``ping_host`` ""
  and no weather), on a free port.
- :class:`ServerProcess` starts, kills (SIGKILL, as a crash) and restarts the server.
- :class:`CaptureEditor` changes one mapped sensor of a capture (say the CPU temperature)
  so a test can watch the new value travel to the glass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nocturne.sources.lhm.parser import parse_data_json

try:
    import fcntl
except ImportError:  # Windows: the range alone
    fcntl = None  # type: ignore[assignment]

STARTED = "Listening for devices"


PORT_LOCKS = Path(tempfile.gettempdir()) / "nocturne-test-ports"
_claimed: dict[int, int] = {}  # port -> the open lock file that claims it for this process


def _ephemeral_start() -> int:
    """The first port the kernel hands to bind(0) and to outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; Windows and macOS start higher still


def free_port() -> int:
    """A loopback TCP port no one else takes before the caller's server binds it.

    Not bind(0)-and-close: the kernel gives the number it returned to the next bind(0) or
    outgoing connection anywhere on the machine (the server's own client to LHM, another
    test run beside this one), and the server started later cannot listen (seen as an HTTP
    error from someone else's port). Ports below the ephemeral range are never handed out
    by the kernel, and among test processes each one is claimed by a lock held until this
    process ends (the kernel drops it even on a crash).
    """
    PORT_LOCKS.mkdir(exist_ok=True)
    pick = random.Random()  # not the random a test may have seeded
    for _ in range(1000):
        port = pick.randrange(10000, _ephemeral_start())
        if port in _claimed:
            continue
        lock = os.open(PORT_LOCKS / str(port), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as s:  # free now (a server that binds fixed ports)
                s.bind(("127.0.0.1", port))
        except OSError:
            os.close(lock)
            continue
        _claimed[port] = lock
        return port
    raise RuntimeError(f"no free port below {_ephemeral_start()}")


def write_config(directory: Path, port: int, lhm_url: str, **keys: Any) -> Path:
    """A config.json for a server on 127.0.0.1:``port`` that never leaves this machine."""
    path = Path(directory) / "config.json"
    data = {
        "host": "127.0.0.1",
        "port": port,
        "lhm_url": lhm_url,
        "ping_host": "",  # the default pings a public resolver
        "weather_city": "",
        "web": None,  # the default web port is one per machine; rigs run side by side
        "mdns": False,  # no multicast from a test
        **keys,
    }
    if data["ping_host"] or data["weather_city"]:
        raise ValueError("the rig stays on loopback: no ping_host, no weather_city")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    """``nocturne --console --config CONFIG`` as a child process, its log in a file;
    ``prefix``: a command it runs under (``("ip", "netns", "exec", NAME)``: in a namespace)."""

    def __init__(self, config: Path, prefix: tuple[str, ...] = ()) -> None:
        self.config = Path(config)
        self.prefix = prefix
        self.log_path = self.config.parent / "server-console.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._log_from = 0

    async def start(self, timeout: float = 20.0) -> None:
        """Start it and wait until it listens."""
        self._log_from = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.prefix,
                sys.executable,
                "-m",
                "nocturne",
                "--console",
                "--config",
                str(self.config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=server_env(),
                cwd=self.config.parent,
            )
        self.starts += 1
        await self.wait_for_log(STARTED, timeout)

    def log(self) -> str:
        """What this run of the server has logged so far."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_from)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    async def wait_for_log(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                if text in line:
                    return line
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"the server exited before logging {text!r}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the server did not log {text!r} in {timeout} s:\n" + self.log()
                )
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: a crash, no goodbye to the devices."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode


# -- editing a capture --------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


class CaptureEditor:
    """A LibreHardwareMonitor ``data.json`` whose mapped sensors can be changed by role."""

    def __init__(self, body: bytes) -> None:
        self.original = body
        self.tree = json.loads(body)
        self.reading = parse_data_json(body)

    def _node(self, field: str) -> dict[str, Any]:
        sensor_id = self.reading.chosen.get(field)
        if sensor_id is None:
            raise KeyError(f"the capture has no sensor for {field}")
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if node.get("SensorId") == sensor_id:
                return node
            stack.extend(node.get("Children") or ())
        raise KeyError(sensor_id)

    def set(self, field: str, value: float) -> None:
        """Give the sensor behind ``field`` (a Hardware field: "cpu_temp"...) this value,
        written the way the capture writes numbers (decimal comma or point, unit kept)."""
        node = self._node(field)
        old = node["Value"]
        if isinstance(old, (int, float)):
            node["Value"] = value
            return
        comma = "," in old
        text = f"{value:.1f}".replace(".", "," if comma else ".")
        node["Value"] = _NUMBER.sub(text, old, count=1)

    def body(self) -> bytes:
        return json.dumps(self.tree).encode()
