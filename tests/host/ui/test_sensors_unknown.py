"""`nocturne sensors`: a rate that cannot be known (nothing to count) is "—", never 0."""

from __future__ import annotations

import io

from nocturne.config.model import Config
from nocturne.sources.io_counters import IoCounters, ProcCounters
from nocturne.sources.local import LocalSource
from nocturne.ui.doctor import print_sensors
from tests.harness.rig import free_port

from ..sources.test_io_counters import diskstats, net_dev


def bare_machine(tmp_path) -> ProcCounters:
    """/proc of a machine with loopback only and no whole disk (a container)."""
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "dev").write_text(net_dev({"lo": (5000, 5000)}))
    (tmp_path / "diskstats").write_text(diskstats({}))
    (tmp_path / "block").mkdir()
    return ProcCounters(proc_path=str(tmp_path), sys_block=str(tmp_path / "block"))


def test_loopback_only_counts_no_network(tmp_path):
    assert bare_machine(tmp_path).read() == IoCounters(None, None, None, None)


async def test_sensors_shows_unknown_rates_as_a_dash(tmp_path):
    out = io.StringIO()
    config = Config(lhm_url=f"http://127.0.0.1:{free_port()}/data.json", ping_host="")
    await print_sensors(config, out, LocalSource(counters=bare_machine(tmp_path)))
    text = out.getvalue()
    local, chosen = text.split("What devices receive")
    for rate in ("net_down", "net_up", "disk_read", "disk_write"):
        row = next(line for line in local.splitlines() if line.split()[:1] == [rate])
        assert row.split()[1:] == ["—", "KB/s"], row
        row = next(line for line in chosen.splitlines() if f" {rate} " in line)
        assert row.split()[2:5] == ["—", "KB/s", "—"], row
    assert "0.0 KB/s" not in text
