"""NOCTURNE_OS: PC hardware monitor streaming to an ESP32 OLED."""

__version__ = "0.1.0"
