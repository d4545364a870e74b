"""Scene and system-screen ids: the one place their numbers are written.

A scene id is what the board reports as ``screen:N`` and what settings.json stores, so the
numbers are part of the wire (the original firmware uses the same order) and never change.
System screens are not in the carousel; their ids sit far above the scenes.
"""

from micropython import const

HUB = const(0)
CPU = const(1)
CPU_LOAD = const(2)
GPU = const(3)
GPU_LOAD = const(4)
RAM = const(5)
NET = const(6)
NET_GRAPH = const(7)
ATMOS = const(8)
MEDIA = const(9)
PROCESSES = const(10)
FANS = const(11)
DISKS = const(12)
PCS = const(13)  # the PCs seen over MQTT (issue 14)
COUNT = const(14)

# Index = scene id; the header shows these.
NAMES = (
    "HUB",
    "CPU",
    "CPU LOAD",
    "GPU",
    "GPU LOAD",
    "RAM",
    "NET",
    "NET GRAPH",
    "ATMOS",
    "MEDIA",
    "PROCESSES",
    "FANS",
    "DISKS",
    "PCS",
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

# Scenes that draw the server's process lists (tp/tr): the server scans processes only
# while a board shows one of these.
WITH_PROCESSES = (CPU, RAM, PROCESSES)

# What the wire's target_screen names -> the scene an alert jumps to.
ALERT_TARGETS = {"CPU": CPU, "GPU": GPU}
