"""How a board finds its PC: a UDP responder on the TCP port's number, and mDNS/DNS-SD.

A board with an empty ``SERVER_HOST`` broadcasts ``NOCTURNE?`` (see PROTOCOL.md) to the
server's port number over UDP; every server on the subnet answers with one small JSON line
(its name, TCP port, protocol revision and whether it needs a paired board), never a token.
A datagram that is not a query, or is larger than a query can be, gets nothing back: the
answer is never larger than what asked for it by more than a few dozen bytes, and a flood
of junk costs a rate-limited log line. Answers are budgeted per source address (1 a second
after 3) under a global budget (10 a second after 20): one address flooding queries cannot
use up the answers the other boards need.

Other tools (Home Assistant, phones) find the server over mDNS as ``_nocturne._tcp``
(:mod:`nocturne.devices.discovery.mdns`). Neither failing to start stops the server: each is one
log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from ...rate_limited_log import RateLimitedWarning
from ...safe_text import printable
from ...wire.protocol import DISCOVERY_QUERY, encode_discovery_answer, is_discovery_query
from ._windows import ignore_port_unreachable

if TYPE_CHECKING:
    from .mdns import MdnsAdvertiser

log = logging.getLogger(__name__)


def pc_name(configured: str = "") -> str:
    """The name the PC answers with: config.json ``name``, else its host name."""
    return configured.strip() or socket.gethostname() or "PC"


ANSWERS_PER_S = 10.0  # boards ask once every few seconds while they search
ANSWER_BURST = 20


class AnswerBudget:
    """A token bucket over all senders: however many (forged) queries arrive, the answers
    leave at most ``rate`` a second after a ``burst``, so the responder cannot be used to
    flood someone else with answers."""

    def __init__(
        self,
        rate: float = ANSWERS_PER_S,
        burst: int = ANSWER_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


PER_SOURCE_RATE = 1.0  # answers a second to one address (a board asks every few seconds)
PER_SOURCE_BURST = 3
MAX_SOURCES = 256  # addresses with a budget of their own (the least recent forgotten first)


class SourceBudgets:
    """A small AnswerBudget per source address, taken before the global one: a flood from
    one address uses up its own budget, not the answers every other board needs."""

    def __init__(
        self,
        overall: AnswerBudget,
        rate: float = PER_SOURCE_RATE,
        burst: int = PER_SOURCE_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.overall = overall
        self.rate, self.burst, self._clock = rate, burst, clock
        self._each: OrderedDict[str, AnswerBudget] = OrderedDict()

    def take(self, address: str) -> bool:
        budget = self._each.get(address)
        if budget is None:
            budget = self._each[address] = AnswerBudget(self.rate, self.burst, self._clock)
            while len(self._each) > MAX_SOURCES:
                self._each.popitem(last=False)
        self._each.move_to_end(address)
        return budget.take() and self.overall.take()


class _Responder(asyncio.DatagramProtocol):
    def __init__(
        self,
        answer: Callable[[], bytes],
        budget: AnswerBudget,
        before: Callable[[], Awaitable[None]] | None = None,
        per_source: tuple[float, int] = (PER_SOURCE_RATE, PER_SOURCE_BURST),
    ) -> None:
        self._answer = answer
        self._budget = budget
        self._sources = SourceBudgets(budget, *per_source)
        self._before = before  # awaited before answering (config.json re-read)
        self._answering: set[asyncio.Task[None]] = set()
        self._transport: asyncio.DatagramTransport | None = None
        self.answered = 0
        self.ignored = RateLimitedWarning(
            log, "Ignored %d more datagram(s) that were not discovery queries in the last %d s"
        )
        self.held_back = RateLimitedWarning(
            log, "Left %d more discovery queries unanswered in the last %d s (too many)"
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self._answering:
            task.cancel()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.ignored.flush()
        if not is_discovery_query(data):
            self.ignored.warn(
                "Ignored a %d-byte datagram from %s: not a discovery query",
                len(data),
                printable(str(addr[0])),
            )
            return
        self.held_back.flush()
        if not self._sources.take(str(addr[0])):
            self.held_back.warn(
                "Discovery queries arrive faster than %g a second, or %g from one address "
                "(from %s, latest): some are left unanswered",
                self._budget.rate,
                self._sources.rate,
                printable(str(addr[0])),
            )
            return
        if self._before is None:
            self._send(addr)
            return
        task = asyncio.get_running_loop().create_task(self._answer_after_before(addr))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer_after_before(self, addr: tuple[str | object, ...]) -> None:
        assert self._before is not None
        await self._before()
        self._send(addr)

    def _send(self, addr: tuple[str | object, ...]) -> None:
        if self._transport is not None:
            self._transport.sendto(self._answer(), addr)
            self.answered += 1

    def error_received(self, exc: Exception) -> None:
        log.debug("Discovery socket: %s", exc)


async def _bound_udp_socket(host: str, port: int) -> socket.socket:
    """A UDP socket bound to ``host``:``port`` (a name is resolved; "" is every address)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        host or "0.0.0.0", port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    name: str  # the PC's name, as answered
    mdns: bool = True


