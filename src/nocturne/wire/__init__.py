"""Wire: protocol v1 between server and boards (lines, keys, scene ids)."""
