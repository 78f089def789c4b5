"""Pure mappers for the non-order GraphQL nodes (variants, locations, fulfillment, payments)."""

from __future__ import annotations

from typing import Any

from connectors.shopify import parsing as p
from connectors.shopify.errors import ShopifyMappingError
from hub.domain.storefront import (
    BalanceTransaction,
    FulfillmentOrder,
    FulfillmentOrderLine,
    FulfillmentResult,
    OrderRefund,
    OrderTransaction,
    Payout,
    ShopInfo,
    StoreLocation,
    StoreVariant,
    Tracking,
    TransactionFee,
    WebhookSubscription,
)

_MULTIWORD_RESOURCES = (
    "inventory_levels",
    "inventory_items",
    "fulfillment_orders",
    "fulfillment_events",
    "order_transactions",
    "draft_orders",
    "app_subscriptions",
    "bulk_operations",
)


def topic_to_rest(topic: str) -> str:
    """'ORDERS_PARTIALLY_FULFILLED' → 'orders/partially_fulfilled', 'INVENTORY_LEVELS_UPDATE' →
    'inventory_levels/update' (resources of two words are listed; others end at the first `_`)."""
    lowered = topic.lower()
    for resource in _MULTIWORD_RESOURCES:
        if lowered.startswith(resource + "_"):
            return f"{resource}/{lowered[len(resource) + 1 :]}"
    resource, _, event = lowered.partition("_")
    return f"{resource}/{event}" if event else resource


def topic_to_graphql(topic: str) -> str:
    """'orders/create' → 'ORDERS_CREATE'."""
    return topic.replace("/", "_").upper()


def shop_from_graphql(value: Any) -> ShopInfo:
    node = p.obj(value, "shop")
    plan = p.opt_obj(node.get("plan"), "shop.plan") or {}
    return ShopInfo(
        name=p.text(node.get("name"), "shop.name"),
        domain=p.text(node.get("myshopifyDomain"), "shop.myshopifyDomain"),
        currency=p.currency(node.get("currencyCode"), "shop.currencyCode"),
        plan=p.opt_text(plan.get("displayName"), "shop.plan.displayName"),
        plus=p.flag(plan.get("shopifyPlus"), "shop.plan.shopifyPlus"),
        development=p.flag(plan.get("partnerDevelopment"), "shop.plan.partnerDevelopment"),
    )


def variant_from_graphql(value: Any) -> StoreVariant:
    node = p.obj(value, "variant")
    where = f"variant {node.get('id')!s:.60}"
    product = p.obj(node.get("product"), f"{where}.product")
    item = p.opt_obj(node.get("inventoryItem"), f"{where}.inventoryItem")
    return StoreVariant(
        variant_id=p.ident(node.get("id"), f"{where}.id"),
        product_id=p.ident(product.get("id"), f"{where}.product.id"),
        inventory_item_id=p.opt_ident(item.get("id"), f"{where}.inventoryItem.id") if item else None,
        sku=p.opt_text(node.get("sku"), f"{where}.sku"),
        barcode=p.opt_text(node.get("barcode"), f"{where}.barcode"),
        price=p.amount(node.get("price"), f"{where}.price"),
        title=p.text(node.get("title") or "", f"{where}.title"),
        product_title=p.opt_text(product.get("title"), f"{where}.product.title"),
    )


def location_from_graphql(value: Any) -> StoreLocation:
    node = p.obj(value, "location")
    address = p.opt_obj(node.get("address"), "location.address") or {}
    code = p.opt_text(address.get("countryCode"), "location.address.countryCode")
    return StoreLocation(
        location_id=p.ident(node.get("id"), "location.id"),
        name=p.text(node.get("name"), "location.name"),
        active=p.flag(node.get("isActive"), "location.isActive", True),
        fulfills_online_orders=p.flag(
            node.get("fulfillsOnlineOrders"), "location.fulfillsOnlineOrders", True
        ),
        country_code=code.upper() if code else None,
    )


