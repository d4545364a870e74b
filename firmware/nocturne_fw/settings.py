"""Persisted user settings: a small JSON file on the board's filesystem.

A missing or corrupt file, or a bad value in it, gives the default for that
setting and never raises. ``save()`` writes a temporary file and renames it
over the old one, so a power cut mid-write leaves the old file (littlefs and
FAT renames are atomic for a single directory entry).
"""

import json
import os

PATH = "settings.json"

INTERVALS = (5, 10, 15)  # carousel seconds per scene
CONTRASTS = (16, 96, 255)  # SSD1306 contrast register 0x81 values: low, mid, high
CONTRAST_NAMES = ("LOW", "MID", "HIGH")
# Night schedule modes (settings "night_m"); the wire's ngt "m" names 1..3.
NIGHT_NONE = 0
NIGHT_DIM = 1
NIGHT_CLOCK = 2
NIGHT_OFF = 3
NIGHT_WIRE = ("", "dim", "clock", "off")

DEFAULTS = {
    "carousel": True,
    "interval": 10,
    "contrast": 255,
    "flip": False,
    "led": True,
    "scene": 0,
    "clock_after": 10,  # s that SIGNAL LOST shows before CLOCK takes over
    "night_s": 1380,  # night schedule: start and end minute of the day (23:00-07:00) ...
    "night_e": 420,
    "night_m": NIGHT_NONE,  # ... and what it does (NIGHT_*): none until chosen or sent
    "idle_dim": 0,  # s the PC's user is idle (uid) before the panel dims; 0 = never
    "idle_blank": 0,  # ... and before it blanks (both from the server's idm)
}


def _ok(key, v):
    if key == "interval":
        return type(v) is int and v in INTERVALS
    if key == "contrast":
        return type(v) is int and 0 <= v <= 255
    if key == "scene":
        return type(v) is int and 0 <= v < 64
    if key == "clock_after":
        return type(v) is int and 0 <= v <= 3600
    if key == "night_s" or key == "night_e":
        return type(v) is int and 0 <= v < 1440
    if key == "idle_dim" or key == "idle_blank":
        return type(v) is int and 0 <= v <= 2592000
    if key == "night_m":
        return type(v) is int and 0 <= v < len(NIGHT_WIRE)
    return v is True or v is False


class Settings:
    def __init__(self, path=PATH):
        self.path = path
        self.carousel = DEFAULTS["carousel"]
        self.interval = DEFAULTS["interval"]
        self.contrast = DEFAULTS["contrast"]
        self.flip = DEFAULTS["flip"]
        self.led = DEFAULTS["led"]
        self.scene = DEFAULTS["scene"]
        self.clock_after = DEFAULTS["clock_after"]
        self.night_s = DEFAULTS["night_s"]
        self.night_e = DEFAULTS["night_e"]
        self.night_m = DEFAULTS["night_m"]
        self.idle_dim = DEFAULTS["idle_dim"]
        self.idle_blank = DEFAULTS["idle_blank"]
        self.dirty = False

    def load(self):
        """Read the file; return True if it was read cleanly. Never raises."""
        try:
            with open(self.path) as f:
                d = json.loads(f.read(1024))
        except Exception:  # missing (OSError), corrupt (ValueError), ...
            return False
        if type(d) is not dict:
            return False
        clean = True
        for key in DEFAULTS:
            v = d.get(key, DEFAULTS[key])
            if not _ok(key, v):
                v = DEFAULTS[key]
                clean = False
            setattr(self, key, v)
        self.dirty = False
        return clean

    def as_dict(self):
        d = {}
        for key in DEFAULTS:
            d[key] = getattr(self, key)
        return d

    def save(self):
        """Write atomically (temp file + rename). Return False on a filesystem error."""
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(json.dumps(self.as_dict()))
            os.rename(tmp, self.path)
        except OSError:
            return False
        self.dirty = False
        return True

    # -- menu actions -----------------------------------------------------------

    def next_interval(self):
        i = INTERVALS.index(self.interval) if self.interval in INTERVALS else 0
        self.interval = INTERVALS[(i + 1) % len(INTERVALS)]
        self.dirty = True

    def contrast_level(self):
        """Index into CONTRASTS of the nearest level."""
        best = 0
        for i in range(len(CONTRASTS)):
            if abs(CONTRASTS[i] - self.contrast) < abs(CONTRASTS[best] - self.contrast):
                best = i
        return best

    def next_contrast(self):
        self.contrast = CONTRASTS[(self.contrast_level() + 1) % len(CONTRASTS)]
        self.dirty = True

    def next_night(self):
        self.night_m = (self.night_m + 1) % len(NIGHT_WIRE)
        self.dirty = True

    def set_night(self, start, end, mode):
        """The schedule the server sent (ngt); saved at once when it changed."""
        if (start, end, mode) != (self.night_s, self.night_e, self.night_m):
            self.night_s = start
            self.night_e = end
            self.night_m = mode
            self.save()

    def set_idle(self, dim, blank):
        """The idle thresholds the server sent (idm); saved at once when they changed."""
        if dim != self.idle_dim or blank != self.idle_blank:
            self.idle_dim = dim
            self.idle_blank = blank
            self.save()

    def toggle(self, key):
        setattr(self, key, not getattr(self, key))
        self.dirty = True
