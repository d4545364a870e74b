"""Two private network namespaces joined by a veth pair, for tests and benches that need a
peer that vanishes (its traffic dropped, as when a board loses power or WiFi). Needs root
and ``ip``/``tc``; traffic stays inside the two namespaces, which are deleted afterwards."""

from __future__ import annotations

import ctypes
import itertools
import os
import socket
import subprocess
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

SERVER_ADDRESS = "10.213.0.1"  # a private /30, seen only inside the two namespaces
CLIENT_ADDRESS = "10.213.0.2"
_CLONE_NEWNET = 0x40000000
_names = itertools.count(1)
T = TypeVar("T")


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=20)


def _setns(fd: int) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    if setns is not None:
        setns(fd, os.CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def call_in(namespace: str, fn: Callable[[], T]) -> T:
    """``fn()`` on a thread that joined ``namespace``: every socket it makes lives there."""
    made: list[T | BaseException] = []

    def run() -> None:
        try:
            with open(f"/run/netns/{namespace}", "rb") as ns:
                _setns(ns.fileno())
            made.append(fn())
        except BaseException as exc:  # handed to the caller's thread
            made.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    result = made[0]
    if isinstance(result, BaseException):
        raise result
    return result


class NamespacePair:
    """``server`` and ``client`` namespaces; ``veth`` ends SERVER_ADDRESS and CLIENT_ADDRESS."""

    def __init__(self) -> None:
        tag = f"{os.getpid()}-{next(_names)}"
        self.server = f"noc-s-{tag}"
        self.client = f"noc-c-{tag}"
        self._server_if = "noc-srv"
        self._client_if = "noc-cli"

    def __enter__(self) -> NamespacePair:
        try:
            _run("ip", "netns", "add", self.server)
            _run("ip", "netns", "add", self.client)
            _run(
                "ip", "-n", self.server, "link", "add", self._server_if, "type", "veth",
                "peer", "name", self._client_if, "netns", self.client,
            )  # fmt: skip
            for ns, ifname, address in (
                (self.server, self._server_if, SERVER_ADDRESS),
                (self.client, self._client_if, CLIENT_ADDRESS),
            ):
                _run("ip", "-n", ns, "addr", "add", f"{address}/30", "dev", ifname)
                _run("ip", "-n", ns, "link", "set", ifname, "up")
                _run("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.delete()

    def delete(self) -> None:
        """Delete both namespaces (and so the veth pair); safe to call twice."""
        for ns in (self.server, self.client):
            subprocess.run(("ip", "netns", "delete", ns), capture_output=True, timeout=20)

    def socket_in(self, namespace: str) -> socket.socket:
        """A TCP socket that lives in ``namespace`` (made on a thread that joined it)."""
        return call_in(namespace, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))

    def server_listener(self) -> socket.socket:
        """A listening socket on SERVER_ADDRESS (any port) in the server's namespace, for
        ``DeviceServer(..., listen_socket=...)``."""
        listener = self.socket_in(self.server)
        listener.bind((SERVER_ADDRESS, 0))
        listener.listen()
        return listener

    def readdress(self, namespace: str, *, add: str = "", delete: str = "") -> None:
        """Change the veth end's address in ``namespace`` ("10.213.1.10/24"): delete first,
        then add, as a DHCP server renumbering a PC would."""
        ifname = self._server_if if namespace == self.server else self._client_if
        if delete:
            _run("ip", "-n", namespace, "addr", "del", delete, "dev", ifname)
        if add:
            _run("ip", "-n", namespace, "addr", "add", add, "dev", ifname)

    def drop_all_traffic(self) -> None:
        """From now on every packet either side sends is thrown away: the peer has vanished."""
        for ns, ifname in ((self.server, self._server_if), (self.client, self._client_if)):
            _run(
                "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", ifname, "root", "blackhole"
            )
