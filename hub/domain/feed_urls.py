"""Which feed URLs the hub may fetch: the syntax rule and the address rule (pure, no I/O).

A supplier's `feed_url` is fetched by the hub's own process, so a URL pointing inside the hub's
network (a database port, a cloud metadata service, the hub itself) would let anyone who can save
a supplier read from there. Only http(s) URLs whose host is a public address are fetched; what
resolves the host name lives outside the domain (`connectors.url_guard`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000  # the column's length
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")  # control characters, spaces, backslashes
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")  # 2130706433, 0x7f.1, 017700000001: what inet_aton reads


class UrlRefused(ValueError):
    """The URL may not be fetched; the message says why, for the user (never a fetched byte)."""


@dataclass(frozen=True)
class FeedUrl:
    scheme: str
    host: str  # lower case, IPv6 without brackets, no trailing dot
    port: int


def parse_feed_url(url: str) -> FeedUrl:
    """The scheme, host and port of an http(s) URL; UrlRefused for anything else."""
    if not isinstance(url, str) or not url:
        raise UrlRefused("the feed URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the feed URL is longer than {MAX_URL_LENGTH} characters")
    if _FORBIDDEN_CHARS.search(url):
        raise UrlRefused("the feed URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise UrlRefused(f"the feed URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UrlRefused(f"the feed URL must be an http:// or https:// URL, not {scheme or 'a relative'}:")
    if not host or not parts.netloc:
        raise UrlRefused("the feed URL has no host")
    host = host.rstrip(".")
    if not host:
        raise UrlRefused("the feed URL has no host")
    return FeedUrl(scheme, host, port if port is not None else (443 if scheme == "https" else 80))


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself (``10.0.0.1``, ``::1``, ``2130706433``, ``0x7f.1``), else None."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host.lower()):
        try:  # the C library reads these forms as IPv4 too: check what it would connect to
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (RFC 6761)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def address_refusal(address: IPAddress) -> str | None:
    """Why the hub must not connect to `address` (e.g. "loopback"), or None for a public address.

    An IPv6 address that carries an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64)
    is judged by the IPv4 address it leads to as well.
    """
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in _embedded_ipv4(address):
            reason = address_refusal(embedded)
            if reason is not None:
                return f"{reason} (inside an IPv6 address)"
    checks = (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("reserved", address.is_reserved), ("private", address.is_private))
    for reason, hit in checks:
        if hit:
            return reason
    if not address.is_global:
        return "not public"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def describe(address: IPAddress, reason: str) -> str:
    """The user's line for a refused address."""
    return (f"the feed URL leads to {address}, a {reason} address: the hub only fetches feeds from public "
            f"addresses (set HUB_FEED_ALLOW_PRIVATE_URLS=true to allow private ones)")
