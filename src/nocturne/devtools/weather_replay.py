"""An HTTP server that replays recorded Open-Meteo answers (forecast and geocoding search).

For tests, benchmarks and demos without the internet: ``python -m
nocturne.devtools.weather_replay tests/fixtures/weather [--port 8086]`` serves
``/v1/forecast`` and ``/v1/search``; point ``weather_api_url`` and ``geocoding_api_url`` at
it. In code, ``OpenMeteoReplay`` can fail (HTTP status), answer slowly or send a broken
body, and records every query it was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from .http_replay import Handler, ReplayServer, web


class OpenMeteoReplay(ReplayServer):
    """``/v1/forecast`` answers ``forecast``; ``/v1/search?name=N`` answers ``places[N]``."""

    def __init__(
        self,
        forecast: bytes,
        places: dict[str, bytes],
        no_results: bytes,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.forecast = forecast
        self.places = {name.casefold(): body for name, body in places.items()}
        self.no_results = no_results
        super().__init__(host, port)
        self.status = 200  # set to 429, 503 ... to fail
        self.delay = 0.0  # seconds before answering
        self.retry_after: str | None = None  # a Retry-After header on failures
        self.queries: list[tuple[str, dict[str, str]]] = []  # (path, query) of every request

    @classmethod
    def from_dir(cls, folder: Path | str, **kw) -> OpenMeteoReplay:
        """forecast-*.json (the first), geocoding-NAME.json, geocoding-no-results.json."""
        folder = Path(folder)
        forecast = sorted(folder.glob("forecast-*.json"))[0].read_bytes()
        places = {
            p.stem.removeprefix("geocoding-"): p.read_bytes()
            for p in folder.glob("geocoding-*.json")
            if p.stem != "geocoding-no-results"
        }
        return cls(forecast, places, (folder / "geocoding-no-results.json").read_bytes(), **kw)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def forecast_url(self) -> str:
        return f"{self.base}/v1/forecast"

    @property
    def geocoding_url(self) -> str:
        return f"{self.base}/v1/search"

    async def _answer(self, request: web.Request, body: bytes) -> web.StreamResponse:
        self.queries.append((request.path, dict(request.query)))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return web.Response(
                status=self.status, text='{"error":true,"reason":"replay"}', headers=headers
            )
        return web.Response(body=body, content_type="application/json")

    async def _forecast(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, self.forecast)

    async def _search(self, request: web.Request) -> web.StreamResponse:
        name = request.query.get("name", "").casefold()
        return await self._answer(request, self.places.get(name, self.no_results))

    def searches(self) -> list[dict[str, str]]:
        return [q for path, q in self.queries if path == "/v1/search"]

    def forecasts(self) -> list[dict[str, str]]:
        return [q for path, q in self.queries if path == "/v1/forecast"]

    def routes(self) -> dict[str, Handler]:
        return {"/v1/forecast": self._forecast, "/v1/search": self._search}


async def _main(args: argparse.Namespace) -> None:
    replay = OpenMeteoReplay.from_dir(args.folder, host=args.host, port=args.port)
    await replay.start()
    print(f"weather_api_url: {replay.forecast_url}\ngeocoding_api_url: {replay.geocoding_url}")
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Replay recorded Open-Meteo answers over HTTP.")
    parser.add_argument("folder", help="folder with forecast-*.json and geocoding-*.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8086)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