def fulfillment_order_from_graphql(value: Any) -> FulfillmentOrder:
    node = p.obj(value, "fulfillmentOrder")
    where = f"fulfillmentOrder {node.get('id')!s:.60}"
    assigned = p.opt_obj(node.get("assignedLocation"), f"{where}.assignedLocation") or {}
    location = p.opt_obj(assigned.get("location"), f"{where}.assignedLocation.location")
    lines = []
    line_nodes = p.obj(node.get("lineItems") or {}, f"{where}.lineItems").get("nodes")
    for i, raw in enumerate(p.items(line_nodes, f"{where}.lineItems.nodes")):
        line = p.obj(raw, f"{where}.lineItems[{i}]")
        item = p.opt_obj(line.get("lineItem"), f"{where}.lineItems[{i}].lineItem")
        lines.append(
            FulfillmentOrderLine(
                fulfillment_order_line_id=p.ident(line.get("id"), f"{where}.lineItems[{i}].id"),
                line_item_id=p.opt_ident(item.get("id"), f"{where}.lineItems[{i}].lineItem.id")
                if item
                else None,
                sku=p.opt_text(line.get("sku"), f"{where}.lineItems[{i}].sku"),
                total_quantity=p.integer(line.get("totalQuantity"), f"{where}.lineItems[{i}].totalQuantity"),
                remaining_quantity=p.integer(
                    line.get("remainingQuantity"), f"{where}.lineItems[{i}].remainingQuantity"
                ),
            )
        )
    return FulfillmentOrder(
        fulfillment_order_id=p.ident(node.get("id"), f"{where}.id"),
        status=p.lower(node.get("status"), f"{where}.status") or "unknown",
        location_id=p.opt_ident(location.get("id"), f"{where}.location.id") if location else None,
        lines=tuple(lines),
    )


def fulfillment_from_graphql(value: Any) -> FulfillmentResult:
    node = p.obj(value, "fulfillment")
    infos = p.items(node.get("trackingInfo"), "fulfillment.trackingInfo")
    info = p.obj(infos[0], "fulfillment.trackingInfo[0]") if infos else {}
    return FulfillmentResult(
        fulfillment_id=p.ident(node.get("id"), "fulfillment.id"),
        status=p.lower(node.get("status"), "fulfillment.status") or "unknown",
        tracking=Tracking(
            number=p.opt_text(info.get("number"), "fulfillment.trackingInfo.number"),
            company=p.opt_text(info.get("company"), "fulfillment.trackingInfo.company"),
            url=p.opt_text(info.get("url"), "fulfillment.trackingInfo.url"),
        ),
    )


def transaction_from_graphql(value: Any, order_id: str) -> OrderTransaction:
    node = p.obj(value, "transaction")
    where = f"transaction {node.get('id')!s:.60}"
    amount_set = p.obj(node.get("amountSet"), f"{where}.amountSet")
    amount = p.money(amount_set.get("shopMoney"), f"{where}.amountSet.shopMoney")
    parent = p.opt_obj(node.get("parentTransaction"), f"{where}.parentTransaction")
    fees = []
    for i, raw in enumerate(p.items(node.get("fees"), f"{where}.fees")):
        fee = p.obj(raw, f"{where}.fees[{i}]")
        rate = fee.get("rate")
        fees.append(
            TransactionFee(
                fee_id=p.opt_ident(fee.get("id"), f"{where}.fees[{i}].id"),
                type=p.opt_text(fee.get("type"), f"{where}.fees[{i}].type"),
                amount=p.money(fee.get("amount"), f"{where}.fees[{i}].amount"),
                flat_fee=p.opt_money(fee.get("flatFee"), f"{where}.fees[{i}].flatFee"),
                tax=p.opt_money(fee.get("taxAmount"), f"{where}.fees[{i}].taxAmount"),
                rate=p.opt_amount(str(rate) if rate is not None else None, f"{where}.fees[{i}].rate"),
                rate_name=p.opt_text(fee.get("rateName"), f"{where}.fees[{i}].rateName"),
            )
        )
    return OrderTransaction(
        transaction_id=p.ident(node.get("id"), f"{where}.id"),
        order_id=order_id,
        kind=p.lower(node.get("kind"), f"{where}.kind") or "unknown",
        status=p.lower(node.get("status"), f"{where}.status") or "unknown",
        gateway=p.opt_text(node.get("gateway"), f"{where}.gateway"),
        amount=amount,
        processed_at=p.opt_moment(node.get("processedAt"), f"{where}.processedAt"),
        parent_id=p.opt_ident(parent.get("id"), f"{where}.parentTransaction.id") if parent else None,
        test=p.flag(node.get("test"), f"{where}.test"),
        fees=tuple(fees),
    )


def _shop_money(node: Any, where: str) -> Any:
    return p.money(p.obj(node, where).get("shopMoney"), f"{where}.shopMoney")


def _nodes(node: Any, field: str, where: str) -> list[Any]:
    return p.items(p.obj(node.get(field) or {}, f"{where}.{field}").get("nodes"), f"{where}.{field}.nodes")


