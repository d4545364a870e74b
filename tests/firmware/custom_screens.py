"""Fixed inputs for the custom scenes (issue 24), rendered like screens.py's screens.

A module apart from screens.py: the heap budget's session loads screens.py on MicroPython,
and these fixtures would count against the board's heap. Runs unchanged on CPython (golden
PNGs, tools/render_screens.py) and on real MicroPython (the WebAssembly parity test).

One golden per layout and per case: labels as long as the wire allows (10 characters),
values unknown (null, a string: the wrong type, or missing from a short ``xv``), extreme
(compact K/M/G, fewer decimals) and at their warn (a tag) and critical (a lit box: drawn in
its lit half) limits.
"""

from nocturne_fw import scene_ids as ids
from screens import make, render_scene

_SLOT = '["%s","%s",%d,%s,%s]'
XS_ROWS = (
    '["MINE","rows",['
    + ",".join(
        _SLOT % s
        for s in (
            ("E-CORE 1", "MHz", 0, "null", "null"),
            ("CCD1 TEMP", "\u00b0C", 1, "80", "95"),
            ("NVME WRITE", "MB/s", 2, "null", "null"),
            ("PUMP", "RPM", 0, "null", "500"),
            ("DELTA", "\u00b0C", 1, "null", "null"),
            ("WATER", "\u00b0C", 1, "40", "null"),
        )
    )
    + "]]"
)
XS_LAYOUTS = {
    "rows": XS_ROWS,
    "big": '["BIG","big",[["HOT SPOT","\u00b0C",1,90,100]]]',
    "two": '["TWO","two",[["PACKAGE W","W",1,null,null],["NET DOWN","KB/s",2,null,null]]]',
    "grid": (
        '["QUAD","grid",[["CORE MAX","\u00b0C",0,80,90],["SSD LIFE","%",0,null,null],'
        '["FAN CHASSI","RPM",0,null,null],["VCORE","V",2,1.4,1.5]]]'
    ),
    "graph": '["WATTS","graph",[["GPU POWER","W",0,300,400]]]',
}


def custom_line(xs, xv):
    return '{"pv":2,"xs":[%s],"xv":%s}' % (xs, xv)  # noqa: UP031


def fill_history(app, s=0):
    """Scene ``s``'s graph: a slow wave, a gap (unknown), a burst past the scale."""
    g = app.custom.graphs[s]
    for i in range(126):
        g.push(None if 60 <= i < 66 else 150 + (i * 37) % 120 + (300 if i % 40 == 7 else 0))


def make_custom(xs, xv):
    """A board that got ``xs`` and then ``xv`` (an xs applies as the next line comes)."""
    app = make(custom_line(xs, "[]"))
    assert app.state.feed('{"pv":2,"xv":%s}' % xv)  # noqa: UP031
    app._new_data()
    return app


def custom(layout, xv, history=False):
    def f():
        app = make_custom(XS_LAYOUTS[layout], xv)
        if history:
            fill_history(app)
        return render_scene(app, ids.CUSTOM_1)

    return f


SCREENS = (
    ("scene_14_custom_big", custom("big", "[97.25]")),
    ("scene_14_custom_big_unknown", custom("big", "[null]")),
    ("scene_14_custom_big_extreme", custom("big", "[-123456789.5]")),
    ("scene_14_custom_two", custom("two", "[142.36,98765.43]")),
    ("scene_14_custom_two_unknown", custom("two", '["hot",null]')),
    ("scene_14_custom_grid", custom("grid", "[91,99,123456,1.42]")),
    ("scene_14_custom_grid_unknown", custom("grid", "[null,true]")),
    ("scene_14_custom_rows", custom("rows", "[4650,96.04,12345.678,420,-12.3,41.5]")),
    ("scene_14_custom_rows_extreme", custom("rows", "[999999999,-99999.99,0.004,null,1e8,-0.04]")),
    ("scene_14_custom_graph", custom("graph", "[312]", True)),
    ("scene_14_custom_graph_unknown", custom("graph", "[]")),
)
NAMES = [n for n, _ in SCREENS]


def render(name):
    for n, f in SCREENS:
        if n == name:
            return bytes(f())
    raise KeyError(name)


# The most a board holds (the heap budget, the first draws): 4 scenes of 6 slots each (rows,
# grid, two, graph: a board keeps the slots a layout shows and a graph's history), every
# label as long as the wire allows and different, 6 units, limits on every slot, every value
# known (the first scene's under its limits, the others' at their critical ones).
_UNITS = ("MHz", "\u00b0C", "RPM", "KB/s", "W", "%")


def _xs4(layouts):
    scenes = []
    for k in range(4):
        slots = []
        for j in range(6):
            slot = '["LABEL %d.%d ","%s",%d,%d.5,%d]' % (k, j, _UNITS[j], j % 3, 50 + j, 90 + j)  # noqa: UP031
            slots.append(slot)
        scenes.append('["CUSTOM %d","%s",[%s]]' % (k + 1, layouts[k], ",".join(slots)))  # noqa: UP031
    return "[" + ",".join(scenes) + "]"


XS4 = _xs4(("rows", "grid", "two", "graph"))
XV4 = "[%s]" % ",".join("%d.%d" % (1000 * k + 7 * j, j) for k in range(4) for j in range(6))  # noqa: UP031


def with_custom(line, xs=True, scenes=XS4):
    """``line`` (a JSON object with keys) with XV4, and ``scenes`` (XS4) unless ``xs`` is
    False."""
    return line[:-1] + (',"xs":' + scenes if xs else "") + ',"xv":' + XV4 + "}"
