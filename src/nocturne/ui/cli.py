"""The ``nocturne`` command: run the server, list sensors, check the set-up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
import traceback
from argparse import SUPPRESS
from pathlib import Path
from typing import Any

from .. import __version__, shutdown
from ..config.model import Config, ConfigError, LoadedConfig, load_config
from ..safe_text import printable

log = logging.getLogger("nocturne")

LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 2
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


_TRACEBACK_FRAMING = (
    "Traceback ",
    "  File ",
    "\nDuring handling of the above exception",
    "\nThe above exception was the direct cause",
)


class PrintableFormatter(logging.Formatter):
    """Shows control characters as escapes, so a remote string in a message (a sensor or
    place name, a track title, an error a server sent) cannot fake a log line or drive the
    terminal; a traceback keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        out = []
        for chunk in traceback.TracebackException(*ei).format():
            if chunk.startswith(_TRACEBACK_FRAMING):  # our code's lines: kept as lines
                out.append("\n".join(printable(line) for line in chunk.split("\n")))
            else:  # the exception's text, which may quote anything: one line
                out.append(printable(chunk.removesuffix("\n")) + "\n")
        return "".join(out).removesuffix("\n")

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(printable(line) for line in stack_info.split("\n"))


def setup_logging(log_path: Path | None, *, console: bool, verbose: bool = False) -> None:
    """Log to the console and to a rotating ``nocturne.log`` (a few MB at most)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = PrintableFormatter(LOG_FORMAT)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        root.addHandler(stream)
    if log_path is not None:
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                log_path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        except OSError as exc:
            log.warning("Cannot write the log file %s: %s", log_path, exc.strerror)
        else:
            file_handler.setFormatter(formatter)
            root.addHandler(file_handler)


def _load(args: argparse.Namespace, *, create: bool | None = None) -> LoadedConfig:
    """The config of --config, or the one the server finds. A missing file is created with
    the defaults only where no path was given (or ``create``): a mistyped --config path is
    an error, not a fresh config the server would quietly run on."""
    create = args.config is None if create is None else create
    return load_config(Path(args.config) if args.config else None, create=create)


# --- nocturne --console ---------------------------------------------------------------


def next_step_hint(command: str, dashboard: str | None = None) -> str:
    """What a new user does once the server is up (``command``: how they started it;
    ``dashboard``: its URL, None when the web endpoint is off)."""
    page = f"open the dashboard at {dashboard}, " if dashboard else ""
    return (
        f"Next: {page}see it on a virtual board with `{command} emulate` in another "
        f"terminal, or set up a real one with `{command} flash`"
    )


async def _serve(config: Config) -> int:
    from ..app import NocturneServer
    from ..gc_tuning import freeze_startup_objects

    server = NocturneServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        shutdown.arm_backstop()  # from here on the process is gone within 2 s
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no add_signal
            loop.add_signal_handler(sig, request_stop)
    try:
        await server.start()
    except OSError as exc:
        log.error(
            "%s. Another program (or another NOCTURNE server) uses port %d: close it, or set "
            "another 'port' in %s (and on the devices).",
            exc.strerror,
            config.port,
            config.path,
        )
        await server.stop()
        return 2
    log.info("NOCTURNE_OS server %s running; press Ctrl+C to stop", __version__)
    from ..web.doctor import dashboard_url

    dashboard = dashboard_url(config.web) if config.web is not None else None
    log.info("%s", next_step_hint(os.environ.get("NOCTURNE_COMMAND") or "nocturne", dashboard))
    freeze_startup_objects()  # full collections skip the start-up objects (gc_tuning)
    try:
        await stop.wait()
    finally:
        log.info("Stopping")
        await server.stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    setup_logging(None, console=True, verbose=args.verbose)
    try:
        loaded = _load(args)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    config = loaded.config
    setup_logging(config.log_path, console=True, verbose=args.verbose)
    if loaded.created:
        log.info("Created %s with the default settings", config.path)
    log.info("Config: %s", config.path)
    try:
        status = shutdown.run(_serve(config))
    except KeyboardInterrupt:
        status = 0
    shutdown.end_process(shutdown.exit_deadline(), status)
    return status


# --- nocturne sensors -------------------------------------------------------------------


def cmd_sensors(args: argparse.Namespace) -> int:
    from .doctor import print_sensors

    setup_logging(None, console=True, verbose=args.verbose)
    try:
        config = _load(args).config
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    return asyncio.run(print_sensors(config))


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    setup_logging(None, console=True, verbose=args.verbose)
    config_path = Path(args.config) if args.config else None
    return asyncio.run(run_doctor(config_path))


def cmd_config(args: argparse.Namespace) -> int:
    try:
        loaded = _load(args, create=True)
    except ConfigError as exc:
        print(printable(exc), file=sys.stderr)
        return 2
    print(f"{'created' if loaded.created else 'using'} {loaded.config.path}")
    return 0


def cmd_autostart(args: argparse.Namespace) -> int:
    from ..config.model import default_config_path
    from .autostart import for_this_platform

    auto = for_this_platform(config=Path(args.config) if args.config else default_config_path())
    if args.action == "on":
        auto.enable()
    elif args.action == "off":
        auto.disable()
    print(f"{'on' if auto.is_enabled() else 'off'}: {auto.location()}")
    return 0  # off is an answer to "status", not an error


# Sub-commands whose modules load only when one of them (or --help) is on the command line:
# the flash plans, urllib and the emulator cost the server a user leaves running ~1 MB of RSS.
ON_DEMAND = ("flash", "pair", "emulate", "web-password", "update", "scenes")


def build_parser(*, on_demand: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nocturne",
        description="NOCTURNE_OS server: streams this PC's sensors to NOCTURNE devices.",
    )
    parser.add_argument("--version", action="version", version=f"nocturne {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config.json to use")
    parser.add_argument(
        "--console", action="store_true", help="run in the foreground, logging to this console"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "sensors",
        help="list every sensor seen and which one feeds each protocol key",
        description="Read LibreHardwareMonitor (if it answers) and this PC's own sensors once, "
        "list every sensor, and show which one feeds each value the boards receive.",
    )
    sub.add_parser(
        "doctor",
        help="check LibreHardwareMonitor, the port and the config",
        description="Check the config file, the TCP port, LibreHardwareMonitor, the weather, "
        "the ping and the local sensors; print a fix for each problem (exit status 1 if any).",
    )
    autostart = sub.add_parser(
        "autostart",
        help="start the server when you log in",
        description="Start the server (in the tray) when you log in, on the config file in use "
        "(--config, else the one the server would find): on, off, or status.",
    )
    autostart.add_argument("action", choices=["on", "off", "status"])
    if on_demand:
        from .. import flash
        from ..emulator import cli as emulate
        from ..scenes import cli as scenes_cli
        from ..web import password_cli as web_password
        from . import pair_cli as pairing_cli
        from . import update_cli

        flash.add_subparser(sub)
        pairing_cli.add_subparser(sub)
        update_cli.add_subparser(sub)
        emulate.add_subparser(sub)
        web_password.add_subparser(sub)
        scenes_cli.add_subparser(sub)
    sub.add_parser(
        "config",
        help="show the config file in use (created if missing)",
        description="Print the path of the config file in use; create it with the defaults "
        "if it does not exist yet.",
    )
    for p in sub.choices.values():
        # SUPPRESS: an option given before the sub-command is not reset by the sub-parser.
        p.add_argument("--config", metavar="PATH", help="config.json to use", default=SUPPRESS)
        p.add_argument("-v", "--verbose", action="store_true", default=SUPPRESS)
    return parser


def cmd_tray(args: argparse.Namespace) -> int:
    """Plain `nocturne`: the server on a thread, the tray icon on this one."""
    from ..config.model import default_config_path

    config_path = (Path(args.config) if args.config else default_config_path()).resolve()
    setup_logging(config_path.parent / "nocturne.log", console=True, verbose=args.verbose)
    try:
        from .tray import load_pystray

        pystray = load_pystray()
    except Exception as exc:  # no display, no tray backend: pystray raises all sorts
        log.warning(
            "No system tray here (%s: %s); running in console mode", exc.__class__.__name__, exc
        )
        return cmd_run(args)
    from .server_thread import ServerThread
    from .tray import tray_for_config

    def load() -> Config:
        loaded = load_config(config_path, create=args.config is None)
        if loaded.created:
            log.info("Created %s with the default settings", config_path)
        return loaded.config

    server = ServerThread(load)
    status = server.start()
    log.info("NOCTURNE_OS %s in the tray: %s", __version__, status.text)
    app = tray_for_config(pystray, server, config_path)
    app.before_close = shutdown.arm_backstop  # from Close on, the process is gone within 2 s
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C or a service manager: close cleanly
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, lambda *_: app.close())
    app.run()
    server.stop_for_exit()
    return 0


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    on_demand = any(word in (*ON_DEMAND, "-h", "--help") for word in words)
    args = build_parser(on_demand=on_demand).parse_args(words)
    if args.command == "sensors":
        return cmd_sensors(args)
    if args.command == "doctor":
        return cmd_doctor(args)
    if args.command == "autostart":
        return cmd_autostart(args)
    if args.command == "emulate":
        from ..emulator import cli as emulate

        return emulate.run(args)
    if args.command == "flash":
        from .. import flash

        return flash.run(args)
    if args.command == "pair":
        from . import pair_cli as pairing_cli

        return pairing_cli.run(args)
    if args.command == "update":
        from . import update_cli

        return update_cli.run(args)
    if args.command == "web-password":
        from ..web import password_cli

        return password_cli.run(args)
    if args.command == "scenes":
        from ..scenes import cli as scenes_cli

        return scenes_cli.run(args)
    if args.command == "config":
        return cmd_config(args)
    if args.console:
        return cmd_run(args)
    return cmd_tray(args)
