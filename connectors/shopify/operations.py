"""The typed remote operations the hub uses, one method each, on top of `execute`/`paginate`.

Mixed into ShopifyClient. Every method returns domain types (hub.domain), never raw dicts; ids in
and out are numeric text and are turned into GIDs here, at the edge.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.shopify import documents, querycost
from connectors.shopify import parsing as p
from connectors.shopify import resource_mappers as rm
from connectors.shopify.documents import Document
from connectors.shopify.errors import ShopifyMappingError, ShopifyUserErrors, UserError
from connectors.shopify.mappers import line_from_graphql, order_from_graphql
from hub.domain.orders import OrderIn, OrderLineIn, RejectedOrder
from hub.domain.storefront import (
    BalanceTransaction,
    FulfillmentLineRequest,
    FulfillmentOrder,
    FulfillmentResult,
    InventoryQuantity,
    OrderPayments,
    Payout,
    ShopInfo,
    StoreLocation,
    StoreVariant,
    Tracking,
    VariantPrice,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

MAX_BATCH = 250  # Shopify's maximum number of inputs per bulk mutation
LINES_PER_ORDER = 5  # lines fetched with each order; more are paged in with OrderLineItems
LINE_PAGE = 100


def gid(kind: str, value: str | int) -> str:
    """'123' → 'gid://shopify/<kind>/123'; a GID passes through unchanged."""
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def max_page_size(document: Document, variables: Mapping[str, Any], limit: int = 250) -> int:
    """Largest `first` whose requested cost stays within Shopify's 1,000 points per query."""
    one = querycost.estimate(document.text, {**variables, "first": 1})
    two = querycost.estimate(document.text, {**variables, "first": 2})
    if one is None or two is None or two <= one:
        return limit
    per_node = two - one
    return max(1, min(limit, (querycost.MAX_QUERY_COST - (one - per_node)) // per_node))


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def check_user_errors(operation: str, payload: Any) -> Mapping[str, Any]:
    """The mutation's payload object, or ShopifyUserErrors if it carries userErrors."""
    if not isinstance(payload, Mapping):
        raise ShopifyMappingError(f"{operation}: no payload in the response")
    errors = payload.get("userErrors") or []
    if errors:
        raise ShopifyUserErrors(
            operation,
            [
                UserError(
                    tuple(str(f) for f in (e.get("field") or [])), str(e.get("message", "")), e.get("code")
                )
                for e in errors
                if isinstance(e, Mapping)
            ],
        )
    return payload


class ShopifyOperations:
    """Mixin: needs `execute`, `paginate` and `api_version` (provided by ShopifyClient)."""

    api_version: str

    def execute(
        self,
        document: Document | str,
        variables: Mapping[str, Any] | None = None,
        *,
        expected_cost: float | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def paginate(
        self,
        document: Document,
        variables: Mapping[str, Any],
        path: Sequence[str],
        *,
        page_size: int,
        after: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    # -- reads --------------------------------------------------------------------------------

    def shop(self) -> ShopInfo:
        return rm.shop_from_graphql(self.execute(documents.load("Shop")).get("shop"))

    def orders(
        self,
        updated_since: datetime | None = None,
        page_size: int | None = None,
        lines_per_order: int = LINES_PER_ORDER,
    ) -> Iterator[OrderIn | RejectedOrder]:
        """Every order updated at or after `updated_since`, oldest update first, with all its lines
        (one the mapper refuses comes as a `RejectedOrder`, so the pull can move past it)."""
        doc = documents.load("Orders")
        variables: dict[str, Any] = {"linesFirst": lines_per_order, "query": None}
        if updated_since is not None:
            # whole seconds, rounded down: an overlap of under a second is harmless, a gap is not
            stamp = updated_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            variables["query"] = f"updated_at:>='{stamp}'"
        ceiling = max_page_size(doc, variables)
        size = ceiling if page_size is None else max(1, min(page_size, ceiling))
        for node in self.paginate(doc, variables, ("orders",), page_size=size):
            try:
                yield self._complete_order(node)
            except ShopifyMappingError as exc:
                yield _rejected(node, exc)

    def order(self, order_id: str) -> OrderIn | None:
        data = self.execute(
            documents.load("Order"), {"id": gid("Order", order_id), "linesFirst": LINES_PER_ORDER}
        )
        node = data.get("order")
        return None if node is None else self._complete_order(node)

    def _complete_order(self, node: Any) -> OrderIn:
        """Map an order node, first paging in the lines the orders query did not return."""
        extra: list[Any] = []
        lines = node.get("lineItems") if isinstance(node, Mapping) else None
        page = lines.get("pageInfo") if isinstance(lines, Mapping) else None
        if isinstance(page, Mapping) and page.get("hasNextPage") and page.get("endCursor"):
            doc = documents.load("OrderLineItems")
            extra = list(
                self.paginate(
                    doc,
                    {"id": node.get("id")},
                    ("order", "lineItems"),
                    page_size=LINE_PAGE,
                    after=str(page["endCursor"]),
                )
            )
        return order_from_graphql(node, extra)

    def order_line_items(self, order_id: str) -> list[OrderLineIn]:
        """All lines of one order (used when a caller needs lines only)."""
        doc = documents.load("OrderLineItems")
        variables = {"id": gid("Order", order_id)}
        nodes = self.paginate(doc, variables, ("order", "lineItems"), page_size=LINE_PAGE)
        return [line_from_graphql(n) for n in nodes]

    def products_and_variants(self, page_size: int = 100) -> Iterator[StoreVariant]:
        doc = documents.load("ProductVariants")
        for node in self.paginate(doc, {}, ("productVariants",), page_size=page_size):
            yield rm.variant_from_graphql(node)

    def locations(self) -> list[StoreLocation]:
        doc = documents.load("Locations")
        return [rm.location_from_graphql(n) for n in self.paginate(doc, {}, ("locations",), page_size=50)]

    def fulfillment_orders(self, order_id: str) -> list[FulfillmentOrder]:
        data = self.execute(
            documents.load("FulfillmentOrders"), {"id": gid("Order", order_id), "first": 5, "linesFirst": 50}
        )
        order = p.opt_obj(data.get("order"), "order")
        if order is None:
            return []
        connection = p.obj(order.get("fulfillmentOrders") or {}, "order.fulfillmentOrders")
        return [
            rm.fulfillment_order_from_graphql(n)
            for n in p.items(connection.get("nodes"), "order.fulfillmentOrders.nodes")
        ]

    def order_fulfillments(self, order_id: str) -> list[FulfillmentResult]:
        """The order's existing fulfillments, so a retried fulfillment is never created twice."""
        data = self.execute(documents.load("OrderFulfillments"), {"id": gid("Order", order_id), "first": 250})
        order = p.opt_obj(data.get("order"), "order")
        if order is None:
            return []
        return [rm.fulfillment_from_graphql(node)
                for node in p.items(order.get("fulfillments") or [], "order.fulfillments")]

    def order_payments(self, order_id: str) -> OrderPayments:
        """The order's transactions (with fees) and refunds (with their tax split), in one call."""
        # Both are plain lists in Shopify's schema (no paging): the limits keep the requested cost
        # under 1,000 points; an order that reaches one is logged, as its money may be incomplete.
        limits = {"first": 30, "refundsFirst": 8, "refundLinesFirst": 20}
        data = self.execute(documents.load("OrderTransactions"), {"id": gid("Order", order_id), **limits})
        order = p.opt_obj(data.get("order"), "order")
        if order is None:
            return OrderPayments((), ())
        numeric = p.ident(order.get("id"), "order.id")
        transactions = p.items(order.get("transactions"), "order.transactions")
        refunds = p.items(order.get("refunds"), "order.refunds")
        if len(transactions) >= limits["first"] or len(refunds) >= limits["refundsFirst"]:
            logger.warning("order %s has as many transactions or refunds as one read returns; some may be missing",
                           numeric)
        return OrderPayments(
            tuple(rm.transaction_from_graphql(t, numeric) for t in transactions),
            tuple(rm.refund_from_graphql(r, numeric) for r in refunds),
        )

    def payouts(self, issued_since: date | None = None, page_size: int = 50) -> Iterator[Payout]:
        doc = documents.load("Payouts")
        query = f"issued_at:>={issued_since.isoformat()}" if issued_since else None
        for node in self.paginate(
            doc, {"query": query}, ("shopifyPaymentsAccount", "payouts"), page_size=page_size
        ):
            yield rm.payout_from_graphql(node)

    def balance_transactions(
        self, payout_id: str | None = None, page_size: int = 100
    ) -> Iterator[BalanceTransaction]:
        doc = documents.load("BalanceTransactions")
        query = f"payout_id:{p.ident(payout_id, 'payout_id')}" if payout_id else None
        for node in self.paginate(
            doc, {"query": query}, ("shopifyPaymentsAccount", "balanceTransactions"), page_size=page_size
        ):
            yield rm.balance_transaction_from_graphql(node)

    def webhooks(self) -> list[WebhookSubscription]:
        doc = documents.load("WebhookSubscriptions")
        return [
            rm.webhook_from_graphql(n)
            for n in self.paginate(doc, {}, ("webhookSubscriptions",), page_size=100)
        ]

    # -- writes -------------------------------------------------------------------------------

    def create_fulfillment(
        self,
        lines: Sequence[FulfillmentLineRequest],
        tracking: Tracking | None = None,
        notify_customer: bool = True,
    ) -> FulfillmentResult:
        """One fulfillment for the given fulfillment-order lines (of one location), with tracking."""
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for line in lines:
            item: dict[str, Any] = {"id": gid("FulfillmentOrderLineItem", line.fulfillment_order_line_id)}
            if line.quantity is not None:
                item["quantity"] = line.quantity
            grouped[gid("FulfillmentOrder", line.fulfillment_order_id)].append(item)
        fulfillment: dict[str, Any] = {
            "notifyCustomer": notify_customer,
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items}
                for fo, items in grouped.items()
            ],
        }
        if tracking is not None:
            fulfillment["trackingInfo"] = {
                k: v
                for k, v in (
                    ("number", tracking.number),
                    ("company", tracking.company),
                    ("url", tracking.url),
                )
                if v
            }
        data = self.execute(documents.load("FulfillmentCreate"), {"fulfillment": fulfillment})
        payload = check_user_errors("fulfillmentCreate", data.get("fulfillmentCreate"))
        return rm.fulfillment_from_graphql(payload.get("fulfillment"))

    def set_inventory(
        self, quantities: Sequence[InventoryQuantity], reason: str = "correction", name: str = "available"
    ) -> int:
        """Set absolute quantities in batches of at most 250; returns how many were sent.

        From API 2026-04 each batch carries an idempotency key derived from its content, so a
        retried batch is applied once; before, `ignoreCompareQuantity` is set unless every input
        says what it expects (compare-and-set).
        """
        doc = documents.inventory_document(self.api_version)
        newer = doc.file.endswith("Idempotent")
        sent = 0
        for batch in _chunks(list(quantities), MAX_BATCH):
            rows = []
            for q in batch:
                row: dict[str, Any] = {
                    "inventoryItemId": gid("InventoryItem", q.inventory_item_id),
                    "locationId": gid("Location", q.location_id),
                    "quantity": q.quantity,
                }
                row["changeFromQuantity" if newer else "compareQuantity"] = q.expected
                rows.append(row)
            payload: dict[str, Any] = {"name": name, "reason": reason, "quantities": rows}
            variables: dict[str, Any] = {"input": payload}
            if newer:
                digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
                variables["idempotencyKey"] = f"hub-inv-{digest[:40]}"
            else:
                payload["ignoreCompareQuantity"] = any(q.expected is None for q in batch)
            data = self.execute(doc, variables)
            check_user_errors("inventorySetQuantities", data.get("inventorySetQuantities"))
            sent += len(batch)
        return sent

    def update_variant_prices(self, prices: Sequence[VariantPrice]) -> int:
        """productVariantsBulkUpdate per product (≤250 variants a call); returns variants updated."""
        by_product: dict[str, list[VariantPrice]] = defaultdict(list)
        for price in prices:
            by_product[price.product_id].append(price)
        updated = 0
        for product_id, variants in by_product.items():
            for batch in _chunks(variants, MAX_BATCH):
                inputs = [
                    {
                        "id": gid("ProductVariant", v.variant_id),
                        "price": _money_text(v.price),
                        **(
                            {"compareAtPrice": _money_text(v.compare_at_price)}
                            if v.compare_at_price is not None
                            else {}
                        ),
                    }
                    for v in batch
                ]
                data = self.execute(
                    documents.load("ProductVariantsBulkUpdate"),
                    {"productId": gid("Product", product_id), "variants": inputs},
                )
                check_user_errors("productVariantsBulkUpdate", data.get("productVariantsBulkUpdate"))
                updated += len(batch)
        return updated

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookSubscription]:
        """Subscribe `address` to each topic ('orders/create'…) unless already subscribed."""
        existing = {(w.topic, w.address): w for w in self.webhooks()}
        result = []
        for topic in topics:
            rest_topic = rm.topic_to_rest(rm.topic_to_graphql(topic))
            if (rest_topic, address) in existing:
                result.append(existing[(rest_topic, address)])
                continue
            data = self.execute(
                documents.load("WebhookSubscriptionCreate"),
                {
                    "topic": rm.topic_to_graphql(topic),
                    "subscription": {"callbackUrl": address, "format": "JSON"},
                },
            )
            payload = check_user_errors("webhookSubscriptionCreate", data.get("webhookSubscriptionCreate"))
            node = p.obj(payload.get("webhookSubscription"), "webhookSubscription")
            result.append(
                WebhookSubscription(p.ident(node.get("id"), "webhookSubscription.id"), rest_topic, address)
            )
        return result


def _money_text(value: Decimal) -> str:
    return format(value, "f")


def _rejected(node: Any, error: ShopifyMappingError) -> RejectedOrder:
    """What can still be read of an order the mapper refused: enough to name it and move past it."""
    fields = node if isinstance(node, Mapping) else {}
    raw_id = str(fields.get("id") or "")
    external_id = raw_id.rsplit("/", 1)[-1][:64] or "?"
    try:
        updated_at = p.opt_moment(fields.get("updatedAt"), "order.updatedAt")
    except ShopifyMappingError:
        updated_at = None
    name = fields.get("name")
    return RejectedOrder(external_id=external_id, name=str(name)[:64] if isinstance(name, str) else external_id,
                         updated_at=updated_at, reason=str(error)[:500])
