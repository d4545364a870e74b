"""MQTT: the Snapshot to a broker and what comes back from it.

``client`` publishes (and runs on ``loop``: the server's event loop or one of its own);
``ha_discovery`` announces every reading to Home Assistant; ``commands`` turns Home
Assistant's display entities into commands for the boards; ``pcs`` reads the other PCs'
states for the boards' PCS scene."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
_FACE = {
    "MqttExporter": "client",
    "Node": "ha_discovery",
    "discovery_messages": "ha_discovery",
    "CommandRouter": "commands",
    "command_messages": "commands",
    "PcsAggregator": "pcs",
}
__all__ = sorted(_FACE)

__getattr__ = lazy_face(__name__, _FACE)
