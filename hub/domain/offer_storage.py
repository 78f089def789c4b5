"""Feed rows in storage form: the tuple an offer upsert takes, with money as scaled integers.

Pure and stdlib-only, so both the importer (`hub.services.offer_writer`) and the CSV fast path
(`connectors.suppliers.feeds.fastpath`, which may import only `hub.domain`) build the same form.
Money is an integer count of 1/10**STORAGE_DECIMALS units (the database's scaled BIGINT); the
countries are JSON text. `to_params` is the reference conversion: whatever the fast path emits
must equal ``to_params`` of what `RowValidator.validate` gives (a property test checks this).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from hub.domain.catalogue import OfferRow, RowReject
from hub.domain.money import STORAGE_DECIMALS

# (supplier_sku, title, gtin, cost, shipping_cost, currency, stock, countries_json)
OfferParams = tuple[str, str | None, str | None, int, int | None, str, int, str]

MAX_SKU = 255
MAX_TITLE = 1000
FACTOR = Decimal(10) ** STORAGE_DECIMALS
_COUNTRIES_CACHE: dict[tuple[str, ...], str] = {(): "[]"}


def countries_json(codes: tuple[str, ...]) -> str:
    """The JSON text stored for a tuple of country codes (cached: feeds repeat a few lists)."""
    text = _COUNTRIES_CACHE.get(codes)
    if text is None:
        text = json.dumps(list(codes))
        if len(_COUNTRIES_CACHE) < 4096:
            _COUNTRIES_CACHE[codes] = text
    return text


def _inexact(amount: Decimal | None) -> bool:
    return amount is not None and amount * FACTOR != int(amount * FACTOR)


def to_params(offers: Sequence[OfferRow], rejects: list[RowReject]) -> list[OfferParams]:
    """Accepted rows in storage form (money as integer 1/10,000 units); rows the schema cannot
    hold (SKU too long, more than 4 decimals) become rejects, appended to `rejects`.

    One comprehension over tuple indexes, because this runs for every row the fast path did not
    take. The exactness check is per chunk: amounts are never negative, so a fraction truncated
    anywhere makes the sum of the integers smaller than the exact (Decimal) sum of the amounts.
    """
    if offers and max(map(len, [row[1] for row in offers])) > MAX_SKU:
        rejects.extend(RowReject(row.line, "sku", f"SKU longer than {MAX_SKU} characters", row.sku[:MAX_SKU])
                       for row in offers if len(row.sku) > MAX_SKU)
        offers = [row for row in offers if len(row.sku) <= MAX_SKU]
    factor, cached = FACTOR, _COUNTRIES_CACHE.get
    params = [
        (row[1], row[6][:MAX_TITLE] or None, row[7], int(row[3] * factor),
         None if row[5] is None else int(row[5] * factor), row[4], row[2], cached(row[8]) or countries_json(row[8]))
        for row in offers
    ]
    exact = (sum(p[3] for p in params) == sum(row[3] for row in offers) * factor
             and sum(p[4] for p in params if p[4] is not None)
             == sum(row[5] for row in offers if row[5] is not None) * factor)
    if not exact:
        bad = [row for row in offers if _inexact(row.cost) or _inexact(row.shipping_cost)]
        rejects.extend(RowReject(row.line, "cost", f"amount has more than {STORAGE_DECIMALS} decimals", row.sku)
                       for row in bad)
        return to_params([row for row in offers if row not in bad], rejects)
    return params
