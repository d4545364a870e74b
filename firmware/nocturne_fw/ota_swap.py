"""Putting a staged update in place at boot, and taking it back out (issue 23).

boot.py imports this at every reset and drops it from sys.modules afterwards; ota_rx.py
(while an update is received) and ota_trial.py (while a new version proves itself) use its
file helpers. Every step is a rename (atomic on littlefs) or the rewrite of one small
journal file, ``ota_state`` ("<phase> <version> <deadline_s> [reason]"), written to a
temporary name and renamed over, so a power cut at any moment leaves a state the next boot
finishes:

- no journal, ``ota_ready`` present (ota_rx.py wrote it once every staged file checked
  out): the journal says ``swap``, the marker goes, then per file of the staged manifest
  the running file is copied to ``ota_old/`` (through a temporary name: a copy there is
  whole) and the staged one renamed over it, so no file (boot.py above all) is ever
  missing. A rerun skips what moved already: a file still staged is the only one left.
- ``swap`` done: ``tried``. This boot runs the new version, watched by ota_trial.py, which
  writes ``run`` once the app is built, ``late`` when the deadline passed without live
  data, and ``good`` once it drew live data (then both folders and the journal go).
- a boot that finds ``tried``, ``run`` or ``late``: the new version failed (raised at
  import, hung until the watchdog reset it, never reached the server): roll back. First
  ``back``: the files the new version added go (an added file has no copy in ``ota_old/``;
  before any copy comes back that is the only reason for none), then ``back2``: every copy
  in ``ota_old/`` is renamed back over the new file. Then ``ota_result`` says which
  version failed and why (main.py sends it to the server on every connect), and the
  folders and journal go.
- no journal, no marker: leftovers of an interrupted transfer are removed.
"""

import os
import sys

STAGE = "ota_new"
OLD = "ota_old"
READY = "ota_ready"
STATE = "ota_state"
RESULT = "ota_result"
MANIFEST = "ota_new/.manifest"
WDT_MS = 30000  # the app's watchdog (app.WDT_MS): started here for a version on trial

WHY = {
    "tried": "raised before it ran",
    "run": "reset before it reached the server",
    "late": "no live data before the deadline",
}


def path(root, name):
    return root + "/" + name if root else name


def exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


def is_dir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False


def remove(p):
    try:
        os.remove(p)
    except OSError:
        pass


def rmtree(p):
    """Remove the file or folder ``p`` and everything in it (missing: nothing)."""
    if not is_dir(p):
        remove(p)
        return
    for name in os.listdir(p):
        rmtree(p + "/" + name)
    try:
        os.rmdir(p)
    except OSError:
        pass


def mkdirs(p):
    """Every folder of the path ``p`` up to its last part (the file's name)."""
    d = ""
    for part in p.split("/")[:-1]:
        d = d + "/" + part if d or not part else part  # an absolute path keeps its "/"
        if part and not is_dir(d):
            os.mkdir(d)


def write_atomic(p, text):
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, p)


def read_words(p):
    try:
        with open(p) as f:
            return f.read(200).split()
    except OSError:
        return None


def files(root):
    """The relative paths of the staged manifest ("<path> <size> <sha256>" lines)."""
    out = []
    with open(path(root, MANIFEST)) as f:
        for line in f:
            w = line.split()
            if len(w) == 3:
                out.append(w[0])
    return out


def set_state(root, phase, version, deadline, reason=""):
    write_atomic(path(root, STATE), "%s %s %s %s\n" % (phase, version, deadline, reason))


def boot(root=""):
    """Finish what the journal says; return the phase this boot runs in ("tried": a new
    version on trial, start the watchdog; "" otherwise)."""
    st = read_words(path(root, STATE))
    if not st:
        ready = read_words(path(root, READY))
        if not ready or len(ready) < 2 or not exists(path(root, MANIFEST)):
            rmtree(path(root, STAGE))
            rmtree(path(root, OLD))
            remove(path(root, READY))
            return ""
        rmtree(path(root, OLD))
        st = ["swap", ready[0], ready[1]]
        set_state(root, *st)
        remove(path(root, READY))
    phase, version, deadline = st[0], st[1], st[2] if len(st) > 2 else "60"
    if phase == "swap":
        swap(root)
        set_state(root, "tried", version, deadline)
        return "tried"
    if phase == "good":
        clean(root)
        return ""
    if phase in WHY or phase == "back" or phase == "back2":
        reason = " ".join(st[3:]) if phase.startswith("back") else WHY[phase]
        roll_back(root, phase, version, deadline, reason)
        return ""
    clean(root)  # a journal this code does not know: keep what runs
    return ""


def swap(root):
    for rel in files(root):
        new = path(root, STAGE + "/" + rel)
        if not exists(new):
            continue  # moved on an earlier run
        cur = path(root, rel)
        old = path(root, OLD + "/" + rel)
        if exists(cur) and not exists(old):
            mkdirs(old)
            copy(cur, old)
        mkdirs(cur)
        replace(new, cur)  # never a moment without the file (boot.py, main.py...)
    remove(path(root, RESULT))


def copy(src, dst):
    """``src`` to ``dst`` through a temporary name: ``dst`` exists only whole."""
    tmp = dst + ".tmp"
    buf = bytearray(512)
    with open(src, "rb") as a, open(tmp, "wb") as b:
        while True:
            n = a.readinto(buf)
            if not n:
                break
            b.write(buf if n == 512 else memoryview(buf)[:n])
    os.rename(tmp, dst)


def replace(src, dst):
    """Rename over ``dst``: atomic on littlefs (and POSIX); FAT refuses, then remove first."""
    try:
        os.rename(src, dst)
    except OSError:
        remove(dst)
        os.rename(src, dst)


def roll_back(root, phase, version, deadline, reason):
    names = files(root)
    if phase != "back2":
        set_state(root, "back", version, deadline, reason)
        for rel in names:
            if not exists(path(root, OLD + "/" + rel)):
                remove(path(root, rel))  # added by the new version
        set_state(root, "back2", version, deadline, reason)
    for rel in names:
        old = path(root, OLD + "/" + rel)
        if exists(old):
            replace(old, path(root, rel))
    write_atomic(path(root, RESULT), "%s %s\n" % (version, reason))
    clean(root)


def clean(root):
    rmtree(path(root, OLD))
    rmtree(path(root, STAGE))
    remove(path(root, READY))
    remove(path(root, STATE))


def mark(root, phase):
    """The trial's progress (ota_trial.py): "run", "late" or "good" (good: cleaned up)."""
    st = read_words(path(root, STATE))
    if not st or len(st) < 3:
        return
    set_state(root, phase, st[1], st[2])
    if phase == "good":
        clean(root)


def forget():
    """Let go of the update's modules (ota_trial, ota_swap, ota_rx) and their names."""
    mods = sys.modules
    pkg = mods.get("nocturne_fw")
    for name in ("ota_trial", "ota_swap", "ota_rx"):
        mods.pop("nocturne_fw." + name, None)
        if pkg is not None and name in pkg.__dict__:
            del pkg.__dict__[name]
