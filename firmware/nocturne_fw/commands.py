"""Commands from the PC (Home Assistant through the server): ``gs``, ``so``, ``cn``.

The server puts them on a board's next line after one arrives (PROTOCOL.md, "Commands and
several PCs"):

- ``gs`` int: show scene N now (one shot; the carousel goes on from there);
- ``so`` int 1/0: screen on / off. Off is the menu's SCREEN OFF (display dark, LED
  breathing), held until ``so`` 1 or a button press: an alert does not light it up;
- ``cn`` int 0..255: display contrast (like the menu's, not saved by itself).

A State part (``State.parts``): a command is taken only from a line State applies, so the
feed stays whole-or-nothing; a bad value (wrong type, out of range) is ignored and never
refuses the line. The app applies what was taken once per new line (``apply``).
"""

from nocturne_fw.scene_ids import COUNT, CUSTOM_1

NONE = -1  # no command waiting
_KEYS = ("gs", "so", "cn")
_MOST = (COUNT - 1, 1, 255)


class Commands:
    def __init__(self):
        self.cmd = [NONE, NONE, NONE]  # gs, so, cn waiting to be applied
        self.held_off = False  # the screen is off by a command: only so 1 or a press wakes it

    # -- State part: swap runs only for a line State applies whole --

    def valid(self, obj):
        return True  # bad values are ignored, never a reason to refuse the line

    def prepare(self, obj):
        pass

    def swap(self, obj):
        """Keep the line's commands until the app applies them (a later value wins)."""
        for i in range(3):
            x = obj.get(_KEYS[i])
            if type(x) is int and 0 <= x <= _MOST[i]:  # bool is not an int here
                self.cmd[i] = x

    # -- the app --

    def apply(self, app):
        """Carry out the waiting commands on ``app`` (an App), then forget them."""
        gs, so, cn = self.cmd
        if cn != NONE:
            app.settings.contrast = cn
            if not app.off:
                app.oled.contrast(cn)
        if so == 0:
            if not app.off:
                app.sleep()
            self.held_off = True
        elif so == 1 and app.off:
            app.wake()  # clears held_off
        if gs != NONE:
            app.set_scene(gs)
        self.cmd[0] = self.cmd[1] = self.cmd[2] = NONE


# The user's scenes until one is defined (a State part standing for custom_scene.py, whose
# ~5 KB of tables and drawing a board whose PC defines none never loads): the first xs
# that defines one is kept until the next line, then CustomScenes takes the gate's place.
class CustomGate:
    n = 0  # scenes defined

    def __init__(self, app):
        self.app = app
        self.pending = None  # the last line's xs, applied as the next line comes

    def defined(self, scene):
        return False

    def gone(self, scene):
        return scene >= CUSTOM_1 and self.pending is None

    def flashing(self, scene):
        return False

    def valid(self, obj):
        return True

    def prepare(self, obj):
        xs = self.pending  # the last line's xs: it applies now, as custom_scene's do
        self.pending = None
        if not xs:  # none, or [] (no scene: nothing to load)
            xs = obj.get("xs")
            if type(xs) is list:
                self.pending = xs
            return
        from nocturne_fw.custom_scene import CustomScenes

        scenes = CustomScenes()
        scenes.pending = xs
        parts = self.app.state.parts
        parts[parts.index(self)] = scenes
        self.app.custom = scenes
        scenes.prepare(obj)

    def swap(self, obj):
        pass
