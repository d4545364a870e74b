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
  Then the module's other kind (``x.py`` beside a new ``x.mpy`` or the reverse: MicroPython
  imports ``x.py`` first, so a stale source would shadow new bytecode) moves to
  ``ota_old/``, after the new one is in place: a module (ota_swap itself) is never gone.
- ``swap`` done: ``tried``. This boot runs the new version, watched by ota_trial.py, which
  writes ``run`` once the app is built, ``late`` when the deadline passed without live
  data, and ``good`` once it drew live data (then both folders and the journal go).
- a boot that finds ``tried``, ``run`` or ``late``: the new version failed (raised at
  import, hung until the watchdog reset it, never reached the server): roll back. First
  ``back``: the files the new version added go (an added file has no copy in ``ota_old/``;
  before any copy comes back that is the only reason for none; a module of the other kind
  it displaced comes back before it goes), then ``back2``: every copy in ``ota_old/`` is
  renamed back over the new file. Then ``ota_result`` says which
  version failed and why (main.py sends it to the server on every connect), and the
  folders and journal go.
- no journal, no marker: leftovers of an interrupted transfer are removed.
"""

import os

from nocturne_fw import ota_fs as fs

WDT_MS = 30000  # the app's watchdog (app.WDT_MS): started here for a version on trial
WHY = {
    "tried": "did not start (raised or hung at import)",
    "run": "reset before it reached the server",
    "late": "no live data before the deadline",
}


def files(root):
    """The relative paths of the staged manifest ("<path> <size> <sha256>" lines)."""
    out = []
    with open(fs.path(root, fs.MANIFEST)) as f:
        for line in f:
            w = line.split()
            if len(w) == 3:
                out.append(w[0])
    return out


def other(rel):
    """The module's name of the other kind (``x.mpy`` for ``x.py`` and the reverse); None
    for main.py, boot.py (run by name, always source) and files that are no module."""
    if rel == "main.py" or rel == "boot.py":
        return None
    if rel.endswith(".mpy"):
        return rel[:-4] + ".py"
    if rel.endswith(".py"):
        return rel[:-3] + ".mpy"
    return None


def boot(root=""):
    """Finish what the journal says; return the phase this boot runs in ("tried": a new
    version on trial, start the watchdog; "" otherwise)."""
    st = fs.read_words(fs.path(root, fs.STATE))
    if not st:
        ready = fs.read_words(fs.path(root, fs.READY))
        if not ready or len(ready) < 2 or not fs.exists(fs.path(root, fs.MANIFEST)):
            fs.rmtree(fs.path(root, fs.STAGE))
            fs.rmtree(fs.path(root, fs.OLD))
            fs.remove(fs.path(root, fs.READY))
            return ""
        fs.rmtree(fs.path(root, fs.OLD))
        st = ["swap", ready[0], ready[1]]
        fs.set_state(root, *st)
        fs.remove(fs.path(root, fs.READY))
    phase, version, deadline = st[0], st[1], st[2] if len(st) > 2 else "60"
    if phase == "swap":
        swap(root)
        fs.set_state(root, "tried", version, deadline)
        return "tried"
    if phase == "good":
        fs.clean(root)
        return ""
    if phase in WHY or phase == "back" or phase == "back2":
        reason = " ".join(st[3:]) if phase.startswith("back") else WHY[phase]
        roll_back(root, phase, version, deadline, reason)
        return ""
    fs.clean(root)  # a journal this code does not know: keep what runs
    return ""


def swap(root):
    for rel in files(root):
        new = fs.path(root, fs.STAGE + "/" + rel)
        if not fs.exists(new):
            continue  # moved on an earlier run
        cur = fs.path(root, rel)
        old = fs.path(root, fs.OLD + "/" + rel)
        if fs.exists(cur) and not fs.exists(old):
            fs.mkdirs(old)
            copy(cur, old)
        fs.mkdirs(cur)
        replace(new, cur)  # never a moment without the file (boot.py, main.py...)
    for rel in files(root):
        o = other(rel)
        if o and fs.exists(fs.path(root, o)):
            stale = fs.path(root, o)
            kept = fs.path(root, fs.OLD + "/" + o)
            if fs.exists(kept):
                fs.remove(stale)
            else:
                fs.mkdirs(kept)
                os.rename(stale, kept)
    fs.remove(fs.path(root, fs.RESULT))


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
        fs.remove(dst)
        os.rename(src, dst)


def roll_back(root, phase, version, deadline, reason):
    names = files(root)
    if phase != "back2":
        fs.set_state(root, "back", version, deadline, reason)
        for rel in names:
            if not fs.exists(fs.path(root, fs.OLD + "/" + rel)):
                restore(root, other(rel))  # the module it displaced first: never neither
                fs.remove(fs.path(root, rel))  # added by the new version
        fs.set_state(root, "back2", version, deadline, reason)
    for rel in names:
        restore(root, rel)
        restore(root, other(rel))
    fs.write_atomic(fs.path(root, fs.RESULT), "%s %s\n" % (version, reason))
    fs.clean(root)


def restore(root, rel):
    if rel:
        old = fs.path(root, fs.OLD + "/" + rel)
        if fs.exists(old):
            replace(old, fs.path(root, rel))
