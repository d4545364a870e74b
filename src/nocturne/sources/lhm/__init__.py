"""LibreHardwareMonitor / OpenHardwareMonitor source: ``data.json`` → ``Hardware``.

``model`` holds the types, ``parser`` the entry points (``parse_data_json``) over ``values``
(reading "54,1 °C"), ``kinds`` and ``tree`` (the node tree → sensors), ``units`` and
``mapping`` (sensors → Hardware fields); ``client`` is the HTTP source.
"""
