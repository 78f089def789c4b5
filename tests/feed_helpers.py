"""Hostile feeds made on the spot (a gzip bomb in milliseconds) and a resolver that never asks DNS."""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Callable, Iterator

PUBLIC = "93.184.216.34"  # stands for a public address: never contacted (respx or a refused connect)
MIB = 1 << 20


def gzip_bomb(size: int, header: bytes = b"sku,qty,price\n") -> bytes:
    """`header`, then `size` bytes of ``a`` without a line break, gzip-compressed about 1000:1.

    Made of one 1 MiB member repeated (gzip allows many members, and readers join them), so a
    256 MiB bomb is 256 KiB and costs nothing to make.
    """
    member = gzip.compress(b"a" * MIB, compresslevel=9)
    return gzip.compress(header) + member * (size // MIB)


@functools.cache
def gzip_bomb_one_member(size: int, header: bytes = b"sku,qty,price\n") -> bytes:
    """The same as one gzip member (what an HTTP client decodes for ``Content-Encoding: gzip``),
    compressed as a stream: memory stays at one block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"a" * MIB
    parts = [compressor.compress(header)]
    parts.extend(compressor.compress(block) for _ in range(size // MIB))
    parts.append(compressor.flush())
    return b"".join(parts)


def static_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering from `table`; other names do not resolve."""
    def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return list(table[host])
    return resolve


def sequence_resolver(answers: list[list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver whose answers change from one lookup to the next (DNS rebinding); the last one sticks."""
    pending: Iterator[list[str]] = iter(answers)
    last: list[list[str]] = [answers[-1]]

    def resolve(_host: str, _port: int) -> list[str]:
        answer = next(pending, last[0])
        return list(answer)
    return resolve
