"""Intel GPUs (i915 and xe drivers).

Busy: from the DRM clients' engine counters in ``/proc/*/fdinfo`` (kernel
Documentation/gpu/drm-usage-stats: i915 writes ``drm-engine-render: <ns> ns``, xe writes
``drm-cycles-rcs``/``drm-total-cycles-rcs``), summed over the clients this user may read,
between two polls. Where no client is readable, the actual over the maximum frequency
(``gt_act_freq_mhz``/``gt_RP0_freq_mhz`` on i915, ``tile0/gt0/freq0/act_freq``/``rp0_freq``
on xe), an estimate: `nocturne sensors` says which one feeds the load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .model import Gpu
from .pci_names import device_name
from .readout import Readout
from .sysfs import GONE, NO_SENSOR, DrmCard, Missing, read_int, read_text

INTEGRATED_SLOT = "0000:00:02.0"  # where every Intel iGPU sits
# Finding the DRM file descriptors means a readlink of every fd of every process (9 ms of
# CPU on a quiet PC, bench_gpu_sources.py): done this often; the polls between read only
# the fdinfo files of the fds found.
FULL_SCAN_S = 10.0
FREQ_FEED = "frequency ratio (an estimate: no DRM client's fdinfo is readable)"


class _Client:
    __slots__ = ("busy", "total")

    def __init__(self, busy: int, total: int | None) -> None:
        self.busy = busy
        self.total = total  # xe: total cycles; i915: None (busy is in ns)


def parse_fdinfo(text: str) -> dict[str, str]:
    """``key: value`` lines (drm-usage-stats) as a dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


class FdinfoBusy:
    """The render engine's busy share of one PCI device from every readable DRM client."""

    def __init__(self, root: Path, pci: str, clock: Callable[[], float] = time.monotonic):
        self.proc = root / "proc"
        self.pci = pci
        self._clock = clock
        self._last: dict[str, _Client] = {}
        self._last_at: float | None = None
        self._fdinfos: list[Path] = []  # this device's DRM fds found by the last full scan
        self._scanned_at: float | None = None
        self.clients = 0  # readable clients of this device at the last poll

    def _find_fds(self) -> list[Path]:
        """Every readable fdinfo of a DRM fd (/dev/dri/*), by a walk of /proc/*/fd."""
        found: list[Path] = []
        try:
            pids = [p for p in os.listdir(self.proc) if p.isdigit()]
        except OSError:
            return found
        for pid in pids:
            fd_dir = self.proc / pid / "fd"
            try:
                fds = os.listdir(fd_dir)
            except OSError:  # another user's process, or it ended
                continue
            for fd in fds:
                try:
                    if os.readlink(fd_dir / fd).startswith("/dev/dri/"):
                        found.append(self.proc / pid / "fdinfo" / fd)
                except OSError:
                    continue
        return found

    def _clients(self, now: float) -> dict[str, _Client]:
        if self._scanned_at is None or now - self._scanned_at >= FULL_SCAN_S:
            self._scanned_at = now
            self._fdinfos = self._find_fds()
        clients: dict[str, _Client] = {}
        kept: list[Path] = []
        for path in self._fdinfos:
            try:
                info = parse_fdinfo(read_text(path))
            except Missing:  # the process or the fd is gone
                continue
            if info.get("drm-pdev") != self.pci or "drm-client-id" not in info:
                continue
            kept.append(path)
            client = _client(info)
            if client is not None:  # one client may be open on several fds
                clients[info["drm-client-id"]] = client
        self._fdinfos = kept
        return clients

    def read(self) -> float | None:
        """Busy percent since the last call; None on the first call or with no client."""
        now = self._clock()
        clients = self._clients(now)
        last, last_at = self._last, self._last_at
        self._last, self._last_at = clients, now
        self.clients = len(clients)
        if not clients or last_at is None or now <= last_at:
            return None
        busy = 0.0
        for cid, c in clients.items():
            before = last.get(cid)
            if before is None or c.busy < before.busy:
                continue  # a new client, or a counter reset
            if c.total is not None and before.total is not None:
                span = c.total - before.total
                if span > 0:  # the GPU's own clock: the same span for every client
                    busy += (c.busy - before.busy) / span
            else:
                busy += (c.busy - before.busy) / 1e9 / (now - last_at)
        return max(0.0, min(100.0, busy * 100.0))


def _client(info: dict[str, str]) -> _Client | None:
    if "drm-engine-render" in info:  # i915: "123456 ns"
        try:
            return _Client(int(info["drm-engine-render"].split()[0]), None)
        except ValueError:
            return None
    if "drm-cycles-rcs" in info and "drm-total-cycles-rcs" in info:  # xe
        try:
            return _Client(int(info["drm-cycles-rcs"]), int(info["drm-total-cycles-rcs"]))
        except ValueError:
            return None
    return None


class IntelGpu:
    """One i915 or xe card."""

    vendor = "Intel"

    def __init__(self, card: DrmCard, clock: Callable[[], float] = time.monotonic) -> None:
        self.card = card
        self.pci = card.pci
        self.driver = card.driver
        self.name = device_name(card.root, card.vendor_id, card.device_id)
        self.integrated = card.pci == INTEGRATED_SLOT
        if card.driver == "xe":
            freq = card.device / "tile0" / "gt0" / "freq0"
            self._act, self._max = freq / "act_freq", freq / "rp0_freq"
        else:
            self._act, self._max = card.card / "gt_act_freq_mhz", card.card / "gt_RP0_freq_mhz"
        self._max_mhz: int | None = None  # the hardware maximum does not change
        self.fdinfo = FdinfoBusy(card.root, card.pci, clock)

    def read(self) -> Gpu:
        r = Readout()
        try:
            act = read_int(self._act)
        except Missing as exc:
            if exc.reason == GONE and not self.card.exists():
                raise
            act = None
            r.lack("clock_mhz", exc.reason)
        else:
            r.put("clock_mhz", float(act), self._act.name)
        busy = self.fdinfo.read()
        if self.fdinfo.clients:
            if busy is None:
                r.lack("gpu_load", "fdinfo: waiting for a second sample")
            else:
                r.put("gpu_load", busy, f"fdinfo engine counters ({self.fdinfo.clients} clients)")
        elif act is not None:
            r.take("gpu_load", lambda: self._ratio(act), FREQ_FEED)
        else:
            r.lack("gpu_load", NO_SENSOR)
        for f in ("gpu_temp", "gpu_hotspot", "gpu_fan", "gpu_mem_load", "power_w"):
            r.lack(f, NO_SENSOR)
        for f in ("vram_used", "vram_total"):
            r.lack(f, "shared system memory" if self.integrated else NO_SENSOR)
        return r.gpu(self.pci, self.name, self.vendor, self.driver, self.integrated)

    def _ratio(self, act: int) -> float | None:
        if self._max_mhz is None:
            self._max_mhz = read_int(self._max)
        if self._max_mhz <= 0:
            return None
        return max(0.0, min(100.0, 100.0 * act / self._max_mhz))
