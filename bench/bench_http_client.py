"""The HTTP client's cost per GET of data.json, against aiohttp's, in one run.

    .venv/bin/python bench/bench_http_client.py [--gets 300]

The server GETs LHM's data.json once a second with ``sources/http.py``: aiohttp with the
decoding done here (bounded inflate, the cap on decoded bytes, the body in 64 KB reads) and
a total deadline per GET. Bare aiohttp (``session.get`` + ``read()``, what the bench_system
floor does) is the reference: the difference is what the caps cost. Both clients GET the
same capture from one LHM replay (in its own process, so its work is counted in neither),
alternating in rounds of 20, over one kept-alive connection each, as identity and as gzip.
Prints this process's CPU time per GET and the RSS each client's imports add (a fresh
interpreter each). Prints figures; asserts nothing. Loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

from bench_server import CAPTURE, wait_port

from nocturne.emulator.rig import free_port

ROUND = 20
IMPORT_RSS = r"""
import importlib, sys
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
import asyncio
before = rss()
importlib.import_module(sys.argv[1])
print(f"{rss() - before:.1f}")
"""


async def ours(url: str, encoding: str, gets: int) -> float:
    from nocturne.sources.http import HttpClient

    client = HttpClient(timeout=2.0, headers={"Accept-Encoding": encoding})
    try:
        return await timed(lambda: client.get(url, max_bytes=8 << 20), gets)
    finally:
        await client.close()


async def theirs(url: str, encoding: str, gets: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession(headers={"Accept-Encoding": encoding}) as session:

        async def get() -> bytes:
            async with session.get(url) as resp:
                return await resp.read()

        return await timed(get, gets)


async def timed(get, gets: int) -> float:
    """CPU seconds of this process per GET (the first GET, connecting, left out)."""
    await get()
    start = time.process_time()
    for _ in range(gets):
        await get()
    return (time.process_time() - start) / gets


def import_rss(module: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_RSS, module], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


async def main(gets: int) -> None:
    port = free_port()
    replay = subprocess.Popen(
        [sys.executable, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/data.json"
    try:
        await wait_port(port)
        size = CAPTURE.stat().st_size // 1024
        print(f"bench_http_client: {gets} GETs of {CAPTURE.name} ({size} KB) per client, encoding")
        print(f"  {'client':<34}{'identity µs/GET':>16}{'gzip µs/GET':>14}")
        results: dict[str, dict[str, list[float]]] = {"ours": {}, "aiohttp": {}}
        for encoding in ("identity", "gzip"):
            for _ in range(max(1, gets // ROUND)):
                for name, client in (("ours", ours), ("aiohttp", theirs)):
                    per_get = await client(url, encoding, ROUND)
                    results[name].setdefault(encoding, []).append(per_get)
        for name, label in (("ours", "ours (aiohttp + caps)"), ("aiohttp", "aiohttp")):
            cells = [
                sum(v) / len(v) * 1e6 for v in (results[name][e] for e in ("identity", "gzip"))
            ]
            print(f"  {label:<34}{cells[0]:>16.0f}{cells[1]:>14.0f}")
        ratio = [sum(results["ours"][e]) / sum(results["aiohttp"][e]) for e in ("identity", "gzip")]
        print(f"  ratio ours / aiohttp: identity {ratio[0]:.2f}, gzip {ratio[1]:.2f}")
        print("\nRSS the client's imports add after asyncio (a fresh interpreter each):")
        for module in ("nocturne.sources.http", "aiohttp"):
            print(f"  {module:<34}{import_rss(module):>6} MB")
    finally:
        replay.terminate()
        replay.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=300)
    asyncio.run(main(parser.parse_args().gets))
