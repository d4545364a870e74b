"""Config: config.json found, read safely, checked against one table of its keys, and turned
into the typed ``Config`` the rest of the server reads.

``model`` holds the types, where the file lives and ``load_config``; ``keys`` the table (one
row per key); ``checks`` the checks a row uses; ``file`` the safe reading; ``board``,
``exports`` and ``tokens`` the sections with rules of their own (night and idle, MQTT and
web, device tokens)."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
_FACE = {
    "Config": "model",
    "Limits": "model",
    "LoadedConfig": "model",
    "load_config": "model",
    "config_from_mapping": "model",
    "default_config_path": "model",
    "configured_port": "model",
    "ConfigError": "file",
    "MqttSettings": "exports",
    "WebSettings": "exports",
    "CONFIG_ROWS": "model",
}
__all__ = sorted(_FACE)


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
