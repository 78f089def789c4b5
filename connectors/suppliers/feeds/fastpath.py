"""Column-wise validation of a batch of clean CSV rows: the fast path for the common feed.

Most batches of a real feed are entirely valid. For those, the per-row checks of
`RowValidator.validate` can run column by column with C-level ``map``/``min``/``max`` instead of one
Python call per row, which is what keeps a million-row feed near the speed of `csv.reader`.
Any doubt (an invalid value, a duplicate, a column this path does not handle such as
``availability`` or ``sale_price``) returns None and the caller validates the batch row by row,
so the results are always exactly `RowValidator.validate`'s (a property test checks this).

Two outputs: `validate_batch` gives `OfferRow` objects (what every parser yields), `store_batch`
gives the rows in storage form, equal to ``to_params`` of those OfferRows, for the importer: no
Decimal, no OfferRow, no second pass over the rows (see `amounts.scaled_amounts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import getitem
from typing import NamedTuple

from connectors.suppliers.feeds.amounts import decimal_amounts, scaled_amounts
from hub.domain.catalogue import GTIN_LENGTHS, IN_STOCK, MAX_QUANTITY, MIN_AMOUNT, OUT_OF_STOCK, OfferRow, RowValidator
from hub.domain.offer_storage import MAX_SKU, MAX_TITLE, OfferParams, countries_json

_ZERO = Decimal(0)
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_NONZERO_MOD10 = bytes(0 if value % 10 == 0 else 1 for value in range(256))
_new_offer = partial(tuple.__new__, OfferRow)
_TITLE_SLICE = slice(0, MAX_TITLE)

# Fields (positions in catalogue.FIELDS) this path cannot take: sale_price, availability.
_UNSUPPORTED = ("sale_price", "availability")


def supported(found: dict[str, int]) -> bool:
    """Whether batches of a feed with these columns can take the fast path at all."""
    return not any(name in found for name in _UNSUPPORTED) and "quantity" in found


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


class _Columns(NamedTuple):
    """The columns of a batch that passed the checks both outputs share (money is judged apart)."""

    raw: list[tuple[str, ...]]
    skus: list[str]
    quantities: list[int]
    currencies: list[str]
    gtins: Sequence[str | None] | None  # None: no GTIN column
    countries: tuple[str, ...] | None  # the raw column; None: no countries column
    country_codes: dict[str, tuple[str, ...]]
    titles: list[str] | None  # stripped; None: no title column


def _judge(validator: RowValidator, rows: list[list[str]], found: dict[str, int]) -> _Columns | None:
    """SKUs, quantities, currencies, GTINs and countries of `rows` if all valid, else None."""
    n = len(rows)
    columns = list(zip(*rows, strict=True))
    skus = list(map(str.strip, columns[found["sku"]]))
    if not all(skus) or len(set(skus)) != n or not validator.seen.keys().isdisjoint(skus):
        return None
    try:
        quantities = list(map(int, columns[found["quantity"]]))
    except ValueError:
        return None
    if min(quantities) < 0 or max(quantities) > MAX_QUANTITY:
        return None

    if "currency" in found:
        currency_column = columns[found["currency"]]
        known = validator.currency_codes
        mapping = {raw: known.get(raw) for raw in set(currency_column)}
        if not all(mapping.values()):
            return None
        if len(mapping) == 1:  # the usual feed: one currency throughout
            currencies: list[str] = [mapping[currency_column[0]]] * n  # type: ignore[list-item]
        else:
            currencies = list(map(mapping.__getitem__, currency_column))  # type: ignore[arg-type]
    elif validator.options.currency:
        currencies = [validator.options.currency] * n
    else:
        return None

    gtins: Sequence[str | None] | None = None
    if "gtin" in found:
        stripped = list(map(str.strip, columns[found["gtin"]]))
        if not _gtins_valid(list(filter(None, stripped))):
            return None
        gtins = stripped if all(stripped) else [gtin or None for gtin in stripped]

    country_column: tuple[str, ...] | None = None
    country_codes: dict[str, tuple[str, ...]] = {}
    if "countries" in found:
        country_column = columns[found["countries"]]
        for raw in set(country_column):
            codes = validator.clean_countries(raw)
            if codes is None:  # an invalid code: the row-by-row path warns about it
                return None
            country_codes[raw] = codes

    titles = list(map(str.strip, columns[found["title"]])) if "title" in found else None
    return _Columns(columns, skus, quantities, currencies, gtins, country_column, country_codes, titles)


def validate_batch(
    validator: RowValidator, lines: list[int], rows: list[list[str]], found: dict[str, int]
) -> list[OfferRow] | None:
    """Offers for `rows` (all of header width) if every row is valid, else None (nothing recorded)."""
    n = len(rows)
    if not n:
        return []
    judged = _judge(validator, rows, found)
    if judged is None:
        return None
    prices = decimal_amounts(judged.raw[found["cost"]], MIN_AMOUNT)
    if prices is None:
        return None
    shipping: list[Decimal | None] = [None] * n
    if "shipping" in found:
        texts = judged.raw[found["shipping"]]
        if all(texts):
            values = decimal_amounts(texts, _ZERO)
            if values is None:
                return None
            shipping = list(values)
        elif any(texts):
            values = decimal_amounts([text or "0" for text in texts], _ZERO)
            if values is None:
                return None
            shipping = [value if text else None for value, text in zip(values, texts, strict=True)]

    gtins = judged.gtins or [None] * n
    countries: Iterable[tuple[str, ...]] = repeat(())
    if judged.countries is not None:
        countries = map(judged.country_codes.__getitem__, judged.countries)
    titles = judged.titles or [""] * n
    availability = [IN_STOCK if q else OUT_OF_STOCK for q in judged.quantities]
    validator.seen.update(zip(judged.skus, lines, strict=True))
    return list(map(_new_offer, zip(  # not strict: a column absent from the feed is a repeat()
        lines, judged.skus, judged.quantities, prices, judged.currencies, shipping, titles, gtins, countries,
        availability, strict=False,
    )))


def store_batch(
    validator: RowValidator, lines: list[int], rows: list[list[str]], found: dict[str, int]
) -> list[OfferParams] | None:
    """The rows in storage form if every row is valid and storable, else None (nothing recorded).

    Exactly ``to_params(validate_batch(...), [])``, built from the columns without either.
    """
    n = len(rows)
    if not n:
        return []
    judged = _judge(validator, rows, found)
    if judged is None or max(map(len, judged.skus)) > MAX_SKU:  # too long: to_params's reject
        return None
    costs = scaled_amounts(judged.raw[found["cost"]], positive=True)
    if costs is None:
        return None
    shipping: Iterable[int | None] = repeat(None)
    if "shipping" in found:
        units = _shipping_units(judged.raw[found["shipping"]])
        if units is None:
            return None
        shipping = units

    gtins: Iterable[str | None] = repeat(None) if judged.gtins is None else judged.gtins
    countries: Iterable[str] = repeat("[]")
    if judged.countries is not None:
        stored = {raw: countries_json(codes) for raw, codes in judged.country_codes.items()}
        countries = map(stored.__getitem__, judged.countries)
    titles: Iterable[str | None] = repeat(None)
    if judged.titles is not None:
        texts = judged.titles
        if max(map(len, texts)) > MAX_TITLE:
            texts = list(map(getitem, texts, repeat(_TITLE_SLICE)))
        titles = texts if all(texts) else [title or None for title in texts]
    validator.seen.update(zip(judged.skus, lines, strict=True))
    # Not strict: a column absent from the feed is a repeat() of its stored default.
    return list(zip(judged.skus, titles, gtins, costs, shipping, judged.currencies, judged.quantities, countries,
                    strict=False))


def _shipping_units(texts: Sequence[str]) -> Sequence[int | None] | None:
    """Shipping in storage units, None where the field is empty; None if any value is invalid."""
    if all(texts):
        return scaled_amounts(texts, positive=False)
    keys = [text for text in set(texts) if text]
    values = scaled_amounts(keys, positive=False)
    if values is None:
        return None
    table: dict[str, int | None] = dict(zip(keys, values, strict=True))
    table[""] = None
    return list(map(table.__getitem__, texts))
