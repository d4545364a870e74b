"""Benchmark: cover conversion, one media poll with nothing changed, weather parsing.

Run standalone: ``.venv/bin/python bench/bench_media.py [--rounds N]``. Prints:

- cover_xbm (decode + 64×64 + contrast stretch + Floyd–Steinberg + XBM) per image size and
  format: paid once per track, never per poll;
- one MediaSource.read() against a real MPRIS player (a private dbus-daemon and mpv with the
  mpv-mpris plugin, as the tests use) when those are installed: paid every second;
- parse_forecast on the recorded Open-Meteo answer.

Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from nocturne.sources.media import MediaSource  # noqa: E402
from nocturne.sources.media.cover import cover_xbm  # noqa: E402
from nocturne.sources.weather.parser import parse_forecast  # noqa: E402


def _median_ms(fn, rounds: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def bench_covers(rounds: int) -> None:
    print("cover_xbm (once per track)")
    for size in (300, 640, 1200, 3000):
        image = Image.effect_mandelbrot((size, size), (-2, -1.5, 1, 1.5), 100).convert("RGB")
        for fmt in ("JPEG", "PNG"):
            out = io.BytesIO()
            image.save(out, fmt)
            data = out.getvalue()
            med, p95 = _median_ms(lambda data=data: cover_xbm(data), max(3, rounds // size))
            print(
                f"  {size:>4}×{size:<4} {fmt:<4} {len(data) / 1024:7.0f} KB  "
                f"median {med:7.2f} ms  p95 {p95:7.2f} ms"
            )


async def _poll_cost(rounds: int) -> None:
    import shutil

    if not shutil.which("dbus-daemon") or not shutil.which("mpv"):
        print("media poll: skipped (needs dbus-daemon, mpv and mpv-mpris)")
        return
    from nocturne.sources.media._linux import MprisBackend
    from tests.host.media_fixtures import Players, make_track, mpris_plugin

    mpris_plugin()
    daemon = await asyncio.create_subprocess_exec(
        "dbus-daemon",
        "--session",
        "--nofork",
        "--nosyslog",
        "--print-address=1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    address = (await daemon.stdout.readline()).decode().strip()
    players = Players(address)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await players.start(make_track(Path(tmp), title="Bench", artist="Bench"))
            source = MediaSource(MprisBackend(address))
            await source.read()
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                await source.read()
                times.append((time.perf_counter() - start) * 1000)
            await source.close()
            times.sort()
            print(
                f"media poll, 1 MPRIS player, nothing changed: median "
                f"{statistics.median(times):.3f} ms  p95 {times[int(0.95 * (len(times) - 1))]:.3f}"
                f" ms  (covers converted: {source.conversions})"
            )
    finally:
        players.stop()
        daemon.terminate()
        await daemon.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    bench_covers(rounds * 10)
    asyncio.run(_poll_cost(rounds))
    body = (ROOT / "tests/fixtures/weather/forecast-copenhagen.json").read_bytes()
    med, p95 = _median_ms(lambda: parse_forecast(body), rounds)
    print(f"parse_forecast ({len(body) / 1024:.0f} KB): median {med:.3f} ms  p95 {p95:.3f} ms")


if __name__ == "__main__":
    main()
