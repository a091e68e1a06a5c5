"""The crawl's DNS resolver: a host name is resolved once per connection, every address it
resolves to is checked, and the connection goes to the addresses checked.

Checking a name in a middleware and connecting later lets the name be resolved twice: a
domain can answer a public address to the check and 127.0.0.1 to the connection (DNS
rebinding). `PublicAddressResolver` is installed on Twisted's reactor (`TWISTED_DNS_RESOLVER`
in crawler/settings.py), so its answer is the one Twisted connects to. An answer with any
private, loopback, link-local, multicast or reserved address is refused whole: no address
is handed on, so nothing is connected to. A lookup that fails hands on nothing either (the
download fails as unresolvable, an error). The `host:port` addresses in
`CORPUS_ALLOWED_PRIVATE` (the sample site, in `--sample` mode) are the one exception.

A refused answer is logged and remembered per host, so that `RefusedAddressMiddleware`
(crawler/middlewares.py) reports the failed download as a refusal naming the address.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

logger = logging.getLogger(__name__)

FAMILIES = {frozenset({IPv4Address}): socket.AF_INET, frozenset({IPv6Address}): socket.AF_INET6}


def is_public(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified and shared
    (100.64.0.0/10) addresses; `ValueError` for something that is not an IP address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                                 or ip.is_multicast or ip.is_unspecified)


def _system_lookup(host: str, port: int, family: int) -> list:
    # socket.getaddrinfo looked up on each call, not bound at import: the system resolver is
    # whatever it is when the crawl runs.
    return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:
        """A lookup in a thread cannot be stopped; its answer is then not used."""


@implementer(IHostnameResolver)
class PublicAddressResolver:
    """Resolves with the system resolver (getaddrinfo, in the reactor's thread pool) and hands
    on only answers whose every address is public."""

    def __init__(self, reactor, allowed_private=()):
        self.reactor = reactor
        self.allowed_private = frozenset(a.lower() for a in allowed_private)
        self.refused: dict[str, str] = {}  # host -> why its last answer was refused

    @classmethod
    def from_crawler(cls, crawler, reactor):
        return cls(reactor, crawler.settings.getlist("CORPUS_ALLOWED_PRIVATE"))

    def install_on_reactor(self) -> None:
        # Twisted's simple resolver (reactor.resolver, for connectTCP with a name) becomes a
        # wrapper around this one too: no connection resolves a name any other way.
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver, hostName: str, portNumber: int = 0,
                        addressTypes=None, transportSemantics: str = "TCP"):
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        family = FAMILIES.get(frozenset(addressTypes or ()), socket.AF_UNSPEC)
        lookup = deferToThreadPool(self.reactor, self.reactor.getThreadPool(), _system_lookup,
                                   hostName, portNumber, family)

        def answered(infos) -> None:
            addresses = [_address(info) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
            for address in self.check(hostName, portNumber, addresses):
                resolutionReceiver.addressResolved(address)
            resolutionReceiver.resolutionComplete()

        def failed(failure) -> None:
            # Unresolvable: nothing to connect to; Twisted fails the connection as a DNS error.
            resolutionReceiver.resolutionComplete()

        lookup.addCallbacks(answered, failed)
        return resolution

    def check(self, host: str, port: int, addresses: list) -> list:
        """The addresses to connect to: all of the answer, or none when any is not public."""
        host = host.lower()
        if f"{host}:{port}" in self.allowed_private:
            return addresses
        private = [a.host for a in addresses if not is_public(a.host)]
        if private:
            reason = f"{host} resolves to {', '.join(private)}, a private, loopback or reserved address"
            self.refused[host] = reason
            logger.warning("not connecting: %s", reason)
            return []
        self.refused.pop(host, None)
        return addresses


def _address(info) -> IPv4Address | IPv6Address:
    family, _, _, _, sockaddr = info
    if family == socket.AF_INET6:
        return IPv6Address("TCP", *sockaddr)
    return IPv4Address("TCP", *sockaddr)


def refusal(host: str) -> str | None:
    """Why the crawl's resolver refused `host`'s last answer (None: it did not, or another
    resolver is installed)."""
    from twisted.internet import reactor  # not at import: Scrapy installs the reactor

    resolver = getattr(reactor, "nameResolver", None)
    if isinstance(resolver, PublicAddressResolver):
        return resolver.refused.get(host.lower())
    return None
