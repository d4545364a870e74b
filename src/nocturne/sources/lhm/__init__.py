"""LibreHardwareMonitor / OpenHardwareMonitor source: ``data.json`` → ``Hardware``.

``model`` holds the types, ``parser`` the pure parsing and mapping (``parse_data_json``).
"""
