"""What a flood of discovery datagrams costs, and what it can make the server send.

    .venv/bin/python bench/bench_discovery.py [--queries 20000]

A real ``nocturne --console`` process on loopback (no LHM: its own sensors). From one UDP
socket this bench sends ``--queries`` queries (``NOCTURNE?``) as fast as it can, then the same
number of junk datagrams, and counts:

- the answers that came back and their bytes, next to the bytes sent: the amplification a
  forged sender could get (budget: the answers stop at 10 a second after a burst of 20, so
  bytes back <= bytes sent);
- the server's CPU seconds for the flood (``/proc/PID/stat``), next to the same seconds idle;
- the log lines it cost (budget: a handful, not one per datagram);
- then one more query after the flood, answered? (budget: yes, once the budget refills).

Prints figures; asserts nothing; loopback only; stops by itself in under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness
from tests.harness.rig import ServerProcess, free_port, write_config


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flood(port: int, datagram: bytes, count: int) -> tuple[int, int, int]:
    """Send ``count`` datagrams; (bytes sent, answers, bytes of the answers) read meanwhile."""
    answers = received = sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)

        def drain() -> None:
            nonlocal answers, received
            while True:
                try:
                    data = sock.recv(2048)
                except BlockingIOError:
                    return
                answers += 1
                received += len(data)

        for i in range(count):
            try:
                sent += sock.send(datagram)
            except BlockingIOError:
                time.sleep(0.001)
            if i % 256 == 0:
                drain()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            drain()
            time.sleep(0.01)
    return sent, answers, received


def one_query(port: int) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(b"NOCTURNE?", ("127.0.0.1", port))
        try:
            return sock.recv(2048)
        except TimeoutError:
            return None


async def main(queries: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
        port = free_port()
        lhm = f"http://127.0.0.1:{free_port()}/data.json"  # nothing there: own sensors
        server = ServerProcess(write_config(Path(tmp), port, lhm))
        await server.start()
        try:
            assert server.proc is not None
            pid = server.proc.pid
            await asyncio.sleep(1.0)
            idle0 = cpu_seconds(pid)
            t0 = time.monotonic()
            await asyncio.sleep(2.0)
            idle = (cpu_seconds(pid) - idle0) / (time.monotonic() - t0)

            lines0 = server.log().count("\n")
            c0, t0 = cpu_seconds(pid), time.monotonic()
            sent, answers, back = await asyncio.to_thread(flood, port, b"NOCTURNE?", queries)
            _, junk_answers, _ = await asyncio.to_thread(flood, port, b"junk", queries)
            took = time.monotonic() - t0
            cpu = cpu_seconds(pid) - c0
            await asyncio.sleep(0.5)
            log_lines = server.log().count("\n") - lines0
            await asyncio.sleep(1.0)  # the budget refills
            after = await asyncio.to_thread(one_query, port)
        finally:
            await server.stop()
    print(f"queries sent: {queries} ({sent} bytes) in {took:.1f} s with {queries} junk")
    print(
        f"answers: {answers} ({back} bytes) -> bytes back / bytes sent = {back / sent:.4f} "
        "(budget <= 1; unlimited it would be "
        f"{queries} answers, {queries * (back // max(answers, 1))} bytes)"
    )
    print(f"junk answered: {junk_answers} (budget 0)")
    print(f"server CPU: {cpu:.2f} s for the flood; idle {idle * took:.2f} s over the same time")
    print(f"log lines during the flood: {log_lines} (budget: a handful)")
    print(f"a query after the flood: {'answered' if after else 'NOT answered'} (budget: answered)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=20000)
    asyncio.run(main(parser.parse_args().queries))
