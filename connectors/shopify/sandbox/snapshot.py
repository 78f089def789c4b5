"""The sandbox shop's records as plain JSON and back, for the state file of `hub run --sandbox`.

Records point at each other (a line at its variant, a fulfillment order line at its line, a payout
at orders' transactions); the JSON holds ids instead and `load` links the same objects again.
Amounts are decimal strings, times ISO 8601 with their offset.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.shopify.sandbox import data as d

Json = dict[str, Any]


def rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_rng_state(rng: random.Random, state: list[Any]) -> None:
    version, internal, gauss = state
    rng.setstate((int(version), tuple(int(x) for x in internal), gauss))


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return parsed


def _m(value: Decimal) -> str:
    return format(value, "f")


def _transaction(t: d.Transaction) -> Json:
    return {"id": t.id, "kind": t.kind, "status": t.status, "amount": _m(t.amount), "fee": _m(t.fee),
            "processed_at": _t(t.processed_at), "parent_id": t.parent_id}


def _order(o: d.Order) -> Json:
    return {
        "id": o.id, "number": o.number, "created_at": _t(o.created_at), "updated_at": _t(o.updated_at),
        "email": o.email, "customer_name": o.customer_name, "place": list(o.place),
        "lines": [{"id": ln.id, "variant": ln.variant.id, "quantity": ln.quantity, "price": _m(ln.price),
                   "discount": _m(ln.discount)} for ln in o.lines],
        "shipping": _m(o.shipping), "tax": _m(o.tax), "currency": o.currency, "tags": o.tags,
        "transactions": [_transaction(t) for t in o.transactions],
        "fulfillment_orders": [{"id": fo.id, "location_id": fo.location_id, "status": fo.status,
                                "lines": [[fl.id, fl.line.id, fl.remaining] for fl in fo.lines]}
                               for fo in o.fulfillment_orders],
        "fulfillments": [{"id": f.id, "status": f.status, "company": f.company, "number": f.number,
                          "url": f.url, "created_at": _t(f.created_at)} for f in o.fulfillments],
        "financial_status": o.financial_status, "cancelled_at": _t(o.cancelled_at),
        "order_discount": _m(o.order_discount),
        "refunds": [{"id": r.id, "created_at": _t(r.created_at), "shipping": _m(r.shipping),
                     "shipping_tax": _m(r.shipping_tax), "adjustment": _m(r.adjustment),
                     "transaction": r.transaction.id,
                     "lines": [{"id": rl.id, "line": rl.line.id, "quantity": rl.quantity,
                                "subtotal": _m(rl.subtotal), "tax": _m(rl.tax)} for rl in r.lines]}
                    for r in o.refunds],
    }


def dump(shop: d.ShopData) -> Json:
    """Everything that changes in a shop (the catalogue too: prices and stock move)."""
    return {
        "next_id": shop._next_id,
        "order_number": shop._order_number,
        "rng": rng_state(shop.rng),
        "locations": [[loc.id, loc.name, loc.country] for loc in shop.locations],
        "variants": [{"id": v.id, "product_id": v.product_id, "product_title": v.product_title, "title": v.title,
                      "sku": v.sku, "barcode": v.barcode, "price": _m(v.price),
                      "inventory_item_id": v.inventory_item_id} for v in shop.variants],
        "inventory": [[item, location, quantity] for (item, location), quantity in shop.inventory.items()],
        "orders": [_order(o) for o in shop.orders],
        "payouts": [{"id": p.id, "issued_at": _t(p.issued_at), "status": p.status,
                     "transactions": [[o.id, t.id] for o, t in p.transactions]} for p in shop.payouts],
        "webhooks": [[w.id, w.topic, w.callback_url] for w in shop.webhooks],
        "idempotency": shop.idempotency,
    }


def _load_order(raw: Json, variants: dict[int, d.Variant]) -> d.Order:
    lines = [d.Line(int(ln["id"]), variants[int(ln["variant"])], int(ln["quantity"]), Decimal(ln["price"]),
                    Decimal(ln["discount"])) for ln in raw["lines"]]
    by_line = {ln.id: ln for ln in lines}
    transactions = [d.Transaction(int(t["id"]), t["kind"], t["status"], Decimal(t["amount"]), Decimal(t["fee"]),
                                  _time(t["processed_at"]), t["parent_id"]) for t in raw["transactions"]]
    by_transaction = {t.id: t for t in transactions}
    city, country, province, zip_code = raw["place"]
    return d.Order(
        id=int(raw["id"]), number=int(raw["number"]), created_at=_time(raw["created_at"]),
        updated_at=_time(raw["updated_at"]), email=raw["email"], customer_name=raw["customer_name"],
        place=(city, country, province, zip_code), lines=lines, shipping=Decimal(raw["shipping"]),
        tax=Decimal(raw["tax"]), currency=raw["currency"], tags=list(raw["tags"]), transactions=transactions,
        fulfillment_orders=[d.FulfillmentOrder(int(fo["id"]), int(fo["location_id"]),
                                               [d.FulfillmentOrderLine(int(i), by_line[int(line)], int(remaining))
                                                for i, line, remaining in fo["lines"]], fo["status"])
                            for fo in raw["fulfillment_orders"]],
        fulfillments=[d.Fulfillment(int(f["id"]), int(raw["id"]), f["status"], f["company"], f["number"], f["url"],
                                    _time(f["created_at"])) for f in raw["fulfillments"]],
        financial_status=raw["financial_status"],
        cancelled_at=None if raw["cancelled_at"] is None else _time(raw["cancelled_at"]),
        order_discount=Decimal(raw["order_discount"]),
        refunds=[d.Refund(int(r["id"]), _time(r["created_at"]),
                          [d.RefundLine(int(rl["id"]), by_line[int(rl["line"])], int(rl["quantity"]),
                                        Decimal(rl["subtotal"]), Decimal(rl["tax"])) for rl in r["lines"]],
                          Decimal(r["shipping"]), Decimal(r["shipping_tax"]), Decimal(r["adjustment"]),
                          by_transaction[int(r["transaction"])]) for r in raw["refunds"]],
    )


def load(shop: d.ShopData, state: Json) -> None:
    """Replace the shop's records with a dumped state (ValueError, KeyError or TypeError when malformed)."""
    shop.locations = [d.Location(int(i), str(name), str(country)) for i, name, country in state["locations"]]
    shop.variants = [d.Variant(int(v["id"]), int(v["product_id"]), v["product_title"], v["title"], v["sku"],
                               v["barcode"], Decimal(v["price"]), int(v["inventory_item_id"]))
                     for v in state["variants"]]
    variants = {v.id: v for v in shop.variants}
    shop.inventory = {(int(item), int(location)): int(quantity) for item, location, quantity in state["inventory"]}
    shop.orders = [_load_order(raw, variants) for raw in state["orders"]]
    shop.orders.sort(key=lambda o: (o.updated_at, o.id))
    shop.orders_by_id = {o.id: o for o in shop.orders}
    shop.fulfillment_orders = {fo.id: (o, fo) for o in shop.orders for fo in o.fulfillment_orders}
    shop.payouts = []
    for p in state["payouts"]:
        pairs = []
        for order_id, transaction_id in p["transactions"]:
            order = shop.orders_by_id[int(order_id)]
            pairs.append((order, {t.id: t for t in order.transactions}[int(transaction_id)]))
        shop.payouts.append(d.Payout(int(p["id"]), _time(p["issued_at"]), p["status"], pairs))
    shop.webhooks = [d.WebhookSubscription(int(i), str(topic), str(url)) for i, topic, url in state["webhooks"]]
    shop.idempotency = dict(state["idempotency"])
    shop._next_id = int(state["next_id"])
    shop._order_number = int(state["order_number"])
    set_rng_state(shop.rng, state["rng"])
    shop.events = []
    shop.recording = True
