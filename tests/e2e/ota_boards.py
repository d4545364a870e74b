"""Boards that update themselves, for the update tests and bench/bench_ota.py (issue 23).

A board is the MicroPython unix port on a filesystem folder laid out as ``nocturne flash``
leaves a board's (the firmware's files, ``fw_version``, settings), booted as a board boots:
boot.py, then main.py, from that folder (``MpDevice(boot=True)``). Whenever its process
ends (machine.reset after staging, a version that raises at import, a reset by the trial's
deadline, a power cut the test makes) it is started again on the same folder, as a board
powers up again. The server is the real DeviceServer on loopback, pairing and updates on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from nocturne.devices.pairing import Pairing
from nocturne.devices.server import DeviceServer
from nocturne.emulator.errors import EmulatorError
from nocturne.emulator.mp_runtime import MpDevice
from nocturne.emulator.secrets_file import make_secrets
from nocturne.firmware_files import (
    board_files,
    find_firmware_dir,
    firmware_version,
    write_version_file,
)
from nocturne.flash.ota_compile import compile_bundle
from nocturne.snapshot import Snapshot
from nocturne.updates.bundle import load_bundle
from nocturne.updates.manager import Updates

HEAP = 256 * 1024  # the 64-bit port: objects twice a board's (test_micropython_runtime)
TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"  # 34 URL-safe characters
POLL = 0.25  # s between lines
OTA_FILES = ("ota_new", "ota_old", "ota_ready", "ota_state")


def checkout() -> Path:
    return find_firmware_dir()


def variant(dest: Path, edits: dict[str, Callable[[str], str]] | None = None) -> Path:
    """A copy of this checkout's firmware in ``dest`` with ``edits`` ({path: text -> text})
    applied, and one comment more in text.py (so its version differs from the checkout's)."""
    src = checkout()
    for rel in board_files(src):
        out = dest.joinpath(*rel.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src.joinpath(*rel.parts), out)
    text = dest / "nocturne_fw" / "text.py"
    text.write_text(text.read_text() + f"# variant {dest.name}\n")
    for rel, edit in (edits or {}).items():
        p = dest / rel
        before = p.read_text()
        after = edit(before)
        assert after != before, f"the edit of {rel} changed nothing"
        p.write_text(after)
    return dest


def install(fs: Path, firmware: Path) -> str:
    """The board's folder as ``nocturne flash`` leaves it; the version installed."""
    fs.mkdir(parents=True, exist_ok=True)
    for rel in board_files(firmware):
        out = fs.joinpath(*rel.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(firmware.joinpath(*rel.parts), out)
    version = firmware_version(firmware)
    write_version_file(fs, version)
    (fs / "settings.json").write_text('{"carousel": false}')
    return version


def installed(fs: Path) -> str:
    return (fs / "fw_version").read_text().strip()


def leftovers(fs: Path) -> list[str]:
    return sorted(name for name in OTA_FILES if (fs / name).exists())


@functools.cache
def board_mpy() -> int:
    """The unix port's ``sys.implementation._mpy``, as its boards say it (x64, not xtensawin)."""
    from nocturne.emulator.mp_runtime import micropython_command

    out = subprocess.run(
        [*micropython_command(), "-c", "import sys; print(sys.implementation._mpy)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(out.stdout.split()[-1])


def files_match(fs: Path, firmware: Path, mpy: int | None = None) -> bool:
    """Every file of ``firmware`` is on the board byte for byte: as source, or its modules
    compiled for the ``.mpy`` version ``mpy`` (as the server sends them); and no module of
    the other kind (``x.py`` beside ``x.mpy`` or the reverse) is left beside any."""
    bundle = load_bundle(firmware)
    if mpy is not None:
        compiled, why = compile_bundle(bundle, mpy)
        assert compiled is not None, why
        bundle = compiled
    other = {".py": ".mpy", ".mpy": ".py"}
    for f in bundle.files:
        on_board = fs.joinpath(*f.path.split("/"))
        if not on_board.is_file() or on_board.read_bytes() != f.data:
            return False
        kind = other.get(on_board.suffix) if f.path not in ("main.py", "boot.py") else None
        if kind and on_board.with_suffix(kind).exists():
            return False
    return True


class RebootingBoard:
    """One board on its folder; ``pump`` starts it again whenever its process ended."""

    def __init__(
        self, port: int, fs: Path, log: Path, *, token: str | None = TOKEN, watchdog: float = 20.0
    ) -> None:
        self.port = port
        self.fs = fs
        self.log_path = log
        self.token = token
        self.dev: MpDevice | None = None
        self.boots = 0
        self.restart = True  # False: a board that reset stays off until start()
        self.watchdog = watchdog  # s a boot may take before it counts as hung and is reset
        self._log = open(log, "ab")  # noqa: SIM115  (one log over every boot)

    def start(self) -> None:
        self.boots += 1
        try:
            self.dev = MpDevice(
                "127.0.0.1",
                self.port,
                secrets=make_secrets("127.0.0.1", self.port, token=self.token),
                fs_dir=self.fs,
                heap=HEAP,
                log=self._log,
                strict=False,
                boot=True,
                start_timeout=self.watchdog,
            )
        except EmulatorError:
            # it did not come up (raised, or hung until the watchdog's time: MpDevice killed
            # it): the next pump boots it again
            self.dev = None

    def pump(self) -> None:
        dev = self.dev
        if dev is None:
            if self.restart or not self.boots:
                self.start()
            return
        dev.tick()
        if not dev.alive:
            dev.close()
            self.dev = None
            if self.restart:
                self.start()

    def power_cut(self) -> None:
        """Kill the process at once (no goodbye, no flush of what the board had not written)."""
        dev = self.dev
        if dev is not None:
            dev.proc.kill()
            dev.proc.wait()
            dev.close()
            self.dev = None

    @property
    def off(self) -> bool:
        return self.dev is None

    @property
    def lines(self) -> int:
        return self.dev.lines if self.dev is not None else 0

    def close(self) -> None:
        if self.dev is not None:
            self.dev.close()
            self.dev = None
        self._log.close()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")


async def run_until(
    boards: list[RebootingBoard], until: Callable[[], bool], timeout: float
) -> bool:
    """Keep the boards running (restarted when they reset) until ``until()`` or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for b in boards:
            b.pump()
        if until():
            return True
        await asyncio.sleep(0.02)
    return False


@contextlib.asynccontextmanager
async def ota_server(
    firmware: Path,
    mode: str = "auto",
    trial_s: int = 4,
    tokens: dict[str, str] | None = None,
    allow_unpaired: bool = False,
) -> AsyncIterator[DeviceServer]:
    """A DeviceServer on loopback serving paired boards (``tokens``, default desk: TOKEN),
    updating them to ``firmware``, publishing a line every POLL."""
    pairing = Pairing(
        tokens if tokens is not None else {"desk": TOKEN}, allow_unpaired=allow_unpaired
    )
    updates = Updates(
        mode,
        trial_s=trial_s,
        token_of=pairing.token_of,
        bundle=load_bundle(firmware),
        compile_for=compile_bundle,
    )
    srv = DeviceServer("127.0.0.1", 0, pairing=pairing, updates=updates)
    await srv.start()

    async def lines() -> None:
        while True:
            srv.publish(Snapshot())
            await asyncio.sleep(POLL)

    publisher = asyncio.create_task(lines())
    try:
        yield srv
    finally:
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        await srv.stop()


def state_phase(fs: Path) -> str | None:
    try:
        return (fs / "ota_state").read_text().split()[0]
    except (OSError, IndexError):
        return None


async def live(board: RebootingBoard, more: int = 3, timeout: float = 20.0) -> bool:
    """The board (restarted as needed) receives ``more`` lines after a fresh connect."""
    if not await run_until([board], lambda: board.lines > 0, timeout):
        return False
    seen = board.lines
    return await run_until([board], lambda: board.lines >= seen + more, timeout)


def board_entry(srv: DeviceServer, name: str = "desk") -> Any:
    for d in srv.devices():
        if d.board == name:
            return d
    return None


# A power cut at boot, between two of the swap's (or the rollback's) filesystem steps: the
# real boot code (ota_swap.boot, as boot.py calls it) on the unix port in the board's
# folder, its ``os`` (and ota_fs's) counting every step that changes the filesystem and ending the
# process before step ``N`` (each step is one rename, remove, mkdir or rmdir: atomic).
_CUT = """
import os, sys
sys.path.insert(0, "")
from nocturne_fw import ota_swap

class CutOs:
    def __init__(self, n):
        self.n = n
    def step(self):
        if self.n == 0:
            print("CUT")
            sys.exit(0)
        self.n -= 1
    def stat(self, p):
        return os.stat(p)
    def listdir(self, p):
        return os.listdir(p)
    def mkdir(self, p):
        self.step()
        os.mkdir(p)
    def rmdir(self, p):
        self.step()
        os.rmdir(p)
    def remove(self, p):
        self.step()
        os.remove(p)
    def rename(self, a, b):
        self.step()
        os.rename(a, b)

ota_swap.os = ota_swap.fs.os = CutOs(%d)
ota_swap.boot()
print("BOOTED")
"""


def cut_boot(fs: Path, steps: int) -> bool:
    """Boot ``fs`` and cut the power after ``steps`` filesystem steps of the swap or
    rollback; True when the boot's update work ended before that (nothing was cut)."""
    import subprocess

    from nocturne.emulator.mp_runtime import micropython_command

    script = fs.parent / f"cut-{fs.name}.py"
    script.write_text(_CUT % steps)
    out = subprocess.run(
        [*micropython_command(), str(script)], cwd=fs, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and ("CUT" in out.stdout or "BOOTED" in out.stdout), (
        out.stdout + out.stderr
    )
    return "BOOTED" in out.stdout


# --- power cuts across an update (tests/e2e/test_ota_power_cuts.py, bench/bench_ota.py) ---

CUT_POINTS = ("transfer", "staged", "swap", "after-swap", "rollback", "trial", "good")


async def staged_board(tmp: Path, srv: DeviceServer, fs: Path) -> RebootingBoard:
    """A board on ``fs`` updated by ``srv`` up to the reset after staging; left off."""
    board = RebootingBoard(srv.port, fs, tmp / f"{fs.name}.log")
    board.restart = False
    assert await run_until([board], lambda: board.off and board.boots > 0, 60), board.log_text()
    assert (fs / "ota_ready").exists(), board.log_text()[-3000:]
    return board


async def cut_and_recover(
    tmp: Path, srv: DeviceServer, old_fw: Path, new_fw: Path, point: str, steps: int = 0
) -> str:
    """Update a board from ``old_fw`` to ``new_fw`` (the server's), cut its power at
    ``point`` (``steps``: filesystem steps into the swap or the rollback), power it up again
    on the same folder and keep it running until it reaches live data with no update work
    left; which version it then runs ("old" or "new"). Fails when it runs neither whole."""
    fs = tmp / f"board-{point}-{steps}"
    old = install(fs, old_fw)
    new = firmware_version(new_fw)
    if point in ("transfer", "staged", "trial", "good"):
        board = RebootingBoard(srv.port, fs, tmp / f"{fs.name}.log")
        board.restart = point != "staged"
        until = {
            "transfer": lambda: (fs / "ota_new" / "nocturne_fw").is_dir(),
            "staged": lambda: (fs / "ota_ready").exists(),
            "trial": lambda: state_phase(fs) == "run",
            "good": lambda: installed(fs) == new and not leftovers(fs),
        }[point]
        assert await run_until([board], until, 60), board.log_text()[-3000:]
        board.power_cut()
    else:
        board = await staged_board(tmp, srv, fs)
        if point == "swap":
            cut_boot(fs, steps)
        else:
            assert cut_boot(fs, 10_000)  # the whole swap, then the power goes before main.py
            if point == "rollback":
                cut_boot(fs, steps)
    board.restart = True
    try:

        def settled() -> bool:
            d = board_entry(srv)
            return (
                d is not None
                and d.firmware in (old, new)
                and d.firmware == installed(fs)
                and not leftovers(fs)
                and board.lines > 2
            )

        assert await run_until([board], settled, 60), (point, steps, board.log_text()[-3000:])
        assert await live(board)
    finally:
        board.close()
    version = installed(fs)
    if version == new:  # the unix port says its .mpy version: the update's modules are .mpy
        assert files_match(fs, new_fw, board_mpy()), (point, steps)
    else:
        assert files_match(fs, old_fw), (point, steps)
    return "new" if version == new else "old"
