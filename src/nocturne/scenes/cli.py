"""``nocturne scenes``: the custom scenes of config.json, listed with their values, and any
one of them rendered to a PNG by the firmware's own drawing code (render.py), against the
values LibreHardwareMonitor gives now (``lhm_url``) or those of a saved ``data.json``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from ..safe_text import printable

DEFAULT_SCALE = 4


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``scenes`` on cli.py's sub-parsers; dispatch with ``run(args)``."""
    p = subparsers.add_parser(
        "scenes",
        help="list the custom scenes, or render one to a PNG with the firmware's code",
        description="List config.json's custom_scenes with each slot's value now (from "
        "LibreHardwareMonitor at lhm_url, or from --capture), or draw one of them with the "
        "board's own code into a PNG (--png).",
    )
    p.add_argument("--png", metavar="FILE", help="write scene --scene as a PNG here")
    p.add_argument("--scene", type=int, default=1, help="which custom scene, 1-4 (default 1)")
    p.add_argument("--capture", metavar="DATA_JSON", help="values from this saved data.json")
    p.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="pixel scale of the PNG")
    return p


async def _reading(config: Any, capture: str | None) -> tuple[Any, str]:
    """(LhmReading or None, where the values come from)."""
    from ..sources import SourceUnavailable
    from ..sources.lhm.client import LhmSource
    from ..sources.lhm.model import LhmFormatError
    from ..sources.lhm.parser import parse_data_json

    if capture is not None:
        try:
            return parse_data_json(Path(capture).read_bytes(), config.sensor_overrides), capture
        except OSError as exc:
            return None, f"{capture}: cannot read it ({exc.strerror}): every value unknown"
        except LhmFormatError as exc:
            return None, f"{capture}: not a data.json ({exc.reason}): every value unknown"
    source = LhmSource.from_config(config)
    if source is None:
        return None, "no lhm_url: every sensor unknown"
    try:
        return await source.read(), config.lhm_url
    except SourceUnavailable as exc:
        return None, f"{exc}: every sensor unknown"
    finally:
        await source.close()


def _describe(custom: Any, out: Any) -> None:
    from ..snapshot.custom import FIELD
    from .render import FIRST_SCENE_ID

    for s, i, slot, value in custom.slots():
        if i == 0:
            scene = custom.scenes[s]
            out.write(f"{s + 1}  {printable(scene.name):<8}  {scene.layout:<5}  "
                      f"(scene id {FIRST_SCENE_ID + s})\n")  # fmt: skip
        source = f"field {slot.ref}" if slot.source == FIELD else printable(slot.ref)
        shown = "—" if value is None else f"{value:.{slot.decimals}f} {slot.unit or ''}".strip()
        out.write(f"   {printable(slot.label):<10}  {shown:<14}  {source}\n")


def run(args: argparse.Namespace) -> int:
    from ..collect.custom import CustomValues  # it warns of unknown sensor ids, once
    from ..config.model import ConfigError, load_config
    from ..snapshot import Hardware

    try:
        config = load_config(Path(args.config) if args.config else None, create=False).config
    except ConfigError as exc:
        print(f"nocturne scenes: {exc}", file=sys.stderr)
        return 2
    if not config.custom_scenes:
        print(f"No custom scenes in {config.path}: add custom_scenes (README, Custom scenes), "
              "or build them in the dashboard's Scenes tab")  # fmt: skip
        return 0
    reading, origin = asyncio.run(_reading(config, args.capture))
    values = CustomValues(config.custom_scenes)
    custom = values.read(reading, reading.hardware if reading else Hardware(), None)
    assert custom is not None
    print(f"Values from {printable(origin)}", file=sys.stderr)
    if not args.png:
        _describe(custom, sys.stdout)
        return 0
    if not 1 <= args.scene <= len(custom.scenes):
        print(f"nocturne scenes: --scene {args.scene}: there are {len(custom.scenes)} custom "
              f"scenes (1 to {len(custom.scenes)})", file=sys.stderr)  # fmt: skip
        return 2
    from .render import SceneRenderer

    renderer = SceneRenderer()
    try:
        png = renderer.png(custom, args.scene - 1, max(1, min(args.scale, 16)))
    finally:
        renderer.close()
    Path(args.png).write_bytes(png)
    print(f"Wrote {args.png}: scene {args.scene} ({printable(custom.scenes[args.scene - 1].name)})")
    return 0
