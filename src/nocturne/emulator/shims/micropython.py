"""CPython stand-in for MicroPython's ``micropython`` module.

``const`` is the identity (on the board it folds the value at compile time);
the memory and scheduling helpers are no-ops or run at once; the code-emitter
decorators (``native``, ``viper``) return the function unchanged.
"""


def const(value):
    return value


def opt_level(level=None):
    return 0 if level is None else None


def mem_info(verbose=None):
    return None


def qstr_info(verbose=None):
    return None


def stack_use():
    return 0


def heap_lock():
    return 0


def heap_unlock():
    return 0


def alloc_emergency_exception_buf(size):
    return None


def kbd_intr(chr):
    return None


def schedule(func, arg):
    """Run ``func(arg)`` now: CPython has no hard interrupts to defer from."""
    func(arg)


def native(func):
    return func


def viper(func):
    return func
