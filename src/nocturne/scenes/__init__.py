"""The custom scenes as people see them (issue 24): each one drawn by the firmware's own code
on an emulated board that never connects (``render``), listed and rendered to PNG by
``nocturne scenes`` (``cli``) and by the dashboard's editor (web/scenes_api.py)."""
