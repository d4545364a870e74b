# Runs before main.py at every reset. Keep it tiny: a crash here needs a reflash
# or mpremote to fix. Silence the ESP-IDF log on the USB console.
try:
    import esp

    esp.osdebug(None)
except ImportError:
    pass

# An update (issue 23): put a staged version in place, or take a failed one back out
# (nocturne_fw/ota_swap.py; its journal survives a power cut at any point). A version on
# trial runs under the watchdog from here on: one that raises at import or hangs resets,
# and the next boot rolls it back. The modules are let go of before main.py runs.
try:
    from nocturne_fw import ota_swap

    if ota_swap.boot() == "tried":
        import machine

        machine.WDT(timeout=ota_swap.WDT_MS)
    ota_swap.fs.forget()
    del ota_swap
except Exception as e:  # never keep the board from booting what it has
    print("update:", repr(e))
import gc

gc.collect()  # its garbage gone before main.py compiles (a fragmented heap cannot boot)
