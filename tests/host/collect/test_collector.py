"""The collector against a real HTTP replay of LHM captures and this machine's psutil."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from nocturne.collect.alerts import AlertRule
from nocturne.collect.collector import LHM, LOCAL, LOCAL_FIRST, Collector, merge_hardware
from nocturne.config.model import Config, Limits
from nocturne.snapshot import HARDWARE_FIELDS, Hardware
from nocturne.sources.lhm.client import LhmSource
from nocturne.sources.lhm.parser import parse_data_json
from nocturne.sources.local import LocalSource
from nocturne.sources.processes import ProcessSource

from ...conftest import CAPTURE_0_9_6, CAPTURE_OHM_5900X


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_collector(url: str, clock=None, **kw) -> Collector:
    config = Config(poll_interval=0.2)
    extra = {"clock": clock} if clock else {}
    return Collector(config, lhm=LhmSource(url, timeout=1.0), local=LocalSource(), **extra, **kw)


async def test_snapshot_carries_the_capture_values(lhm_replay):
    collector = make_collector(lhm_replay.url)
    try:
        snap = await collector.tick()
    finally:
        await collector.stop()
    hw = snap.hardware
    assert snap.lhm_online
    # Hand-read from the capture: Core (Tctl/Tdie) "54,1 °C", CPU Total "8,3 %",
    # GPU Hot Spot "52,2 °C".
    assert hw.cpu_temp == pytest.approx(54.1)
    assert hw.cpu_load == pytest.approx(8.3)
    assert hw.gpu_hotspot == pytest.approx(52.2)
    expected = parse_data_json(CAPTURE_0_9_6.read_bytes()).hardware
    for name, value in expected.known().items():
        if name not in ("sys_disk_usage", "data_disk_usage"):  # psutil's are exact
            assert getattr(hw, name) == value, name


async def test_capture_change_is_seen_on_the_next_tick(lhm_replay):
    collector = make_collector(lhm_replay.url)
    try:
        first = await collector.tick()
        lhm_replay.load(CAPTURE_OHM_5900X)
        second = await collector.tick()
    finally:
        await collector.stop()
    expected = parse_data_json(CAPTURE_OHM_5900X.read_bytes()).hardware
    assert first.hardware.cpu_temp != expected.cpu_temp
    assert second.hardware.cpu_temp == expected.cpu_temp
    assert second.hardware.gpu_temp == expected.gpu_temp


async def test_the_fields_psutil_skips_follow_each_new_lhm_reading(lhm_replay):
    collector = make_collector(lhm_replay.url)
    try:
        assert collector._lhm_has() == frozenset()  # nothing from LHM yet: psutil reads all
        await collector.tick()
        first = collector._lhm_has()
        assert "cpu_temp" in first and "gpu_hotspot" in first
        assert first.isdisjoint(LOCAL_FIRST)
        lhm_replay.load(CAPTURE_OHM_5900X)  # OHM: no hot spot, no chipset temperature
        await collector.tick()
        want = parse_data_json(CAPTURE_OHM_5900X.read_bytes()).hardware.known()
        assert collector._lhm_has() == frozenset(want).difference(LOCAL_FIRST) != first
    finally:
        await collector.stop()


async def test_psutil_reads_all_from_lhms_first_failure_not_from_its_values_expiry(lhm_replay):
    # The last LHM value stands stale_after past a failure; the local reading in use when it
    # expires must not be one that skipped LHM's fields (a pass still running at compose
    # time, under load, leaves the previous reading in use): RAM total went blank on the
    # board for a tick or more.
    clock = ManualClock()
    collector = make_collector(lhm_replay.url, clock=clock)
    try:
        assert (await collector.tick()).hardware.ram_total is not None
        assert "ram_total" in collector._lhm_has()
        lhm_replay.status = 503
        clock.now += 1.0
        await collector.tick()  # LHM fails; its value stands
        assert collector.current(LHM) is not None
        assert collector._lhm_has() == frozenset()
        clock.now += 1.0
        await collector.tick()  # the pass that runs while LHM's value still stands
        await collector.feed(LOCAL).start_poll()  # that pass done (it may outlast the tick)
        clock.now += collector.feed(LHM).stale_after - 0.5  # LHM's value expires, ours not
        composed = collector.compose()
        assert not composed.lhm_online
        assert composed.hardware.ram_total is not None and composed.hardware.ram_total > 0
    finally:
        await collector.stop()


async def test_lhm_down_serves_local_values_and_logs_once_each_way(lhm_replay, caplog):
    caplog.set_level(logging.INFO)
    collector = make_collector(lhm_replay.url)
    try:
        assert (await collector.tick()).lhm_online
        await lhm_replay.stop()
        snaps = [await collector.tick() for _ in range(4)]
        # The last good LHM data is kept for a few seconds, then local sensors take over.
        collector.feed("lhm").latest_at = float("-inf")
        await asyncio.sleep(0.2)  # psutil's CPU load needs 0.1 s between two samples
        down = await collector.tick()
        assert not down.lhm_online
        assert down.hardware.cpu_load is not None  # psutil, from this machine
        assert down.hardware.ram_total is not None and down.hardware.ram_total > 0
        assert down.hardware.gpu_hotspot is None  # no LHM, no GPU hot spot on this machine
        await lhm_replay.start()  # same port again
        await collector.tick()
        up = await collector.tick()
        assert up.lhm_online
        assert up.hardware.gpu_hotspot == pytest.approx(52.2)
    finally:
        await collector.stop()
    assert all(s.hardware.cpu_temp is not None for s in snaps)
    downs = [r for r in caplog.records if "LibreHardwareMonitor unavailable" in r.getMessage()]
    backs = [r for r in caplog.records if "LibreHardwareMonitor is back" in r.getMessage()]
    assert len(downs) == 1 and len(backs) == 1
    assert "Remote Web Server" in downs[0].getMessage()
    assert "psutil" in downs[0].getMessage()


async def test_malformed_lhm_body_keeps_last_good_data(lhm_replay, caplog):
    clock = ManualClock()
    collector = make_collector(lhm_replay.url, clock=clock)
    try:
        good = await collector.tick()
        lhm_replay.body = b'{"id": 0, "Text": "Sensor", "Children": [{"id": 1, "Te'
        bad = await collector.tick()
        assert bad.lhm_online
        assert bad.hardware.cpu_temp == good.hardware.cpu_temp
        assert "not data.json" in caplog.text
        clock.now += 60  # long past stale: the broken LHM no longer counts
        stale = await collector.tick()
        assert not stale.lhm_online
        assert stale.hardware.gpu_hotspot is None
    finally:
        await collector.stop()


async def test_http_401_says_to_set_the_password():
    from nocturne.devtools.lhm_replay import LhmReplay

    replay = LhmReplay(CAPTURE_0_9_6.read_bytes(), user="admin", password="secret")
    await replay.start()
    try:
        source = LhmSource(replay.url)
        with pytest.raises(Exception, match="lhm_user and lhm_password"):
            await source.read()
        await source.close()
        authed = LhmSource(replay.url, user="admin", password="secret")
        assert (await authed.read()).hardware.cpu_temp == pytest.approx(54.1)
        await authed.close()
    finally:
        await replay.stop()


async def test_a_hanging_lhm_never_stops_the_ticks(lhm_replay):
    lhm_replay.delay = 3  # answers long after the client's timeout
    collector = make_collector(lhm_replay.url)
    seen = []
    collector.subscribe(seen.append)
    collector.start()
    try:
        for _ in range(500):
            if len(seen) >= 3:
                break
            await asyncio.sleep(0.02)
    finally:
        await collector.stop()
    assert len(seen) >= 3
    assert all(not s.lhm_online and s.hardware.ram_total for s in seen)


async def test_processes_are_scanned_only_when_wanted(lhm_replay):
    wanted = False
    collector = make_collector(
        lhm_replay.url, processes=ProcessSource(), want_processes=lambda: wanted
    )
    collector.start()
    try:
        await asyncio.sleep(0.5)
        assert collector.snapshot.processes is None
        wanted = True
        for _ in range(500):
            procs = collector.snapshot.processes
            if procs is not None and procs.top_cpu is not None:
                break
            await asyncio.sleep(0.02)
    finally:
        await collector.stop()
    assert procs is not None and procs.top_cpu is not None
    assert len(procs.top_cpu) == 3 and len(procs.top_ram) == 2
    assert all(p.ram_mb and p.ram_mb > 0 for p in procs.top_ram)


def test_merge_prefers_lhm_but_psutil_for_rates_and_disk_usage():
    lhm = Hardware(cpu_temp=50, cpu_load=10, sys_disk_usage=40)
    local = Hardware(cpu_load=99, ram_total=16, net_down=5, sys_disk_usage=41)
    merged = merge_hardware(lhm, local)
    assert merged == Hardware(cpu_temp=50, cpu_load=10, ram_total=16, net_down=5, sys_disk_usage=41)
    assert merge_hardware(None, local) == local
    assert merge_hardware(lhm, None) == lhm


def test_merge_field_by_field_is_the_fill_order_it_stands_for():
    """LOCAL_FIRST fields: psutil's, else LHM's; every other field: LHM's, else psutil's."""
    rng = random.Random(15)
    for _ in range(300):
        lhm, local = (
            Hardware(**{n: rng.choice([None, 0.0, rng.uniform(0, 99)]) for n in HARDWARE_FIELDS})
            for _ in range(2)
        )
        preferred = Hardware(**{name: getattr(local, name) for name in LOCAL_FIRST})
        assert merge_hardware(lhm, local) == preferred.fill_from(lhm).fill_from(local)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        # CPU crosses 75, hovers at the limit (no flapping), clears only below 72.
        ([74, 75, 74, 73, 72.5, 71.9, 74], [None, "CPU", "CPU", "CPU", "CPU", None, None]),
        ([None, 80, None], [None, "CPU", None]),  # unknown counts as below the limit
    ],
)
def test_alert_hysteresis(readings, expected):
    rule = AlertRule(Limits(cpu=75, gpu=80, hysteresis=3))
    got = []
    for temp in readings:
        alert = rule.update(Hardware(cpu_temp=temp))
        got.append(alert.target if alert else None)
    assert got == expected


def test_gpu_alert_and_cpu_first_when_both():
    rule = AlertRule(Limits(cpu=75, gpu=80))
    assert rule.update(Hardware(cpu_temp=60, gpu_temp=85)).target == "GPU"
    assert rule.update(Hardware(cpu_temp=90, gpu_temp=85)).target == "GPU"  # stays on GPU
    assert rule.update(Hardware(cpu_temp=90, gpu_temp=60)).target == "CPU"
    assert rule.update(Hardware(cpu_temp=90, gpu_temp=60)).temperature == 90


class CountingSource:
    """A media or idle source whose reads are counted; ``hold`` makes each read hang."""

    def __init__(self, name: str, interval: float, value: object) -> None:
        self.name, self.interval, self.value = name, interval, value
        self.reads = 0
        self.hold = False

    async def read(self) -> object:
        self.reads += 1
        if self.hold:
            await asyncio.sleep(30)
        return self.value

    async def close(self) -> None:
        pass


async def test_media_and_idle_are_read_on_the_tick_without_timers_of_their_own(lhm_replay):
    """Their change can reach a board no sooner than the next line: each is read once a
    tick (not awaited: a hung player never holds up the line), and no task of theirs wakes
    the process in between. A feed slower than the tick keeps its own schedule."""
    media = CountingSource("Media", 0.2, None)
    idle = CountingSource("User idle", 0.2, 12.0)
    collector = make_collector(lhm_replay.url, media=media, user_idle=idle)
    seen: list = []
    collector.subscribe(seen.append)
    collector.start()
    try:
        assert len(collector._tasks) == 1  # the tick loop, and nothing else
        media.hold = True  # hangs from now on: the ticks go on all the same
        while len(seen) < 4:
            await asyncio.sleep(0.02)
    finally:
        await collector.stop()
    assert idle.reads >= len(seen) - 1 and idle.reads <= len(seen) + 1
    assert media.reads <= 2  # one read at a time: the hung one is not started again
    assert seen[-1].user_idle == 12.0
    slow = CountingSource("Media", 5.0, None)
    collector = make_collector(lhm_replay.url, media=slow)
    collector.start()
    try:
        assert len(collector._tasks) == 2  # the tick loop and the media feed's own loop
    finally:
        await collector.stop()
