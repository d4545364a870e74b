"""Run the NOCTURNE_OS firmware in CPython.

``shims/`` holds top-level stand-ins for MicroPython's ``framebuf``, ``machine``,
``network`` and ``micropython`` modules; put it on ``sys.path`` (together with
``firmware/``) and the firmware imports them unchanged. ``ssd1306_virtual``
decodes the I2C bytes the firmware's SSD1306 driver sends into a picture.

``device.Device`` is one board (``realtime.Emulator`` ticks several in real time);
``mp_runtime.MpDevice`` is one under the MicroPython unix port, and ``board.Board`` what
both offer the CLI and the views;
``firmware_loader`` finds and imports the firmware, ``secrets_file`` makes a board's
secrets, ``lwip_socket`` is its network stack, ``glass_text`` reads text off its panel.
"""
