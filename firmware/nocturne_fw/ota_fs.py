"""The update's files on the board's filesystem (issue 23): the names, the small helpers,
the journal (ota_swap.py says what its phases mean) and letting go of the update's modules.

Imported by ota_rx.py while an update is received, by ota_trial.py while a new version is
on trial and by ota_swap.py at boot; each lets go of it when done (``forget``).
"""

import os
import sys

STAGE = "ota_new"
OLD = "ota_old"
READY = "ota_ready"
STATE = "ota_state"
RESULT = "ota_result"
MANIFEST = "ota_new/.manifest"


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


def set_state(root, phase, version, deadline, reason=""):
    write_atomic(path(root, STATE), "%s %s %s %s\n" % (phase, version, deadline, reason))


def clean(root):
    """The update is over: the marker and the journal go first, so a power cut while the
    folders go leaves only leftovers, which the next boot removes (the folders first, a
    journal left naming a manifest already gone, found by bench_ota.py --cuts)."""
    remove(path(root, READY))
    remove(path(root, STATE))
    rmtree(path(root, OLD))
    rmtree(path(root, STAGE))


def mark(root, phase):
    """The trial's progress (ota_trial.py): "run", "late" or "good" (good: cleaned up)."""
    st = read_words(path(root, STATE))
    if not st or len(st) < 3:
        return
    set_state(root, phase, st[1], st[2])
    if phase == "good":
        clean(root)


def forget():
    """Let go of the update's modules (ota_trial, ota_swap, ota_rx, this one) and their
    names in the package."""
    mods = sys.modules
    pkg = mods.get("nocturne_fw")
    for name in ("ota_trial", "ota_swap", "ota_rx", "ota_fs"):
        mods.pop("nocturne_fw." + name, None)
        if pkg is not None and name in pkg.__dict__:
            del pkg.__dict__[name]
