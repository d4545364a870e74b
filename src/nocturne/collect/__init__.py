"""Collect: the collector that runs the sources, the Snapshot it keeps, the field table, alerts."""
