"""What a hardware node is (cpu, gpu, ram, disk, board...), from its ids, else its icon.

From ``HardwareId``, else the first ``SensorId`` found in the node's groups, else the icon in
``ImageURL`` (OHM has no ids): ``intelcpu``/``amdcpu``/cpu.png → cpu; ``gpu-nvidia``/
``gpu-amd``/``gpu-intel*``/``nvidiagpu``/``atigpu``/nvidia.png/ati.png/intel.png → gpu;
``ram``/ram.png → ram (but ``vram`` and a ram.png node named "Virtual Memory" → vram);
``memory/dimm`` → memory-dimm; ``hdd``/``ssd``/``nvme``/hdd.png → disk; ``lpc``/
``motherboard``/chip.png/mainboard.png → board; ``nic`` → nic; ``battery`` → battery;
anything else → other. A GPU is integrated when its id says so or its name is an iGPU name
("UHD/HD/Iris Graphics", "Radeon Graphics", "Radeon 780M Graphics", ...).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["is_integrated_gpu", "kind_of"]

_ID_KINDS = {
    "intelcpu": "cpu",
    "amdcpu": "cpu",
    "genericcpu": "cpu",
    "cpu": "cpu",
    "nvidiagpu": "gpu",
    "atigpu": "gpu",
    "gpu-nvidia": "gpu",
    "gpu-amd": "gpu",
    "gpu-intel": "gpu",
    "gpu-intel-integrated": "gpu",
    "gpu-intel-discrete": "gpu",
    "ram": "ram",
    "vram": "vram",
    "memory": "memory-dimm",
    "hdd": "disk",
    "ssd": "disk",
    "nvme": "disk",
    "storage": "disk",
    "lpc": "board",
    "motherboard": "board",
    "mainboard": "board",
    "nic": "nic",
    "battery": "battery",
}
_ICON_KINDS = {
    "cpu.png": "cpu",
    "nvidia.png": "gpu",
    "ati.png": "gpu",
    "amd.png": "gpu",
    "intel.png": "gpu",
    "ram.png": "ram",
    "hdd.png": "disk",
    "chip.png": "board",
    "mainboard.png": "board",
    "nic.png": "nic",
    "battery.png": "battery",
}
_IGPU_NAME = re.compile(
    r"""(?ix)
      integrated
    | \b(?:u?hd|iris(?:\(r\))?(?:\s+(?:xe|plus|pro))?)\s+graphics
    | \bradeon(?:\(tm\))?\s+(?:\d{3,4}m\s+)?graphics\b
    | \bvega\s+\d+\s+graphics
    | ^intel(?:\(r\))?\s+(?:arc(?:\(tm\))?\s+)?graphics$
    """
)


def kind_of(node: dict[str, Any], name: str, hwid: str, children: list[Any]) -> tuple[str, str]:
    """(kind, the id it was decided from, or "") of a hardware node."""
    ref = hwid or _first_sensor_id(children)
    if ref:
        seg = ref[1:] if ref[0] == "/" else ref
        seg = seg.partition("/")[0].lower()
        kind = _ID_KINDS.get(seg)
        if kind is None and seg.startswith("gpu"):
            kind = "gpu"
        if kind is not None:
            return kind, ref
    icon = node.get("ImageURL")
    kind = "other"
    if type(icon) is str:
        kind = _ICON_KINDS.get(icon.rpartition("/")[2], "other")
        if kind == "ram" and "virtual" in name.lower():
            kind = "vram"
    return kind, ref


def is_integrated_gpu(ref: str, name: str) -> bool:
    """An iGPU by its id ("gpu-intel-integrated") or its marketing name."""
    return "integrated" in ref.lower() or _IGPU_NAME.search(name) is not None


def _first_sensor_id(children: list[Any]) -> str:
    """The first SensorId in the node's own groups (not in sub-hardware), or ""."""
    for group in children:
        if type(group) is not dict:
            continue
        sensors = group.get("Children")
        if type(sensors) is not list:
            continue
        for sensor in sensors:
            if type(sensor) is dict:
                sid = sensor.get("SensorId")
                if type(sid) is str and sid:
                    return sid
                break  # sub-hardware or OHM: no ids in this group
    return ""
