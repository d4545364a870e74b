"""CPython stand-in for MicroPython's ``gc``, as the firmware's modules see it.

CPython's own ``gc`` is built in, so it cannot be shadowed on ``sys.path`` as ``machine``
is; the loader binds this module as ``gc`` in the firmware's modules instead
(``firmware_loader.firmware_main``). The firmware collects after every line to keep the
board's heap in one piece. In CPython, reference counting has already freed a line's
garbage, and a full pass walks the whole host process: late in a test run that was 0.3 s a
line, and emulated boards on a real-time budget starved. Only the young generation is
collected here.
"""

import gc as _host


def collect():
    _host.collect(0)


enable = _host.enable
disable = _host.disable
isenabled = _host.isenabled
