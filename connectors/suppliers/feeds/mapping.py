"""Which column (or JSON key) holds which field: defaults that recognise common headers, plus
per-supplier overrides (`FeedOptions.columns`).

Header names are compared case-insensitively, ignoring a ``g:`` prefix, surrounding spaces, and
the difference between ``_``, ``-`` and a space (``Variant Inventory Qty`` = ``variant_inventory_qty``).
When several aliases of one field are present, the first in the list below wins (``sku`` over
``id``; ``cost`` over ``price``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.suppliers.feeds.base import FeedFormatError

ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "variant sku", "supplier sku", "item sku", "id", "item id", "product id"),
    "quantity": ("quantity", "qty", "stock", "variant inventory qty", "inventory quantity",
                 "inventory", "stock quantity", "sell on google quantity"),
    "cost": ("cost", "unit cost", "wholesale price", "price", "variant price"),
    "sale_price": ("sale price",),
    "currency": ("currency", "currency code"),
    "shipping": ("shipping", "shipping cost", "shipping price"),
    "gtin": ("gtin", "ean", "upc", "barcode", "variant barcode", "isbn"),
    "title": ("title", "name", "product name"),
    "countries": ("countries", "country", "ship to", "shipping countries"),
    "availability": ("availability", "stock status"),
}


def normalize_name(name: str) -> str:
    """Canonical form of a header name for comparison."""
    key = name.strip().lstrip("\ufeff").lower()
    if key.startswith("g:"):
        key = key[2:]
    return " ".join(key.replace("_", " ").replace("-", " ").split())


def resolve(names: Sequence[str], overrides: Mapping[str, str]) -> dict[str, int]:
    """Field → position in `names`, for the fields present (overrides first, then aliases)."""
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        positions.setdefault(normalize_name(name), i)
    found: dict[str, int] = {}
    for field_name, column in overrides.items():
        key = normalize_name(column)
        if key not in positions:
            raise FeedFormatError(f"column {column!r} mapped to {field_name} is not in the header")
        found[field_name] = positions[key]
    taken = set(found.values())
    for field_name, aliases in ALIASES.items():
        if field_name in found:
            continue
        for alias in aliases:
            pos = positions.get(alias)
            if pos is not None and pos not in taken:
                found[field_name] = pos
                taken.add(pos)
                break
    return found


def require_columns(found: Mapping[str, int], names: Sequence[str]) -> None:
    """Fail fast on a header that cannot give any offer (rather than reject every row)."""
    missing = []
    if "sku" not in found:
        missing.append("a SKU column (sku, Variant SKU, id)")
    if "cost" not in found and "sale_price" not in found:
        missing.append("a price column (price, cost)")
    if "quantity" not in found and "availability" not in found:
        missing.append("a quantity or availability column (quantity, qty, stock, availability)")
    if missing:
        shown = ", ".join(repr(n[:40]) for n in names[:20])
        raise FeedFormatError(f"header lacks {'; '.join(missing)}; header is: {shown}", line=1)
