"""``_nocturne._tcp.local.`` over mDNS/DNS-SD (python-zeroconf), for tools other than the
board: Home Assistant, phones, ``avahi-browse``. TXT: ``proto`` (protocol revision) and
``pairing`` ("1" when the server serves paired boards only), never a token.

A server listening on one address advertises on that interface only (so one on 127.0.0.1
stays on loopback); one on 0.0.0.0 on every interface, with every IPv4 address it has.
zeroconf is imported only here, when the advertisement starts.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from ...wire.protocol import REVISION

log = logging.getLogger(__name__)

SERVICE_TYPE = "_nocturne._tcp.local."
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
MAX_LABEL = 63  # bytes in one DNS label


def instance_name(pc_name: str) -> str:
    """``<PC name>._nocturne._tcp.local.``: the name trimmed to one DNS label."""
    label = " ".join(pc_name.replace(".", " ").split()) or "PC"
    while len(label.encode("utf-8")) > MAX_LABEL:
        label = label[:-1]
    return f"{label}.{SERVICE_TYPE}"


def host_label(pc_name: str) -> str:
    """A host name for the SRV record: letters, digits and '-' (``<label>.local.``)."""
    label = re.sub(r"[^A-Za-z0-9-]+", "-", pc_name).strip("-")[:MAX_LABEL] or "nocturne"
    return f"{label}.local."


def advertised_addresses(host: str) -> list[str]:
    """The IPv4 addresses to advertise for a server listening on ``host``."""
    if host not in WILDCARD_HOSTS:
        return [host]
    import ifaddr

    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ipaddress.ip_address(ip.ip).is_loopback:
                found.append(ip.ip)
    return found


class MdnsAdvertiser:
    """Registers the service on start and withdraws it (goodbye packets) on stop."""

    def __init__(self, pc_name: str, host: str, port: int, pairing: bool) -> None:
        self.pc_name = pc_name
        self.host = host
        self.port = port
        self.pairing = pairing
        self._zc: Any = None
        self.info: Any = None
        self._addresses: list[str] = []

    async def start(self) -> None:
        from zeroconf import InterfaceChoice, IPVersion
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        addresses = advertised_addresses(self.host)
        if not addresses:
            raise OSError("no IPv4 address to advertise")
        ipaddress.IPv4Address(addresses[0])  # an IPv6 host: not advertised (ValueError)
        interfaces: Any = InterfaceChoice.All if self.host in WILDCARD_HOSTS else [self.host]
        self._addresses = addresses
        self.info = self._info(AsyncServiceInfo, instance_name(self.pc_name))
        zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        try:
            await zc.async_register_service(self.info, allow_name_change=True)
        except BaseException:
            await zc.async_close()
            raise
        self._zc = zc
        log.info("Advertising %s over mDNS", self.info.name)

    def _info(self, cls: Any, name: str) -> Any:
        return cls(
            SERVICE_TYPE,
            name,
            port=self.port,
            properties={"proto": str(REVISION), "pairing": "1" if self.pairing else "0"},
            server=host_label(self.pc_name),
            parsed_addresses=self._addresses,
        )

    async def set_pairing(self, pairing: bool) -> None:
        """Re-announce the TXT record when pairing has been turned on or off."""
        if pairing == self.pairing or self._zc is None:
            return
        from zeroconf.asyncio import AsyncServiceInfo

        self.pairing = pairing
        self.info = self._info(AsyncServiceInfo, self.info.name)
        await self._zc.async_update_service(self.info)

    async def stop(self) -> None:
        zc, self._zc = self._zc, None
        if zc is not None:
            try:
                await zc.async_unregister_all_services()
            finally:
                await zc.async_close()
