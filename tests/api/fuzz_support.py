"""A seeded hub for fuzzing the OpenAPI: a store, a supplier with a key and offers, an order.

Used by tests/api/test_fuzz_openapi.py and by `python -m tests.api.fuzz_support` (a seeded server for
long schemathesis runs outside the suite). No network: the Shopify client answers from a stub.
"""

from __future__ import annotations

import io
from decimal import Decimal

import httpx

from connectors.registry import ConnectorRegistry
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.domain.manual_orders import ManualLine, build_manual_order
from hub.services import feeds, stores, suppliers
from hub.services import orders as order_service

SUPPLIER = "acme"


def offline_connectors() -> ConnectorRegistry:
    """Every Shopify call is refused (401), so `POST /stores` with verify=true stays offline and fast."""
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})

    return ConnectorRegistry(shopify_transport=httpx.MockTransport(refuse))


def seed(hub: Hub) -> dict[str, int | str]:
    """Rows behind the 200 paths: store 1, supplier `acme` with a key and a feed run, a manual order."""
    store = stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop="fuzz-shop.myshopify.com", token="shpat_fuzz", verify=False, currency="USD"))
    suppliers.add_supplier(hub.db, SUPPLIER, "Acme", "USD")
    _, key = suppliers.create_key(hub.db, SUPPLIER, "fuzz")
    csv = b"sku,cost,quantity\nMUG-1,4.00,10\nCAP-1,3.50,5\n"
    run = feeds.import_feed(hub, SUPPLIER, io.BytesIO(csv), fmt="csv", source="push")
    order = build_manual_order("FUZZ-1", "USD", [ManualLine("MUG-1", 2, Decimal("12.50"))],
                               {"address1": "5 Elm St", "city": "Boston", "country_code": "US"}, now=utcnow())
    order_id, _ = order_service.create_manual_order(hub.db, order, hub.settings.reporting_currency)
    return {"store_id": int(store["id"]), "supplier": SUPPLIER, "supplier_key": key,
            "feed_run_id": int(run.feed_run_id or 0), "order_id": order_id}


def main() -> None:
    """Serve a seeded hub for `st run`: python -m tests.api.fuzz_support PORT [DATABASE_URL]."""
    import sys
    import tempfile
    from pathlib import Path

    import uvicorn

    from hub.api.app import create_app
    from hub.crypto import TokenCipher
    from hub.db.engine import Database
    from hub.db.migrate import upgrade
    from tests.conftest import make_settings

    port = int(sys.argv[1])
    folder = Path(tempfile.mkdtemp(prefix="hub-fuzz-"))
    database = Database(sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'hub.db'}")
    upgrade(database.engine)
    settings = make_settings(folder)
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()),
              connectors=offline_connectors())
    print(seed(hub), flush=True)
    uvicorn.run(create_app(hub), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
