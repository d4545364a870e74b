"""Scene and system-screen ids.

A scene id is what the board reports as ``screen:N`` and what settings.json stores, so the
numbers are part of the wire and never change; they are written once, on the host
(nocturne.wire.scene_ids), and reach the board through wire_tables.py. System screens are
the board's own: not in the carousel, their ids sit far above the scenes.
"""

from micropython import const

# The scenes, written by the host's tools/make_wire_tables.py.
from nocturne_fw.wire_tables import (  # noqa: F401 (this module is where the firmware reads them)
    ATMOS,
    COUNT,
    CPU,
    CPU_LOAD,
    CUSTOM_1,
    DISKS,
    FANS,
    GPU,
    GPU_LOAD,
    HUB,
    MEDIA,
    NAMES,
    NET,
    NET_GRAPH,
    PCS,
    PROCESSES,
    RAM,
    WITH_PROCESSES,
)

SYS_BOOT = const(100)
SYS_CONNECT = const(101)
SYS_NO_WIFI = const(102)
SYS_LOST = const(103)
SYS_SECRETS = const(104)
SYS_MENU = const(105)
SYS_OFF = const(106)
SYS_CLOCK = const(107)  # the time, the date, the last weather: the PC is away (desk.py)
SYS_SEARCH = const(110)  # looking for the PC on the LAN (discovery.py)
SYS_FOUND = const(111)  # a search found it: its name, for a moment

# What the emulator's status line and the tests call each system screen.
SYS_NAMES = {
    SYS_BOOT: "BOOT",
    SYS_CONNECT: "CONNECTING",
    SYS_NO_WIFI: "NO WIFI",
    SYS_LOST: "SIGNAL LOST",
    SYS_SECRETS: "NO SECRETS",
    SYS_MENU: "MENU",
    SYS_OFF: "SCREEN OFF",
    SYS_CLOCK: "CLOCK",
    SYS_SEARCH: "SEARCHING FOR PC",
    SYS_FOUND: "FOUND",
}

# What the wire's target_screen names -> the scene an alert jumps to.
ALERT_TARGETS = {"CPU": CPU, "GPU": GPU}
