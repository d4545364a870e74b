"""MQTT: the Snapshot to a broker and what comes back from it.

``client`` publishes (and runs on ``loop``: the server's event loop or one of its own);
``ha_discovery`` announces every reading to Home Assistant; ``commands`` turns Home
Assistant's display entities into commands for the boards; ``pcs`` reads the other PCs'
states for the boards' PCS scene."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
_FACE = {
    "MqttExporter": "client",
    "Node": "ha_discovery",
    "discovery_messages": "ha_discovery",
    "CommandRouter": "commands",
    "command_messages": "commands",
    "PcsAggregator": "pcs",
}
__all__ = sorted(_FACE)


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
