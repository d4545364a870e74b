"""Config: config.json found, read safely, checked against one table of its keys, and turned
into the typed ``Config`` the rest of the server reads.

``model`` holds the types, where the file lives and ``load_config``; ``keys`` the table (one
row per key); ``checks`` the checks a row uses; ``file`` the safe reading; ``board``,
``exports`` and ``tokens`` the sections with rules of their own (night and idle, MQTT and
web, device tokens)."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
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

__getattr__ = lazy_face(__name__, _FACE)
