# Runs before main.py at every reset. Keep it tiny: a crash here needs a reflash
# or mpremote to fix. Silence the ESP-IDF log on the USB console.
try:
    import esp

    esp.osdebug(None)
except ImportError:
    pass
