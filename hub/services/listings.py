"""Store variants as listings, and the mappings that tie each listing to supplier offers.

Automatic mapping runs after every sync and every feed: a listing without mappings gets the
offers whose supplier SKU equals its SKU, else those whose GTIN equals its barcode. Mappings made
by hand are never touched by it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Listing, Mapping, Offer, Store, Supplier
from hub.db.sql import dialect_insert, insert_ignore
from hub.errors import Conflict, NotFound, UserError
from hub.services.stores import credentials

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)
BATCH = 500


def sync_listings(hub: Hub, store_id: int) -> dict[str, int]:
    """Pull every variant of the store into `listings` (upsert by variant id), then auto-map."""
    storefront = hub.connectors.storefront(credentials(hub, store_id))
    with hub.db.transaction() as session:
        currency = session.execute(select(Store.currency).where(Store.id == store_id)).scalar_one()
    seen = 0
    batch: list[dict[str, Any]] = []
    try:
        for variant in storefront.products_and_variants():
            batch.append({"store_id": store_id, "variant_id": variant.variant_id, "product_id": variant.product_id,
                          "inventory_item_id": variant.inventory_item_id, "sku": variant.sku or None,
                          "barcode": variant.barcode or None,
                          "title": f"{variant.product_title} - {variant.title}" if variant.product_title
                          else variant.title, "price": variant.price, "currency": currency})
            if len(batch) >= BATCH:
                seen += _upsert(hub, batch)
                batch = []
        if batch:
            seen += _upsert(hub, batch)
    finally:
        storefront.close()
    with hub.db.transaction() as session:
        mapped = auto_map(session, store_id)
    return {"variants": seen, "mapped": mapped}


def _upsert(hub: Hub, rows: list[dict[str, Any]]) -> int:
    now = utcnow()
    with hub.db.transaction() as session:
        statement = dialect_insert(session, Listing.__table__)  # type: ignore[arg-type]
        statement = statement.on_conflict_do_update(
            index_elements=["store_id", "variant_id"],
            set_={name: statement.excluded[name] for name in
                  ("product_id", "inventory_item_id", "sku", "barcode", "title", "price", "currency")}
            | {"updated_at": now, "active": True})
        session.execute(statement, [{**row, "created_at": now, "updated_at": now, "active": True} for row in rows])
    return len(rows)


def auto_map(session: Session, store_id: int | None = None) -> int:
    """Map unmapped listings to offers by SKU, then by GTIN; returns mappings created."""
    unmapped = select(Listing).where(Listing.active.is_(True), ~exists().where(Mapping.listing_id == Listing.id))
    if store_id is not None:
        unmapped = unmapped.where(Listing.store_id == store_id)
    rows: list[dict[str, Any]] = []
    now = utcnow()
    listings = session.execute(unmapped).scalars().all()
    skus = {listing.sku for listing in listings if listing.sku}
    barcodes = {listing.barcode for listing in listings if listing.barcode}
    by_sku: dict[str, list[int]] = {}
    by_gtin: dict[str, list[int]] = {}
    ranked = (select(Offer.id, Offer.supplier_sku, Offer.gtin).join(Supplier, Supplier.id == Offer.supplier_id)
              .order_by(Supplier.priority, Supplier.id, Offer.id))
    if skus:
        for offer_id, sku, _ in session.execute(ranked.where(Offer.supplier_sku.in_(skus))):
            by_sku.setdefault(sku, []).append(offer_id)
    if barcodes:
        for offer_id, _, gtin in session.execute(ranked.where(Offer.gtin.in_(barcodes))):
            by_gtin.setdefault(gtin or "", []).append(offer_id)
    for listing in listings:
        offers, source = by_sku.get(listing.sku or "", []), "sku"
        if not offers:
            offers, source = by_gtin.get(listing.barcode or "", []), "gtin"
        # One priority per offer (fallbacks in supplier order): equal priorities would make a bundle.
        rows += [{"listing_id": listing.id, "offer_id": offer_id, "priority": rank, "quantity": 1, "source": source,
                  "created_at": now} for rank, offer_id in enumerate(offers)]
    return insert_ignore(session, Mapping.__table__, rows, conflict=["listing_id", "offer_id"])  # type: ignore[arg-type]


def _listing_by_sku(session: Session, sku: str, store_id: int | None) -> Listing:
    query = select(Listing).where(Listing.sku == sku)
    if store_id is not None:
        query = query.where(Listing.store_id == store_id)
    found = session.execute(query).scalars().all()
    if not found:
        raise NotFound(f"no store listing with SKU {sku!r}")
    if len(found) > 1:
        raise UserError(f"SKU {sku!r} is listed in {len(found)} stores: name the store")
    return found[0]


def add_mapping(hub: Hub, store_sku: str, supplier_ref: str, *, priority: int | None = None, quantity: int = 1,
                store_id: int | None = None) -> dict[str, Any]:
    """Map a listing (by its SKU) to a supplier offer given as `SUPPLIER_CODE:SUPPLIER_SKU`.

    Without a priority the mapping becomes the listing's next fallback; giving the priority of an
    existing mapping makes the two one bundle (both ship for each unit sold)."""
    with hub.db.transaction() as session:
        return _map(session, _listing_by_sku(session, store_sku, store_id), supplier_ref, priority, quantity)


def map_listing(hub: Hub, listing_id: int, supplier_ref: str, *, priority: int | None = None,
                quantity: int = 1) -> dict[str, Any]:
    """`add_mapping` for a listing named by its id (the catalogue page: a listing may have no SKU)."""
    with hub.db.transaction() as session:
        listing = session.get(Listing, listing_id)
        if listing is None:
            raise NotFound(f"listing {listing_id} not found")
        return _map(session, listing, supplier_ref, priority, quantity)


def _map(session: Session, listing: Listing, supplier_ref: str, priority: int | None, quantity: int
         ) -> dict[str, Any]:
    """The one set of rules for a new mapping, whichever entry point names the listing."""
    code, _, supplier_sku = supplier_ref.strip().partition(":")
    if not code or not supplier_sku:
        raise UserError(f"expected SUPPLIER:SKU, got {supplier_ref!r}")
    if quantity < 1:
        raise UserError("--qty must be at least 1")
    offer = session.execute(select(Offer).join(Supplier, Supplier.id == Offer.supplier_id).where(
        Supplier.code == code, Offer.supplier_sku == supplier_sku)).scalar_one_or_none()
    if offer is None:
        raise NotFound(f"supplier {code!r} has no offer {supplier_sku!r}")
    if session.execute(select(Mapping.id).where(Mapping.listing_id == listing.id,
                                                Mapping.offer_id == offer.id)).first():
        raise Conflict(f"{listing.sku or listing.title or listing.id} is already mapped to {code}:{supplier_sku}")
    if priority is None:
        highest = session.execute(select(func.max(Mapping.priority)).where(Mapping.listing_id == listing.id)
                                  ).scalar_one()
        priority = 0 if highest is None else highest + 1
    mapping = Mapping(listing_id=listing.id, offer_id=offer.id, priority=priority, quantity=quantity,
                      source="manual")
    session.add(mapping)
    session.flush()
    return mapping_view(mapping, listing, offer, code)


def mapping_view(mapping: Mapping, listing: Listing, offer: Offer, code: str) -> dict[str, Any]:
    return {"id": mapping.id, "listing_id": listing.id, "store_id": listing.store_id, "store_sku": listing.sku,
            "supplier": code, "supplier_sku": offer.supplier_sku, "offer_id": offer.id, "priority": mapping.priority,
            "quantity": mapping.quantity, "source": mapping.source}


def list_mappings(hub: Hub, store_sku: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    query = (select(Mapping, Listing, Offer, Supplier.code).join(Listing, Listing.id == Mapping.listing_id)
             .join(Offer, Offer.id == Mapping.offer_id).join(Supplier, Supplier.id == Offer.supplier_id)
             .order_by(Listing.id, Mapping.priority, Mapping.id).limit(limit))
    if store_sku:
        query = query.where(Listing.sku == store_sku)
    with hub.db.transaction() as session:
        return [mapping_view(m, listing, offer, code) for m, listing, offer, code in session.execute(query).all()]


def remove_mapping(hub: Hub, mapping_id: int) -> None:
    with hub.db.transaction() as session:
        mapping = session.get(Mapping, mapping_id)
        if mapping is None:
            raise NotFound(f"mapping {mapping_id} not found")
        session.delete(mapping)
