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

DEFAULTS = {
    "carousel": True,
    "interval": 10,
    "contrast": 255,
    "flip": False,
    "led": True,
    "scene": 0,
}


def _ok(key, v):
    if key == "interval":
        return type(v) is int and v in INTERVALS
    if key == "contrast":
        return type(v) is int and 0 <= v <= 255
    if key == "scene":
        return type(v) is int and 0 <= v < 64
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

    def toggle(self, key):
        setattr(self, key, not getattr(self, key))
        self.dirty = True
