"""Devices: the boards' TCP server, their connections, pairing and discovery."""
