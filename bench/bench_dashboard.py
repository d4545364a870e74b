"""What the dashboard costs the server: closed, and open with one page watching and peeking.

    .venv/bin/python bench/bench_dashboard.py [--seconds 30]

Three `nocturne --console` servers run side by side for the whole run, each with an LHM
replay of its own and one board (``nocturne emulate --headless``: the firmware, so it answers
a peek where the firmware can; ``--raw-boards``: a socket reading every line on HUB), at 1 s
polling:

  * "web off": ``"web": null``, the reference;
  * "closed": the default web endpoint, no page ever opened;
  * "page": the default web endpoint; in the second phase one dashboard page is open (an
    aiohttp WebSocket client on /api/stream, its Origin and all) reading every message, and
    asks its board's live frame (``{"type": "peek", "on": true}``).

With ``--today SRC`` (a checkout's ``src`` of the server before the dashboard, e.g. from
``git worktree add /tmp/today 9d9ef45``) a fourth server, "today", runs that code with its
default web endpoint (wsgiref) next to them.

Two phases of ``--seconds`` each: 1) no page anywhere, 2) the page open on "page". Prints
each server's CPU (% of one core, from each thread's schedstat) per phase, the messages and
bytes the page received, and each server's RSS at the end. Budgets (issue 22): closed costs
nothing measurable over web off; open costs little; RSS <= 60 MB with every default on.
Prints figures; asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
from bench_server import CAPTURE, compile_bytecode, cpu_seconds, device, wait_port
from bench_system import start, stop_all

from nocturne.emulator.rig import free_port

SERVERS = ("web off", "closed", "page")


async def server(name: str, env: dict[str, str], procs: dict) -> tuple[int, int | None]:
    lhm, port = free_port(), free_port()
    web_port = None if name == "web off" else free_port()
    tmp = Path(tempfile.mkdtemp(prefix="nocturne-bench-dashboard-"))
    config = {
        "host": "127.0.0.1",
        "port": port,
        "lhm_url": f"http://127.0.0.1:{lhm}/data.json",
        "ping_host": "",
        "web": None if web_port is None else {"host": "127.0.0.1", "port": web_port},
    }
    (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
    replay = ("-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port", str(lhm))
    procs[f"{name}: replay"] = await start(*replay, env=env)
    await wait_port(lhm)
    procs[name] = await start(
        "-m", "nocturne", "--console", "--config", str(tmp / "config.json"), env=env, cwd=tmp
    )
    await wait_port(port)
    if web_port is not None:
        await wait_port(web_port)
    return port, web_port


async def page(url: str, stop: asyncio.Event, got: dict[str, int]) -> None:
    """One dashboard page: the WebSocket, a peek at the first board, every message read."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/api/stream", headers={"Origin": url}) as ws,
    ):
        peeking = False
        while not stop.is_set():
            try:
                message = await ws.receive(timeout=0.5)
            except asyncio.TimeoutError:
                continue
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            got["messages"] += 1
            got["bytes"] += len(message.data)
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            document = json.loads(message.data)
            if document.get("type") == "boards" and document["boards"] and not peeking:
                board = document["boards"][0]["id"]
                await ws.send_json({"type": "peek", "board": board, "on": True})
                peeking = True
            elif document.get("type") == "frame" and document.get("peek"):
                # as the page does: a new frame announced, its PNG fetched
                async with http.get(f"{url}/api/boards/{document['board']}/frame.png") as r:
                    got["frames"] += 1
                    got["bytes"] += len(await r.read())


async def measure(watched: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    before = {name: cpu_seconds(p) for name, p in watched.items()}
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    return {name: (cpu_seconds(p) - before[name]) / elapsed for name, p in watched.items()}


async def emulated(port: int, env: dict[str, str], procs: dict, name: str) -> None:
    """The firmware in CPython as the server's board (its own process: not counted)."""
    procs[f"{name}: board"] = await start(
        "-m", "nocturne", "emulate", "--headless", "--seconds", "3600",
        "--host", "127.0.0.1", "--port", str(port), env=env,
    )  # fmt: skip


async def main(seconds: float, today: str | None, raw_boards: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    servers = (*SERVERS, "today") if today else SERVERS
    envs = {name: env for name in servers}
    if today:
        envs["today"] = {**env, "PYTHONPATH": today}
    procs: dict = {}
    stop = asyncio.Event()
    boards = []
    try:
        ports = {name: await server(name, envs[name], procs) for name in servers}
        counts = [0]
        if raw_boards:
            boards = [asyncio.create_task(device(p, 0, stop, counts)) for p, _ in ports.values()]
        else:
            for name, (port, _) in ports.items():
                await emulated(port, env, procs, name)
        watched = {name: psutil.Process(procs[name].pid) for name in servers}
        await asyncio.sleep(5)  # warm-up: imports done, first rates taken
        closed = await measure(watched, seconds)
        got = {"messages": 0, "bytes": 0, "frames": 0}
        url = f"http://127.0.0.1:{ports['page'][1]}"
        viewer = asyncio.create_task(page(url, stop, got))
        await asyncio.sleep(2)  # the page's first messages
        opened = await measure(watched, seconds)
        rss = {name: p.memory_info().rss / 2**20 for name, p in watched.items()}
        stop.set()
        await viewer
    finally:
        stop.set()
        await stop_all(procs)
        for task in boards:
            task.cancel()
    kind = "a socket on HUB" if raw_boards else "an emulated board"
    print(f"bench_dashboard: {seconds:g} s per phase, 1 s polling, {kind} per server")
    print(f"  {'server':<12}{'no page: % core':>18}{'page open: % core':>20}{'RSS MB':>9}")
    for name in servers:
        print(
            f"  {name:<12}{closed[name] * 100:>18.3f}{opened[name] * 100:>20.3f}{rss[name]:>9.1f}"
        )
    print(
        f"  closed - web off, no page: {(closed['closed'] - closed['web off']) * 100:+.3f} % core"
    )
    extra = (opened["page"] - opened["closed"]) * 100
    print(f"  page open - closed (same phase): {extra:+.3f} % core")
    # each server against itself: what opening the page added, less what the phase moved
    rise = (opened["page"] - closed["page"]) - (opened["closed"] - closed["closed"])
    print(
        f"  page's rise when opened, less closed's over the same phases: {rise * 100:+.3f} % core"
    )
    rate = got["bytes"] / seconds / 1024
    print(
        f"  the page received {got['messages']} messages, {got['frames']} frames, {rate:.1f} KB/s"
    )
    print("  budgets: closed costs nothing measurable; open costs little; RSS <= 60 MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--today", metavar="SRC", help="also run the server from this src/")
    parser.add_argument("--raw-boards", action="store_true", help="sockets, not the firmware")
    args = parser.parse_args()
    compile_bytecode()
    asyncio.run(main(args.seconds, args.today, args.raw_boards))
