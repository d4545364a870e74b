"""Updates over the air (issue 23): the firmware a board is updated to, the lines that
carry it over the board's own link (PROTOCOL.md, "Updates over the air"), and when a board
gets one (``board_updates`` in config.json)."""
