"""The outbox composes each board's line: the snapshot encoded once, the server's additions
(power, other PCs, first-line settings) and the commands waiting for one board."""

from __future__ import annotations

import json

from nocturne.devices.outbox import Outbox
from nocturne.snapshot import Hardware, Media, Snapshot
from nocturne.wire.types import PcSummary

COVER = bytes(range(256)) * 2  # 512 bytes: a line with a cover is near MAX_LINE once encoded


def keys(line: bytes) -> dict[str, object]:
    return json.loads(line)


def test_power_pcs_and_first_line_settings_are_on_the_lines():
    box = Outbox({"idm": [60, 600]})
    assert box.encoded() is None  # nothing to say before a snapshot
    box.publish(Snapshot(hardware=Hardware(cpu_temp=50.0)))
    box.set_power("sleep")
    box.set_pcs([PcSummary("office", True, {"cpu_temp": 41.0})])
    encoded = box.encoded()
    assert encoded is not None and box.encoded() is encoded  # encoded once for every board
    first, more = box.line_for(1, encoded, None, first=True)
    later, _ = box.line_for(1, encoded, None, first=False)
    assert not more
    assert keys(first)["idm"] == [60, 600] and "idm" not in keys(later)
    assert keys(later)["pwr"] == "sleep" and keys(later)["ct"] == 50
    assert keys(later)["pcs"] == [{"n": "office", "on": True, "ct": 41}]
    box.set_power(None)
    assert "pwr" not in keys(box.line_for(1, box.encoded(), None, first=False)[0])


def test_commands_go_to_their_board_once_and_wait_when_there_is_no_room():
    box = Outbox()
    box.publish(Snapshot())
    box.add_commands(1, {"gs": 3})
    box.add_commands(1, {"gs": 4, "so": 1})  # a later value wins
    line, more = box.line_for(1, box.encoded(), None, first=False)
    assert (keys(line)["gs"], keys(line)["so"], more) == (4, 1, False)
    assert "gs" not in keys(box.line_for(1, box.encoded(), None, first=False)[0])
    assert "gs" not in keys(box.line_for(2, box.encoded(), None, first=False)[0])

    box.publish(Snapshot(media=Media(track="t" * 30, artist="a" * 30, cover=COVER)))
    box.add_commands(1, {"cn": 200})
    encoded = box.encoded()
    padded = encoded.line_for(None, first=True)
    room = 4096 - len(padded)
    box.add_commands(1, {"gs": 1, "so": 0, "cn": 10 ** (room + 1)})  # cannot fit next to it
    line, more = box.line_for(1, encoded, None, first=True)
    assert more and "cn" not in keys(line)  # the cover went; the commands wait
    line, more = box.line_for(1, encoded, COVER, first=False)
    assert not more and keys(line)["cn"] == 10 ** (room + 1)
