"""Exports: the Snapshot published to MQTT (Home Assistant discovery) and served as /metrics."""
