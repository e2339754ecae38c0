"""ICE settings for aiortc: servers from the configuration, and optional host address limits."""

from __future__ import annotations

from collections.abc import Iterable

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer


def ice_configuration(servers: Iterable[str]) -> RTCConfiguration:
    """An explicit configuration: aiortc's default names a public STUN server that may be
    unreachable, which would delay every connection by its timeout."""
    return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in servers])


def limit_host_addresses(addresses: Iterable[str]) -> None:
    """Gather host candidates on ``addresses`` only (all interfaces when empty).

    aioice offers no option for this and never offers loopback, so it is set where aioice
    looks the addresses up. Used to keep WebRTC on 127.0.0.1 in tests and on machines
    where only one interface should carry media.
    """
    wanted = list(addresses)
    if not wanted:
        aioice.ice.get_host_addresses = _ALL_INTERFACES
        return

    def configured(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in wanted if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = configured


_ALL_INTERFACES = aioice.ice.get_host_addresses
