"""What a boot needs of the updates (issue 23), imported by main.py once the app is built
and dropped again unless a new version is on trial.

``setup`` adds to the link's HELO what the server hears on every connect: ``ota:ready
<nonce> <mpy>`` from a paired board (it can take an update; the nonce, fresh at each boot,
goes first into the manifest's HMAC, so a recorded update cannot be replayed to a later
boot; ``<mpy>``, ``sys.implementation._mpy``, the ``.mpy`` version the server compiles the
update's modules for: absent where there is none, and the server sends source),
and ``ota:rolledback <version> <why>`` while ``ota_result`` says an update was taken back.

On trial (boot.py swapped a new version in: the journal says ``tried``), a ``Trial`` wraps
the link's poll: once the app is built the journal says ``run``; once a line was applied
and a frame drawn after it (or the panel is dark: nothing to draw) the version is good
(ota_fs.mark cleans up); when the deadline passes first, the journal says ``late`` and
the board resets, and boot.py rolls back.
"""

import os
import sys
from binascii import hexlify

from nocturne_fw import ota_fs as sw
from nocturne_fw.clock import ticks_diff

_MAX_RESULT = 120


def setup(app, link, token, root):
    """The HELO additions, the trial's watch; this boot's nonce (None: not paired)."""
    try:  # first: the server knows what this board rolled back before it offers anything
        with open(sw.path(root, sw.RESULT), "rb") as f:
            result = f.read(_MAX_RESULT).strip()
        if result:
            link.helo += b"ota:rolledback " + result.replace(b"\n", b" ") + b"\n"
    except OSError:
        pass
    nonce = None
    if token:
        nonce = hexlify(os.urandom(8))
        mpy = getattr(sys.implementation, "_mpy", None)
        said = b" " + str(mpy).encode() if mpy else b""
        link.helo += b"ota:ready " + nonce + said + b"\n"
    st = sw.read_words(sw.path(root, sw.STATE))
    if st and len(st) >= 3 and st[0] == "tried":
        Trial(app, root, int(st[2]))
    else:
        sw.forget()
    return nonce


class Trial:
    def __init__(self, app, root, deadline_s):
        self.app = app
        self.root = root
        self.link = app.link
        self.poll = app.link.poll  # the link's own
        self.t0 = app.ticks_ms()
        self.ms = deadline_s * 1000
        self.frames = -1  # frames drawn when live data was first applied
        self.link.poll = self.tick
        sw.mark(root, "run")

    def tick(self, now):
        self.poll(now)
        app = self.app
        if app.serial:
            if self.frames < 0:
                self.frames = app.frames
            elif app.frames > self.frames or app.off or app.desk.dark:
                self._end("good")
                return
        if ticks_diff(now, self.t0) > self.ms:
            self._end("late")
            if app.reset is not None:
                app.reset()

    def _end(self, phase):
        self.link.poll = self.poll
        sw.mark(self.root, phase)
        sw.forget()
