"""MQTT: the Snapshot to a broker, Home Assistant discovery and commands, other PCs' states."""
