"""Money anomalies said in plain words, with the names a merchant knows (order, store, supplier,
payout) instead of database ids. Pure: the finder's details and the looked-up names go in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.domain.money import format_amount


@dataclass(frozen=True, slots=True)
class AnomalyNames:
    order: str | None = None
    store: str | None = None
    supplier: str | None = None
    supplier_order: str | None = None
    payout: str | None = None


def _money(value: Any, currency: str | None) -> str:
    if value is None or currency is None:
        return "an amount"
    return f"{format_amount(Decimal(str(value)), currency)} {currency}"


def _order(names: AnomalyNames) -> str:
    order = f"order {names.order}" if names.order else "an order"
    return f"{order} ({names.store})" if names.store else order


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe_anomaly(kind: str, details: Mapping[str, Any], names: AnomalyNames) -> str:
    """One sentence per anomaly: what disagrees, by how much, and what it concerns."""
    return _upper_first(_sentence(kind, details, names))


def _sentence(kind: str, details: Mapping[str, Any], names: AnomalyNames) -> str:
    currency = details.get("currency")
    supplier = names.supplier or "a supplier"
    order = _order(names)
    if kind == "unsent_paid_order":
        worth = f" ({_money(details['order_total'], currency)})" if details.get("order_total") else ""
        return f"{order} is paid{worth} but was never sent to a supplier."
    if kind == "charged_for_cancelled_order":
        return (f"{supplier} still charges {_money(details.get('charged'), currency)} for the goods of {order}, "
                f"which is {details.get('status') or 'cancelled'}: ask for a credit.")
    if kind == "supplier_charged_twice":
        return (f"{supplier} charged {details.get('charges', 2)} times for {order}: "
                f"{_money(details.get('charged'), currency)} for goods in all.")
    if kind == "supplier_charge_mismatch":
        charged, expected = Decimal(str(details.get("charged", 0))), Decimal(str(details.get("expected", 0)))
        more = "more" if charged > expected else "less"
        so = f" (supplier order {names.supplier_order})" if names.supplier_order else ""
        return (f"{supplier} charged {_money(charged, currency)} for {order}{so}, "
                f"{_money(abs(charged - expected), currency)} {more} than the {_money(expected, currency)} expected.")
    if kind == "payout_mismatch":
        net, txns = Decimal(str(details.get("net", 0))), Decimal(str(details.get("transactions_net", 0)))
        store = f" of {names.store}" if names.store else ""
        return (f"Payout {names.payout or details.get('payout', '')}{store} paid {_money(net, currency)} but its "
                f"transactions add up to {_money(txns, currency)}: {_money(net - txns, currency)} unexplained.")
    if kind == "negative_margin":
        profit = Decimal(str(details.get("profit", 0)))
        return f"{order} loses {_money(-profit, currency)}: its costs exceed what it earned."
    if kind == "fx_rate_missing":
        return (f"No {currency}→{details.get('reporting_currency', 'reporting currency')} exchange rate on or "
                f"before {details.get('day')}: profit of that day leaves those amounts out until one is imported.")
    return f"{kind.replace('_', ' ').capitalize()}: {order}."
