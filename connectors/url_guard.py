"""Fetch only public http(s) addresses: the URL check and an httpx client that enforces it.

`UrlGuard.check` is the check at save time and before every hop of a fetch (redirects are
followed by the caller, one hop at a time). `guarded_client` is the check at connect time: its
connections resolve the host through the guard and connect to the address that was checked, so a
name that resolves to a public address when checked and to a private one a moment later (DNS
rebinding) still cannot reach inside. With `allow_private` every address is allowed (the sandbox,
a feed server on the hub's own network) but the URL must still be http(s).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpcore
import httpx

from hub.domain.feed_urls import (
    FeedUrl,
    UrlRefused,
    address_refusal,
    describe,
    is_local_name,
    literal_address,
    parse_feed_url,
)

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
"""host, port → the IP addresses the host name resolves to; OSError when it does not resolve."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves `host` to, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


@dataclass(frozen=True)
class UrlGuard:
    """The feed URL rules of one hub: private addresses allowed or not, and how names resolve."""

    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver)

    def check(self, url: str) -> FeedUrl:
        """The parsed URL when it may be fetched now; UrlRefused (with the reason) otherwise."""
        parsed = parse_feed_url(url)
        if not self.allow_private:
            self.addresses(parsed.host, parsed.port)
        return parsed

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`, each checked; UrlRefused when any is not public.

        Every address a name resolves to must be public: a client may pick any of them. With
        `allow_private` they are resolved the same way but not checked.
        """
        literal = literal_address(host)
        if literal is not None:
            candidates = [literal]
        elif is_local_name(host) and not self.allow_private:
            raise UrlRefused(describe(ipaddress.IPv4Address("127.0.0.1"), "loopback"))
        else:
            candidates = self._resolve(host, port)
        if not self.allow_private:
            for address in candidates:
                reason = address_refusal(address)
                if reason is not None:
                    raise UrlRefused(describe(address, reason))
        return [str(address) for address in candidates]

    def _resolve(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            resolved = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(f"the host of the feed URL does not resolve ({type(exc).__name__}): check the URL") \
                from None
        if not resolved:
            raise UrlRefused("the host of the feed URL does not resolve: check the URL")
        try:
            return [ipaddress.ip_address(text.split("%", 1)[0]) for text in resolved]
        except ValueError:
            raise UrlRefused("the host of the feed URL resolves to something that is not an IP address") from None


class GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the guard checked (TLS still verifies the host name)."""

    def __init__(self, guard: UrlGuard) -> None:
        self._guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        error: httpcore.ConnectError | None = None
        for address in self._guard.addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # addresses() never returns an empty list
        raise error


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the connection pool built on `GuardedBackend` (no proxy from the environment)."""

    def __init__(self, guard: UrlGuard, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
                                             network_backend=GuardedBackend(guard))


def guarded_client(guard: UrlGuard, timeout: float, *, verify: bool = True) -> httpx.Client:
    """An httpx client for fetching feed URLs: redirects are not followed (check each hop yourself)."""
    return httpx.Client(transport=_GuardedTransport(guard, verify), timeout=timeout, follow_redirects=False,
                        trust_env=False)
