"""Feed URL rules: http(s) only, every address the host leads to public (no DNS: resolvers are fakes)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.url_guard import UrlGuard
from hub.domain.feed_urls import UrlRefused, address_refusal, parse_feed_url

PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError("name does not resolve")
        return table[host]
    return resolve


GUARD = UrlGuard(resolver=resolver({
    "feeds.example.com": [PUBLIC],
    "rebind.example.com": [PUBLIC, "127.0.0.1"],  # one bad address is enough to refuse
    "internal.example.com": ["10.1.2.3"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "mapped.example.com": ["::ffff:169.254.169.254"],
}))

REFUSED = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/feed.csv", "loopback"),
    ("http://10.0.0.1/feed.csv", "private"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]:8080/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "not public"),
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 of 127.0.0.1
    ("http://2130706433/", "loopback"),  # 127.0.0.1 as one number
    ("http://0x7f.1/", "loopback"),
    ("http://localhost:8000/feed.csv", "loopback"),
    ("http://LOCALHOST./", "loopback"),
    ("http://hub.localhost/", "loopback"),
    ("https://internal.example.com/feed.xml", "private"),
    ("https://rebind.example.com/feed.xml", "loopback"),
    ("https://mapped.example.com/", "link-local"),
    ("https://user:pw@127.0.0.1/", "loopback"),
    ("ftp://feeds.example.com/feed.csv", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
    ("gopher://feeds.example.com/", "http:// or https://"),
    ("feeds.example.com/feed.csv", "http:// or https://"),
    ("http:///feed.csv", "no host"),
    ("http://feeds.example.com:99999/", "malformed"),
    ("http://feeds.example.com\\@127.0.0.1/", "backslashes"),
    ("http://nosuch.example.com/", "does not resolve"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused, match=reason):
        GUARD.check(url)


@pytest.mark.parametrize("url", ["https://feeds.example.com/feed.xml", "http://feeds.example.com:8080/a?b=c",
                                 "HTTPS://FEEDS.EXAMPLE.COM/x", "https://v6.example.com/", f"http://{PUBLIC}/",
                                 "https://user:secret@feeds.example.com/feed.csv"])
def test_public_urls_pass(url: str) -> None:
    assert GUARD.check(url).host in ("feeds.example.com", "v6.example.com", PUBLIC)


def test_allow_private_keeps_the_scheme_rule_only() -> None:
    guard = UrlGuard(allow_private=True, resolver=resolver({}))
    for url in ("http://127.0.0.1:5432/", "http://[::1]/", "http://localhost/", "http://anything.internal/"):
        guard.check(url)
    with pytest.raises(UrlRefused, match="http:// or https://"):
        guard.check("file:///etc/passwd")


# Property tests --------------------------------------------------------------------------------

NOT_PUBLIC = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8")]


def _in(network: ipaddress.IPv4Network | ipaddress.IPv6Network):  # type: ignore[no-untyped-def]
    size = network.num_addresses
    return st.integers(0, size - 1).map(lambda i: network[i])


internal_addresses = st.sampled_from(NOT_PUBLIC).flatmap(_in)


def _url_for(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int | None, path: str) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}{'' if port is None else f':{port}'}/{path}"


paths = st.text(st.sampled_from("abc/._-?=&%0123"), max_size=20)
ports = st.none() | st.integers(1, 65535)


@settings(max_examples=300, deadline=None)
@given(internal_addresses, ports, paths)
def test_internal_addresses_are_refused_in_every_spelling(address: ipaddress.IPv4Address | ipaddress.IPv6Address,
                                                          port: int | None, path: str) -> None:
    spellings = [_url_for(address, port, path)]
    if address.version == 4:
        spellings.append(_url_for(ipaddress.IPv6Address(f"::ffff:{address}"), port, path))  # IPv4-mapped
        spellings.append(f"http://{int(address)}/{path}")  # one decimal number, as inet_aton reads it
    for url in spellings:
        with pytest.raises(UrlRefused):
            GUARD.check(url)
        named = UrlGuard(resolver=resolver({"feeds.example.net": [str(address)]}))
        with pytest.raises(UrlRefused):  # the same address behind a host name
            named.check(url.replace(url.split("/")[2], "feeds.example.net"))


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses())
def test_verdict_is_the_public_rule(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    verdict = address_refusal(address)
    if any(address in network for network in NOT_PUBLIC if network.version == address.version):
        assert verdict is not None
    if verdict is None:
        assert address.is_global and not address.is_multicast
    if address.version == 4:  # IPv4-mapped IPv6 is judged as the IPv4 address it carries
        mapped = ipaddress.IPv6Address(f"::ffff:{address}")
        if verdict is not None:
            assert address_refusal(mapped) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_url_or_a_clear_refusal(text: str) -> None:
    try:
        parsed = parse_feed_url(text)
    except UrlRefused as exc:
        assert str(exc)
        return
    assert parsed.scheme in ("http", "https") and parsed.host and 0 < parsed.port < 65536


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["http", "https"]), st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(com|net|org)", fullmatch=True),
       ports, paths)
def test_public_hosts_pass_and_keep_their_parts(scheme: str, host: str, port: int | None, path: str) -> None:
    guard = UrlGuard(resolver=lambda name, _port: [PUBLIC] if name == host else [])
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}/{path}"
    parsed = guard.check(url)
    assert (parsed.scheme, parsed.host) == (scheme, host)
    assert parsed.port == (port if port is not None else (443 if scheme == "https" else 80))
