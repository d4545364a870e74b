"""GPU names from the PCI id database (``pci.ids``), read once at start-up."""

from __future__ import annotations

from pathlib import Path

# Where distributions put pci.ids (hwdata; pciutils' own copy).
PCI_IDS = ("usr/share/hwdata/pci.ids", "usr/share/misc/pci.ids", "usr/share/pci.ids")
VENDORS = {"1002": "AMD", "10de": "NVIDIA", "8086": "Intel"}


def _lookup(path: Path, vendor: str, device: str) -> str | None:
    in_vendor = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            if not line.startswith("\t"):
                if in_vendor:
                    return None  # past our vendor's devices
                in_vendor = line[:4].lower() == vendor
            elif in_vendor and not line.startswith("\t\t") and line[1:5].lower() == device:
                return line[5:].strip()
    return None


def device_name(root: Path, vendor: str, device: str) -> str:
    """The marketing name of PCI device ``vendor``:``device`` (hex, no 0x), or a plain
    "AMD GPU [1002:744c]" when no database knows it."""
    vendor, device = vendor.lower().removeprefix("0x"), device.lower().removeprefix("0x")
    for rel in PCI_IDS:
        try:
            name = _lookup(root / rel, vendor, device)
        except OSError:
            continue
        if name:
            # "Navi 31 [Radeon RX 7900 XT/7900 XTX]": the bracketed part is what users know
            if "[" in name and name.endswith("]"):
                name = name[name.index("[") + 1 : -1]
            return name
        break
    return f"{VENDORS.get(vendor, vendor)} GPU [{vendor}:{device}]"
