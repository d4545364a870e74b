"""Commands from the PC (Home Assistant through the server): ``gs``, ``so``, ``cn``.

The server puts them on a board's next line after one arrives (PROTOCOL.md, "Commands"):

- ``gs`` int: show scene N now (one shot; the carousel goes on from there);
- ``so`` int 1/0: screen on / off. Off is the menu's SCREEN OFF (display dark, LED
  breathing), held until ``so`` 1 or a button press: an alert does not light it up;
- ``cn`` int 0..255: display contrast (like the menu's, not saved by itself).

A State part (``State.parts``): a command is taken only from a line State applies, so the
feed stays whole-or-nothing; a bad value (wrong type, out of range) is ignored and never
refuses the line. The app applies what was taken once per new line (``apply``).
"""

from nocturne_fw.scene_ids import COUNT

NONE = -1  # no command waiting


def _int(x, most):
    """``x`` as a command value 0..most, or NONE. bool is not an int here."""
    if type(x) is int and 0 <= x <= most:
        return x
    return NONE


class Commands:
    def __init__(self):
        self.gs = NONE  # scene to show
        self.so = NONE  # 1 on, 0 off
        self.cn = NONE  # contrast
        self.held_off = False  # the screen is off by a command: only so 1 or a press wakes it
        self.taken = 0  # commands taken from lines so far

    # -- State part: the line is already whole and valid when swap runs --

    def valid(self, obj):
        return True  # bad values are ignored, not a reason to refuse the line

    def prepare(self, obj):
        pass

    def swap(self, obj):
        """Keep the line's commands until the app applies them (a second line before that
        adds to them; a later value wins)."""
        gs = _int(obj.get("gs"), COUNT - 1)
        so = _int(obj.get("so"), 1)
        cn = _int(obj.get("cn"), 255)
        if gs != NONE:
            self.gs = gs
            self.taken += 1
        if so != NONE:
            self.so = so
            self.taken += 1
        if cn != NONE:
            self.cn = cn
            self.taken += 1

    # -- the app --

    def apply(self, app):
        """Carry out the waiting commands on ``app`` (an App), then forget them."""
        if self.cn != NONE:
            app.settings.contrast = self.cn
            if not app.off:
                app.oled.contrast(self.cn)
            self.cn = NONE
        if self.so == 0:
            if not app.off:
                app.sleep()
            self.held_off = True
        elif self.so == 1 and app.off:
            app.wake()  # clears held_off
        self.so = NONE
        if self.gs != NONE:
            app.set_scene(self.gs)
            self.gs = NONE