def refund_from_graphql(value: Any, order_id: str) -> OrderRefund:
    """A `Refund` node → OrderRefund (shop money). A refund with more line items than one page
    is refused rather than read short: its tax would be undercounted."""
    node = p.obj(value, "refund")
    where = f"refund {node.get('id')!s:.60}"
    total = _shop_money(node.get("totalRefundedSet"), f"{where}.totalRefundedSet")
    zero = type(total).zero(total.currency)
    page = p.obj(p.obj(node.get("refundLineItems") or {}, f"{where}.refundLineItems").get("pageInfo") or {},
                 f"{where}.refundLineItems.pageInfo")
    if page.get("hasNextPage"):
        raise ShopifyMappingError(f"{where}: more refund line items than one page; raise refundLinesFirst")
    line_tax = shipping = shipping_tax = zero
    for i, item in enumerate(_nodes(node, "refundLineItems", where)):
        line_tax = line_tax + _shop_money(p.obj(item, f"{where}.refundLineItems[{i}]").get("totalTaxSet"),
                                          f"{where}.refundLineItems[{i}].totalTaxSet")
    for i, item in enumerate(_nodes(node, "refundShippingLines", where)):
        line = p.obj(item, f"{where}.refundShippingLines[{i}]")
        shipping = shipping + _shop_money(line.get("subtotalAmountSet"), f"{where}.refundShippingLines[{i}].subtotal")
        shipping_tax = shipping_tax + _shop_money(line.get("taxAmountSet"), f"{where}.refundShippingLines[{i}].tax")
    transactions = tuple(p.ident(p.obj(t, f"{where}.transactions").get("id"), f"{where}.transactions.id")
                         for t in _nodes(node, "transactions", where))
    return OrderRefund(
        refund_id=p.ident(node.get("id"), f"{where}.id"),
        order_id=order_id,
        created_at=p.opt_moment(node.get("createdAt"), f"{where}.createdAt"),
        total=total, line_tax=line_tax, shipping=shipping, shipping_tax=shipping_tax,
        transaction_ids=transactions,
    )


def payout_from_graphql(value: Any) -> Payout:
    node = p.obj(value, "payout")
    where = f"payout {node.get('id')!s:.60}"
    summary = p.opt_obj(node.get("summary"), f"{where}.summary") or {}
    return Payout(
        payout_id=p.ident(node.get("id"), f"{where}.id"),
        status=p.lower(node.get("status"), f"{where}.status") or "unknown",
        issued_at=p.opt_moment(node.get("issuedAt"), f"{where}.issuedAt"),
        net=p.money(node.get("net"), f"{where}.net"),
        charges_gross=p.opt_money(summary.get("chargesGross"), f"{where}.summary.chargesGross"),
        charges_fee=p.opt_money(summary.get("chargesFee"), f"{where}.summary.chargesFee"),
        refunds_gross=p.opt_money(summary.get("refundsFeeGross"), f"{where}.summary.refundsFeeGross"),
        refunds_fee=p.opt_money(summary.get("refundsFee"), f"{where}.summary.refundsFee"),
        adjustments_gross=p.opt_money(summary.get("adjustmentsGross"), f"{where}.summary.adjustmentsGross"),
        adjustments_fee=p.opt_money(summary.get("adjustmentsFee"), f"{where}.summary.adjustmentsFee"),
    )


def balance_transaction_from_graphql(value: Any) -> BalanceTransaction:
    node = p.obj(value, "balanceTransaction")
    where = f"balanceTransaction {node.get('id')!s:.60}"
    order = p.opt_obj(node.get("associatedOrder"), f"{where}.associatedOrder")
    payout = p.opt_obj(node.get("associatedPayout"), f"{where}.associatedPayout")
    return BalanceTransaction(
        transaction_id=p.ident(node.get("id"), f"{where}.id"),
        type=p.lower(node.get("type"), f"{where}.type") or "unknown",
        amount=p.money(node.get("amount"), f"{where}.amount"),
        fee=p.money(node.get("fee"), f"{where}.fee"),
        net=p.money(node.get("net"), f"{where}.net"),
        transaction_date=p.opt_moment(node.get("transactionDate"), f"{where}.transactionDate"),
        source_type=p.lower(node.get("sourceType"), f"{where}.sourceType"),
        source_id=p.opt_ident(node.get("sourceId"), f"{where}.sourceId"),
        source_order_transaction_id=p.opt_ident(
            node.get("sourceOrderTransactionId"), f"{where}.sourceOrderTransactionId"
        ),
        order_id=p.opt_ident(order.get("id"), f"{where}.associatedOrder.id") if order else None,
        payout_id=p.opt_ident(payout.get("id"), f"{where}.associatedPayout.id") if payout else None,
        payout_status=p.lower(payout.get("status"), f"{where}.associatedPayout.status") if payout else None,
        test=p.flag(node.get("test"), f"{where}.test"),
    )


def webhook_from_graphql(value: Any) -> WebhookSubscription:
    node = p.obj(value, "webhookSubscription")
    endpoint = p.opt_obj(node.get("endpoint"), "webhookSubscription.endpoint") or {}
    return WebhookSubscription(
        subscription_id=p.ident(node.get("id"), "webhookSubscription.id"),
        topic=topic_to_rest(p.text(node.get("topic"), "webhookSubscription.topic")),
        address=p.opt_text(endpoint.get("callbackUrl"), "webhookSubscription.endpoint.callbackUrl"),
    )