class Discovery:
    """The UDP responder (and the mDNS advertisement) for a server listening on host:port."""

    def __init__(
        self,
        settings: DiscoverySettings,
        pairing_required: Callable[[], bool],
        *,
        udp_socket: socket.socket | None = None,
        budget: AnswerBudget | None = None,
        before_answer: Callable[[], Awaitable[None]] | None = None,
        per_source: tuple[float, int] = (PER_SOURCE_RATE, PER_SOURCE_BURST),  # rate, burst
    ) -> None:
        self._per_source = per_source
        self.settings = settings
        self._before_answer = before_answer  # e.g. re-read config.json's tokens
        self._budget = budget or AnswerBudget()
        self._pairing_required = pairing_required
        self._udp_socket = udp_socket  # already bound (a test's network namespace)
        self._transport: asyncio.DatagramTransport | None = None
        self._responder: _Responder | None = None
        self._mdns: MdnsAdvertiser | None = None
        self._mdns_task: asyncio.Task[None] | None = None
        self._update_task: asyncio.Task[None] | None = None
        self.port: int | None = None  # the TCP port answered
        self.udp_address: tuple[str, int] | None = None  # where the responder listens

    @property
    def answered(self) -> int:
        return self._responder.answered if self._responder is not None else 0

    def answer(self) -> bytes:
        assert self.port is not None
        pairing = self._pairing_required()
        if self._mdns is not None and pairing != self._mdns.pairing:
            self._spawn_update(pairing)
        return encode_discovery_answer(self.settings.name, self.port, pairing=pairing)

    def _spawn_update(self, pairing: bool) -> None:
        """The mDNS TXT follows a pairing change (seen at a query or a HELO)."""
        mdns = self._mdns
        if mdns is None or (self._update_task is not None and not self._update_task.done()):
            return

        async def update() -> None:
            try:
                await mdns.set_pairing(pairing)
            except Exception as exc:
                log.debug("mDNS update: %s", exc)

        self._update_task = asyncio.create_task(update())

    def pairing_changed(self) -> None:
        """Tell mDNS the pairing may have changed (call after config.json is re-read)."""
        if self._mdns is not None and self.port is not None:
            pairing = self._pairing_required()
            if pairing != self._mdns.pairing:
                self._spawn_update(pairing)

    async def start(self, host: str, port: int) -> None:
        """Answer queries on UDP ``host``:``port`` for the TCP server there; never raises."""
        self.port = port
        loop = asyncio.get_running_loop()
        try:
            sock = self._udp_socket or await _bound_udp_socket(host, port)
            ignore_port_unreachable(sock)
            transport, responder = await loop.create_datagram_endpoint(
                lambda: _Responder(
                    self.answer, self._budget, self._before_answer, self._per_source
                ),
                sock=sock,
            )
        except OSError as exc:
            log.warning(
                "Discovery off: cannot listen on UDP %s:%d (%s); boards need SERVER_HOST set",
                host,
                port,
                exc.strerror or exc,
            )
        else:
            self._transport, self._responder = transport, responder
            self.udp_address = transport.get_extra_info("sockname")[:2]
            log.info("Answering discovery queries on UDP %s:%d", *self.udp_address)
        if self.settings.mdns:
            # Registering probes the name for about a second: not on the server's start path.
            self._mdns_task = asyncio.create_task(self._start_mdns(host, port))

    async def mdns_started(self) -> bool:
        """Wait for the mDNS registration to finish; True when the service is advertised."""
        if self._mdns_task is not None:
            await asyncio.gather(self._mdns_task, return_exceptions=True)
        return self._mdns is not None

    async def _start_mdns(self, host: str, port: int) -> None:
        try:
            from .mdns import MdnsAdvertiser

            mdns = MdnsAdvertiser(self.settings.name, host, port, self._pairing_required())
            await mdns.start()
        except Exception as exc:  # zeroconf missing, no interface, a name clash: not fatal
            log.warning("mDNS advertisement off: %s", printable(str(exc) or type(exc).__name__))
            return
        self._mdns = mdns

    async def stop(self) -> None:
        for task in (self._mdns_task, self._update_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._mdns_task = self._update_task = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._mdns is not None:
            mdns, self._mdns = self._mdns, None
            try:
                await mdns.stop()
            except Exception as exc:
                log.debug("mDNS stop: %s", exc)


def probe(host: str, port: int, timeout: float = 0.5) -> tuple[bool, str, str]:
    """For `nocturne doctor`: (ok, what, fix) about discovery on UDP ``host``:``port``: free
    for the server, answered by a running server, or taken by another program."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            pass  # taken: is it a NOCTURNE server?
        else:
            return True, f"discovery: UDP port {port} is free for the server's answers", ""
    target = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(DISCOVERY_QUERY, (target, port))
            answer = json.loads(sock.recv(512))
            name, pairing = str(answer["name"]), bool(answer["pairing"])
        except (OSError, ValueError, KeyError, TypeError):
            return (
                False,
                f"discovery: UDP port {port} is taken by another program",
                "Boards with an empty SERVER_HOST cannot find this PC. Close that program, "
                "or set another 'port' in config.json (and SERVER_PORT on the boards).",
            )
    needs = "paired boards only" if pairing else "any board"
    return True, f"{RUNNING_SERVER_ANSWERS} {printable(name)!r} ({needs})", ""


RUNNING_SERVER_ANSWERS = "discovery: the server answers as"  # probe's words for a server up
