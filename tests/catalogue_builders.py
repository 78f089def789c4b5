"""Builders of catalogue rows (suppliers, offers, listings, mappings) for routing tests."""

from __future__ import annotations

from decimal import Decimal

from hub.db.engine import Database
from hub.db.models import Listing, Mapping, Offer, Store, Supplier


def store(db: Database, **settings: object) -> int:
    with db.transaction() as session:
        row = Store(platform="shopify", name="Shop", shop_domain="shop.myshopify.com", currency="USD",
                    settings={"routing": settings})
        session.add(row)
        session.flush()
        return row.id


def supplier(db: Database, code: str, *, priority: int = 100, account: str | None = None, kind: str = "sandbox") -> int:
    with db.transaction() as session:
        row = Supplier(code=code, name=code.title(), kind=kind, currency="USD", priority=priority,
                       config={"account": account or code})
        session.add(row)
        session.flush()
        return row.id


def offer(db: Database, supplier_id: int, sku: str, cost: str, *, stock: int = 100, shipping: str = "1.00",
          countries: list[str] | None = None) -> int:
    with db.transaction() as session:
        row = Offer(supplier_id=supplier_id, supplier_sku=sku, cost=Decimal(cost), shipping_cost=Decimal(shipping),
                    currency="USD", stock=stock, countries=countries or [])
        session.add(row)
        session.flush()
        return row.id


def listing(db: Database, store_id: int, sku: str, variant_id: str, *offer_ids: int, price: str = "40.00") -> int:
    with db.transaction() as session:
        row = Listing(store_id=store_id, variant_id=variant_id, sku=sku, price=Decimal(price), currency="USD")
        session.add(row)
        session.flush()
        for priority, offer_id in enumerate(offer_ids):
            session.add(Mapping(listing_id=row.id, offer_id=offer_id, priority=priority, quantity=1))
        return row.id
