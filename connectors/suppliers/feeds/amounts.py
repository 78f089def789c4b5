"""Amount columns of a clean CSV batch, judged together: as Decimals, or straight to storage units.

`decimal_amounts` gives what `RowValidator.validate` would (Decimal of the text) for a column of
plain amounts. `scaled_amounts` gives the stored form (integer 1/10**STORAGE_DECIMALS units, what
`to_params` makes of those Decimals) without building a Decimal: for the amounts feeds write
(``12.30``, ``5``, ``0.0001``) a regular expression over the joined column proves every value is
ASCII digits with at most STORAGE_DECIMALS decimals, and then the digits *are* the units once
padded to STORAGE_DECIMALS places. Anything else valid (spaces, ``+``, ``5.``) takes the Decimal
route. None means "not all valid": the caller validates row by row, which gives the reasons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import itemgetter, mul, sub

from hub.domain.catalogue import MAX_AMOUNT, MIN_AMOUNT
from hub.domain.money import STORAGE_DECIMALS
from hub.domain.offer_storage import FACTOR

_ZERO = Decimal(0)
_MAX_INTEGER_DIGITS = len(str(int(MAX_AMOUNT))) - 1
_MAX_UNITS = int(MAX_AMOUNT * FACTOR)
_DIGITS = r"[0-9]+"  # not \d: that also matches non-ASCII digits, which int() would read
# Every value with exactly k decimals (k = 0: integers), joined by ",".
_UNIFORM = {
    k: re.compile(rf"{_DIGITS}\.[0-9]{{{k}}}(?:,{_DIGITS}\.[0-9]{{{k}}})*" if k else rf"{_DIGITS}(?:,{_DIGITS})*")
    for k in range(STORAGE_DECIMALS + 1)
}
_VALUE = rf"{_DIGITS}(?:\.[0-9]{{1,{STORAGE_DECIMALS}}})?"
_MIXED = re.compile(rf"{_VALUE}(?:,{_VALUE})*")
_SCALE = tuple(10 ** (STORAGE_DECIMALS - k) for k in range(STORAGE_DECIMALS + 1))


def decimal_amounts(texts: Sequence[str], minimum: Decimal) -> list[Decimal] | None:
    """Exact amounts in [minimum, MAX_AMOUNT] with at most STORAGE_DECIMALS decimals, or None.

    Judged on the text, in C: only digits, ``.``, ``+`` and spaces (no sign, exponent, NaN or
    Infinity); at most 12 integer digits (< MAX_AMOUNT); a short enough fraction; non-zero when
    `minimum` > 0. `Decimal` then refuses anything malformed ("1.2.3").
    """
    try:
        if "".join(texts).encode("ascii").translate(None, b"0123456789.+ "):
            return None
    except UnicodeEncodeError:
        return None
    dots = list(map(str.rfind, texts, repeat(".")))
    # Common case, no tuple per value: every value has a dot, <= 4 characters after it and
    # <= 12 before it. Otherwise split each value and measure exactly.
    if not (
        dots
        and min(dots) >= 0
        and max(map(sub, map(len, texts), dots)) <= STORAGE_DECIMALS + 1
        and max(dots) <= _MAX_INTEGER_DIGITS
    ):
        parts = list(map(str.partition, texts, repeat(".")))
        if max(map(len, map(str.rstrip, map(itemgetter(2), parts))), default=0) > STORAGE_DECIMALS:
            return None
        if max(map(len, map(str.strip, map(itemgetter(0), parts))), default=0) > _MAX_INTEGER_DIGITS:
            return None
    if minimum and not all(map(str.strip, texts, repeat(" +0."))):
        return None
    try:
        return list(map(Decimal, texts))
    except InvalidOperation:
        return None


def scaled_amounts(texts: Sequence[str], *, positive: bool) -> list[int] | None:
    """Storage units of amounts in [1 unit if `positive` else 0, MAX_AMOUNT], or None.

    Equal, value for value, to ``int(Decimal(text) * FACTOR)`` of what `decimal_amounts` accepts.
    A column with few distinct values (shipping, round prices) is converted once per value.
    """
    count = len(texts)
    if not count:
        return []
    distinct = set(texts)
    if len(distinct) * 4 <= count:
        keys = list(distinct)
        values = _units(keys, positive)
        if values is None:
            return None
        if len(values) == 1:  # one value throughout: a list product, no lookups
            return values * count
        return list(map(dict(zip(keys, values, strict=True)).__getitem__, texts))
    return _units(texts, positive)


def _units(texts: Sequence[str], positive: bool) -> list[int] | None:
    values = _plain_units(texts)
    if values is None:
        decimals = decimal_amounts(texts, MIN_AMOUNT if positive else _ZERO)
        if decimals is None:
            return None
        values = [int(amount * FACTOR) for amount in decimals]
        if sum(values) != sum(decimals) * FACTOR:  # cannot happen (<= 4 decimals); never truncate money
            return None
    if min(values) < (1 if positive else 0) or max(values) > _MAX_UNITS:
        return None
    return values


def _plain_units(texts: Sequence[str]) -> list[int] | None:
    """Units of values that are all ASCII digits with an optional ``.`` and 1-4 decimals, else None.

    The usual column has one number of decimals throughout: padded to STORAGE_DECIMALS zeros and
    with the dots dropped, its text parses straight to units. A mixed column scales each value.
    """
    joined = ",".join(texts)
    first = texts[0]
    dot = first.rfind(".")
    uniform = _UNIFORM.get(len(first) - dot - 1 if dot >= 0 else 0)
    try:
        if uniform is not None and uniform.fullmatch(joined):
            pad = "0" * (STORAGE_DECIMALS - (len(first) - dot - 1 if dot >= 0 else 0))
            parts = ((pad + ",").join(texts) + pad).replace(".", "").split(",")
            # A "," inside a value would shift every value after it: the count catches that.
            return list(map(int, parts)) if len(parts) == len(texts) else None
        if not _MIXED.fullmatch(joined):
            return None
        parts = joined.split(",")
        if len(parts) != len(texts):
            return None
        decimals = map(len, map(itemgetter(2), map(str.partition, parts, repeat("."))))
        return list(map(mul, map(int, map(str.replace, parts, repeat("."), repeat(""))),
                        map(_SCALE.__getitem__, decimals)))
    except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits): far too large anyway
        return None
