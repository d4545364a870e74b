"""Role rules: which sensor fills each Hardware field, and the overrides that pin one.

Each rule takes the first candidate, in the order given, whose value is plausible in the
field's unit (see :mod:`.units`).

    cpu_temp      CPU "Core (Tctl/Tdie)", "Core (Tctl)", "Core (Tdie)", "Tdie", "Tctl",
                  "CPU Package", "Package", "Core Max", "Core Average", "CCDs Max (Tdie)",
                  "CCDs Average (Tdie)", "CPU CCD Max", "CPU CCD Average"; then a board
                  temperature "CPU", "CPU Core", "CPU Temperature", "CPUTIN", then any board
                  temperature whose name starts with "CPU".
    cpu_load      CPU load "CPU Total".
    cpu_power     CPU power "Package", "CPU Package", "CPU PPT".
    cpu_clock     CPU clock "Cores (Average)", else the mean of the "Core #n", "CPU Core #n",
                  "P-Core #n", "E-Core #n" clocks (never bus speed, never "(Effective)").
    GPU           One GPU feeds every gpu_* and vram_* field (never a mix). Hardware nodes
                  without sensors never count. A discrete GPU beats an integrated one in any
                  order (see :mod:`.kinds`). Then a GPU with a core temperature or load beats
                  one without, then tree order.
    gpu_temp      Temperature "GPU Core", "GPU Temperature". No fallback: a machine without a
                  GPU temperature has no gpu_temp (never a board or battery temperature).
    gpu_hotspot   Temperature "GPU Hot Spot", "Hot Spot", "GPU Hotspot".
    gpu_load      Load "GPU Core" (the same name also labels a clock and a temperature: the
                  type decides), else "D3D 3D" (what an iGPU offers).
    gpu_mem_load  Load "GPU Memory Controller", OHM "GPU Frame Buffer". ("GPU Memory" load is
                  VRAM occupancy, not controller load: not used.)
    gpu_fan       The GPU's first Fan sensor (RPM; 0 RPM is a real reading: fan stopped).
    vram_used     "GPU Memory Used", else "D3D Dedicated Memory Used" (Data or SmallData).
    vram_total    "GPU Memory Total", else used + "GPU Memory Free".
    ram_used      The first ram-kind node (``/ram``, "Generic Memory", "Total Memory"; never
                  ``/vram`` "Virtual Memory", which has the same sensor names, and never the
                  "Virtual Memory Used" sensors inside old ``/ram`` nodes): "Memory Used",
                  OHM "Used Memory".
    ram_total     ram_used + "Memory Available" / OHM "Available Memory".
    cpu_fan       Board-chip fans only (kind board; Controls are ignored): the first fan whose
                  name starts with "CPU" (in tree order), else the first whose name contains
                  "Pump". Generic names ("Fan #1") are never guessed to be the CPU fan: header
                  numbering differs between chips and boards; use an override.
    sys_fan1/2    The remaining board fans that are neither CPU nor pump fans, in tree order.
    chipset_temp  Board temperature whose name starts with "Chipset" or "PCH".
    sys/data_disk_usage  Load "Used Space" of disk-kind nodes: the first disk in tree order
                  that has it is the system disk, the next one the data disk.
    net_*/disk_read/disk_write are not mapped (psutil provides them); overrides may set them.

Unnamed SuperIO inputs that look plausible (the i3-4160's "Temperature #4-6" at 87-89 °C) are
never mapped, because only named sensors are.

Overrides
    ``overrides[field] = sensor_id`` forces that sensor (first sensor with that id when ids
    repeat), converted to the field's unit and filtered as above (so it may give None); the
    automatic choice is then not used for that field. Ids that match no sensor are listed in
    ``missing_overrides`` and the automatic choice stays. Keys that are not Hardware fields
    and non-string ids are ignored.

``chosen`` maps every field that has a value to the Sensor.id it came from (for overrides:
the forced id, even when its value was unusable). Fields computed from several sensors also
appear in ``derived`` with all their ids; ``chosen`` names the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from nocturne.snapshot import Hardware

from .model import Sensor
from .tree import HardwareNode, Tree
from .units import to_field

__all__ = ["Mapper", "map_tree"]

_HARDWARE_FIELDS = frozenset(f.name for f in fields(Hardware))


def map_tree(tree: Tree, overrides: Mapping[str, str] | None) -> tuple[Mapper, tuple[str, ...]]:
    """Fill the Hardware fields from the walked tree; also the override ids that matched none."""
    by_kind: dict[str, list[HardwareNode]] = {}
    for hw in tree.hardware:
        by_kind.setdefault(hw.kind, []).append(hw)
    cpu = next((hw for hw in by_kind.get("cpu", ()) if hw.sensors), None)
    boards = by_kind.get("board", [])
    m = Mapper()
    _map_cpu(m, cpu, boards)
    _map_gpu(m, _pick_gpu(by_kind.get("gpu", [])))
    _map_ram(m, by_kind.get("ram", []))
    _map_board(m, boards)
    _map_disks(m, by_kind.get("disk", []))
    missing: tuple[str, ...] = ()
    if overrides:
        missing = _apply_overrides(m, tree.sensors, overrides)
    return m, missing


def _index(hw: HardwareNode) -> dict[tuple[str, str], Sensor]:
    """(type, name) → first sensor of that hardware node."""
    idx: dict[tuple[str, str], Sensor] = {}
    for s in hw.sensors:
        idx.setdefault((s.type, s.name), s)
    return idx


_CPU_TEMPS = (
    "Core (Tctl/Tdie)",
    "Core (Tctl)",
    "Core (Tdie)",
    "Tdie",
    "Tctl",
    "CPU Package",
    "Package",
    "Core Max",
    "Core Average",
    "CCDs Max (Tdie)",
    "CCDs Average (Tdie)",
    "CPU CCD Max",
    "CPU CCD Average",
)
_BOARD_CPU_TEMPS = ("CPU", "CPU Core", "CPU Temperature", "CPUTIN")
_CORE_CLOCK_PREFIXES = ("Core #", "CPU Core #", "P-Core #", "E-Core #")


class Mapper:
    """The fields filled so far, and which sensors they came from."""

    __slots__ = ("chosen", "derived", "values")

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.chosen: dict[str, str] = {}
        self.derived: dict[str, tuple[str, ...]] = {}

    def take(self, field_name: str, sensor: Sensor | None) -> bool:
        if sensor is None:
            return False
        v = to_field(sensor, field_name)
        if v is None:
            return False
        self.values[field_name] = v
        self.chosen[field_name] = sensor.id
        return True

    def first(
        self,
        field_name: str,
        idx: dict[tuple[str, str], Sensor],
        types: tuple[str, ...],
        names: tuple[str, ...],
    ) -> Sensor | None:
        """Take the first plausible candidate; return it (or None)."""
        for name in names:
            for t in types:
                s = idx.get((t, name))
                if s is not None and self.take(field_name, s):
                    return s
        return None

    def take_sum(self, field_name: str, parts: list[Sensor]) -> None:
        total = 0.0
        for s in parts:
            v = to_field(s, field_name)
            if v is None:
                return
            total += v
        self.values[field_name] = round(total, 6)  # 10.2 + 21.4 is 31.6, not 31.599999999999998
        self.chosen[field_name] = parts[0].id
        self.derived[field_name] = tuple(s.id for s in parts)


_TEMPERATURE = ("Temperature",)
_LOAD = ("Load",)
_DATA_TYPES = ("SmallData", "Data")


def _map_cpu(m: Mapper, cpu: HardwareNode | None, boards: list[HardwareNode]) -> None:
    if cpu is not None:
        idx = _index(cpu)
        m.first("cpu_temp", idx, _TEMPERATURE, _CPU_TEMPS)
        m.first("cpu_load", idx, _LOAD, ("CPU Total",))
        m.first("cpu_power", idx, ("Power",), ("Package", "CPU Package", "CPU PPT"))
        if m.first("cpu_clock", idx, ("Clock",), ("Cores (Average)",)) is None:
            cores = [
                s
                for s in cpu.sensors
                if s.type == "Clock"
                and s.name.startswith(_CORE_CLOCK_PREFIXES)
                and s.name.rpartition("#")[2].isdigit()
            ]
            vals = [(s, v) for s in cores if (v := to_field(s, "cpu_clock")) is not None]
            if vals:
                m.values["cpu_clock"] = round(sum(v for _, v in vals) / len(vals), 6)
                m.chosen["cpu_clock"] = vals[0][0].id
                m.derived["cpu_clock"] = tuple(s.id for s, _ in vals)
    if "cpu_temp" not in m.values:
        for board in boards:
            idx = _index(board)
            if m.first("cpu_temp", idx, _TEMPERATURE, _BOARD_CPU_TEMPS) is not None:
                return
        for board in boards:
            for s in board.sensors:
                if s.type == "Temperature" and s.name.startswith("CPU") and m.take("cpu_temp", s):
                    return


def _pick_gpu(gpus: list[HardwareNode]) -> HardwareNode | None:
    best: tuple[bool, bool, int] | None = None
    pick = None
    for hw in gpus:
        if not hw.sensors:
            continue
        has_core = any(
            s.name == "GPU Core" and s.type in ("Temperature", "Load") for s in hw.sensors
        )
        key = (hw.integrated, not has_core, hw.order)
        if best is None or key < best:
            best, pick = key, hw
    return pick


def _map_gpu(m: Mapper, gpu: HardwareNode | None) -> None:
    if gpu is None:
        return
    idx = _index(gpu)
    m.first("gpu_temp", idx, _TEMPERATURE, ("GPU Core", "GPU Temperature"))
    m.first("gpu_hotspot", idx, _TEMPERATURE, ("GPU Hot Spot", "Hot Spot", "GPU Hotspot"))
    m.first("gpu_load", idx, _LOAD, ("GPU Core", "D3D 3D"))
    m.first("gpu_mem_load", idx, _LOAD, ("GPU Memory Controller", "GPU Frame Buffer"))
    for s in gpu.sensors:
        if s.type == "Fan" and m.take("gpu_fan", s):
            break
    used = m.first("vram_used", idx, _DATA_TYPES, ("GPU Memory Used", "D3D Dedicated Memory Used"))
    if m.first("vram_total", idx, _DATA_TYPES, ("GPU Memory Total",)) is None and used is not None:
        free = idx.get(("SmallData", "GPU Memory Free")) or idx.get(("Data", "GPU Memory Free"))
        if free is not None and used.name == "GPU Memory Used":
            m.take_sum("vram_total", [used, free])


def _map_ram(m: Mapper, rams: list[HardwareNode]) -> None:
    for hw in rams:
        idx = _index(hw)
        used = m.first("ram_used", idx, ("Data",), ("Memory Used", "Used Memory"))
        if used is None:
            continue
        avail = idx.get(("Data", "Memory Available")) or idx.get(("Data", "Available Memory"))
        if avail is not None:
            m.take_sum("ram_total", [used, avail])
        return


def _map_board(m: Mapper, boards: list[HardwareNode]) -> None:
    fans = [s for hw in boards for s in hw.sensors if s.type == "Fan"]
    cpu_fan = None
    for s in fans:
        if s.name.upper().startswith("CPU") and m.take("cpu_fan", s):
            cpu_fan = s
            break
    if cpu_fan is None:
        for s in fans:
            if "pump" in s.name.lower() and m.take("cpu_fan", s):
                cpu_fan = s
                break
    slots = ["sys_fan1", "sys_fan2"]
    for s in fans:
        if not slots:
            break
        upper = s.name.upper()
        if upper.startswith("CPU") or "PUMP" in upper:
            continue
        if m.take(slots[0], s):
            slots.pop(0)
    for hw in boards:
        for s in hw.sensors:
            if (
                s.type == "Temperature"
                and s.name.upper().startswith(("CHIPSET", "PCH"))
                and m.take("chipset_temp", s)
            ):
                return


def _map_disks(m: Mapper, disks: list[HardwareNode]) -> None:
    slots = ["sys_disk_usage", "data_disk_usage"]
    for hw in disks:
        for s in hw.sensors:
            if s.type == "Load" and s.name == "Used Space":
                if m.take(slots[0], s):
                    slots.pop(0)
                    if not slots:
                        return
                break


def _apply_overrides(
    m: Mapper, sensors: list[Sensor], overrides: Mapping[str, str]
) -> tuple[str, ...]:
    by_id: dict[str, Sensor] = {}
    for s in sensors:
        by_id.setdefault(s.id, s)
    missing: list[str] = []
    for field_name, sid in overrides.items():
        if field_name not in _HARDWARE_FIELDS or type(sid) is not str:
            continue
        sensor = by_id.get(sid)
        if sensor is None:
            if sid not in missing:
                missing.append(sid)
            continue
        m.values.pop(field_name, None)
        m.derived.pop(field_name, None)
        m.chosen[field_name] = sensor.id
        v = to_field(sensor, field_name)
        if v is not None:
            m.values[field_name] = v
    return tuple(missing)
