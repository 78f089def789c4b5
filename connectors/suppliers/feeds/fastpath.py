"""Column-wise validation of a batch of clean CSV rows: the fast path for the common feed.

Most batches of a real feed are entirely valid. For those, the per-row checks of
`RowValidator.validate` can run column by column with C-level ``map``/``min``/``max`` instead of one
Python call per row, which is what keeps a million-row feed near the speed of `csv.reader`.
Any doubt (an invalid value, a duplicate, a column this path does not handle such as
``availability`` or ``sale_price``) returns None and the caller validates the batch row by row,
so the results are always exactly `RowValidator.validate`'s (a property test checks this).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import repeat
from operator import itemgetter, sub

from hub.domain.catalogue import (
    GTIN_LENGTHS,
    IN_STOCK,
    MAX_AMOUNT,
    MAX_QUANTITY,
    MIN_AMOUNT,
    OUT_OF_STOCK,
    OfferRow,
    RowValidator,
)
from hub.domain.money import STORAGE_DECIMALS

_ZERO = Decimal(0)
_MAX_INTEGER_DIGITS = len(str(int(MAX_AMOUNT))) - 1
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_NONZERO_MOD10 = bytes(0 if value % 10 == 0 else 1 for value in range(256))
_new_offer = partial(tuple.__new__, OfferRow)

# Fields (positions in catalogue.FIELDS) this path cannot take: sale_price, availability.
_UNSUPPORTED = ("sale_price", "availability")


def supported(found: dict[str, int]) -> bool:
    """Whether batches of a feed with these columns can take the fast path at all."""
    return not any(name in found for name in _UNSUPPORTED) and "quantity" in found


def _amounts(texts: Sequence[str], minimum: Decimal) -> list[Decimal] | None:
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


def _gtins_valid(gtins: list[str]) -> bool:
    """All GTIN-8/12/13/14 with a right check digit, checked for the whole batch at C speed.

    Each GTIN is zero-padded to 14 digits; column j of the batch (digit j of every GTIN) is read
    as one big base-256 integer, so a weighted sum of 14 such integers computes every GTIN's
    weighted digit sum at once (at most 9 * 28 = 252 per GTIN: no carry between them).
    """
    count = len(gtins)
    if not count:
        return True
    if not set(map(len, gtins)) <= GTIN_LENGTHS:
        return False
    joined = "".join(map(str.zfill, gtins, repeat(14)))
    if not (joined.isascii() and joined.isdigit()):
        return False
    digits = joined.encode().translate(_DIGIT_VALUES)
    total = 0
    for j in range(14):
        total += (3 if j % 2 == 0 and j < 13 else 1) * int.from_bytes(digits[j::14], "big")
    return not total.to_bytes(count, "big").translate(_NONZERO_MOD10).strip(b"\x00")


def validate_batch(
    validator: RowValidator, lines: list[int], rows: list[list[str]], found: dict[str, int]
) -> list[OfferRow] | None:
    """Offers for `rows` (all of header width) if every row is valid, else None (nothing recorded)."""
    n = len(rows)
    if not n:
        return []
    columns = list(zip(*rows, strict=True))
    skus = list(map(str.strip, columns[found["sku"]]))
    seen = validator.seen
    if not all(skus) or len(set(skus)) != n or not seen.keys().isdisjoint(skus):
        return None
    try:
        quantities = list(map(int, columns[found["quantity"]]))
    except ValueError:
        return None
    if min(quantities) < 0 or max(quantities) > MAX_QUANTITY:
        return None
    prices = _amounts(columns[found["cost"]], MIN_AMOUNT)
    if prices is None:
        return None

    if "currency" in found:
        currency_column = columns[found["currency"]]
        known = validator.currency_codes
        mapping = {raw: known.get(raw) for raw in set(currency_column)}
        if not all(mapping.values()):
            return None
        currencies: list[str] = list(map(mapping.__getitem__, currency_column))  # type: ignore[arg-type]
    elif validator.options.currency:
        currencies = [validator.options.currency] * n
    else:
        return None

    shipping: list[Decimal | None] = [None] * n
    if "shipping" in found:
        texts = columns[found["shipping"]]
        if all(texts):
            values = _amounts(texts, _ZERO)
            if values is None:
                return None
            shipping = list(values)
        elif any(texts):
            values = _amounts([text or "0" for text in texts], _ZERO)
            if values is None:
                return None
            shipping = [value if text else None for value, text in zip(values, texts, strict=True)]

    gtins: list[str | None] = [None] * n
    if "gtin" in found:
        stripped = list(map(str.strip, columns[found["gtin"]]))
        if not _gtins_valid(list(filter(None, stripped))):
            return None
        gtins = [gtin or None for gtin in stripped]

    if "countries" in found:
        country_column = columns[found["countries"]]
        cache = validator.known_countries
        country_map = {raw: cache.get(raw) for raw in set(country_column)}
        if any(codes is None for codes in country_map.values()):
            return None
        countries = list(map(country_map.__getitem__, country_column))
    else:
        countries = [()] * n

    titles = list(map(str.strip, columns[found["title"]])) if "title" in found else [""] * n
    availability = [IN_STOCK if q else OUT_OF_STOCK for q in quantities]
    seen.update(zip(skus, lines, strict=True))
    return list(map(_new_offer, zip(
        lines, skus, quantities, prices, currencies, shipping, titles, gtins, countries, availability,
        strict=True,
    )))
