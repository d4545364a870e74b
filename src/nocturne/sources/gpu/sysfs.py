"""Reading the kernel's files under a root folder that stands for ``/``.

The root is a constructor argument of every sysfs source; by default it comes from the
environment variable ``NOCTURNE_SYS_ROOT`` (a copy of a user's ``/sys`` and ``/proc`` for
a bug report), else ``/``. Each read opens the file once and says why it failed: a sysfs
attribute whose sensor is absent reads ``ENODATA`` or ``EOPNOTSUPP``, one the user may not
read ``EACCES``, one whose device went away ``ENOENT`` or ``ENODEV``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

ROOT_ENV = "NOCTURNE_SYS_ROOT"

# Why a field is empty, in the words `nocturne doctor` uses.
NO_DRIVER = "no driver"
NO_PERMISSION = "no permission"
NO_SENSOR = "no such sensor"
GONE = "device gone"
ASLEEP = "GPU asleep (runtime-suspended; not woken to read it)"

_NO_SENSOR_ERRNOS = {errno.ENODATA, errno.EOPNOTSUPP, errno.EINVAL, errno.EIO}
_GONE_ERRNOS = {errno.ENOENT, errno.ENODEV, errno.ENXIO}


def sys_root(root: str | os.PathLike[str] | None = None) -> Path:
    """``root`` if given, else $NOCTURNE_SYS_ROOT, else ``/``."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get(ROOT_ENV) or "/")


def why(exc: OSError) -> str:
    """The reason an OSError from a sysfs read gives, as one of the words above."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    if exc.errno in _GONE_ERRNOS:
        return GONE
    if exc.errno in _NO_SENSOR_ERRNOS:
        return NO_SENSOR
    return f"{NO_SENSOR} ({os.strerror(exc.errno) if exc.errno else exc})"


class Missing(Exception):
    """A value that could not be read; ``reason`` is one of the words above."""

    def __init__(self, reason: str, path: Path | str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = str(path)


def read_text(path: Path) -> str:
    """The file's text, stripped; raises Missing with the reason."""
    try:
        with open(path, "rb", buffering=0) as f:
            return f.read(4096).decode("ascii", "replace").strip()
    except OSError as exc:
        raise Missing(why(exc), path) from None


def read_int(path: Path) -> int:
    """The file's whole number; raises Missing (a value that is no number: no such sensor)."""
    text = read_text(path)
    try:
        return int(text)
    except ValueError:
        raise Missing(NO_SENSOR, path) from None


def first_line(path: Path) -> str | None:
    """Static facts (names, labels, ids): the text, or None when unreadable."""
    try:
        return read_text(path)
    except Missing:
        return None


def pci_address(device_dir: Path) -> str:
    """The PCI address a ``device`` symlink points to (``0000:03:00.0``), as the kernel
    names the folder."""
    return Path(os.path.realpath(device_dir)).name


def driver_name(device_dir: Path) -> str | None:
    """The kernel driver bound to the device (``amdgpu``, ``i915``, ``xe``, ``nvidia``)."""
    try:
        return Path(os.readlink(device_dir / "driver")).name
    except OSError:
        return None


def normal_pci(address: str) -> str:
    """``00000000:01:00.0`` (NVML) and ``0000:01:00.0`` (sysfs) as one spelling."""
    text = address.strip().lower()
    parts = text.split(":")
    if len(parts) == 3:
        domain, bus, rest = parts
        try:
            return f"{int(domain, 16):04x}:{bus}:{rest}"
        except ValueError:
            return text
    if len(parts) == 2:  # bus:device.function without a domain
        return f"0000:{text}"
    return text


class DrmCard:
    """One ``/sys/class/drm/cardN`` with a PCI device behind it."""

    def __init__(self, root: Path, card: Path) -> None:
        self.root = root
        self.card = card  # .../sys/class/drm/card1 (a symlink into /sys/devices)
        self.device = card / "device"
        self.pci = normal_pci(pci_address(self.device))
        self.driver = driver_name(self.device) or ""
        self.vendor_id = (first_line(self.device / "vendor") or "").lower().removeprefix("0x")
        self.device_id = (first_line(self.device / "device") or "").lower().removeprefix("0x")

    def exists(self) -> bool:
        return self.device.exists()

    def asleep(self) -> bool:
        """A laptop's dGPU powered down (runtime PM): reading its sensors would wake it."""
        return first_line(self.device / "power" / "runtime_status") == "suspended"


def drm_cards(root: Path) -> list[DrmCard]:
    """Every DRM card with a PCI device, one per PCI address, in card order."""
    base = root / "sys" / "class" / "drm"
    try:
        names = [
            n for n in os.listdir(base) if n.startswith("card") and n[4:].isdigit()
        ]  # not the connectors (card0-DP-1)
    except OSError:
        return []
    out: dict[str, DrmCard] = {}
    for name in sorted(names, key=lambda n: int(n[4:])):
        card = DrmCard(root, base / name)
        if card.vendor_id and card.pci not in out:
            out[card.pci] = card
    return list(out.values())
