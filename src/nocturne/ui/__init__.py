"""UI: the command line, the tray, the doctor, autostart and the server thread."""
