"""Money facts said as a person says them: a ledger row's kind and reference turned into words
("Sale, 2 x Blue Mug (MUG-1)", "Supplier charge, sandbox-east H52-S1-1"), so the order page
never shows a raw reference. Pure: the names are looked up by the caller and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain import ledger as L


@dataclass(frozen=True, slots=True)
class EntryNames:
    """What the words need besides the row itself; any of it may be unknown."""

    line_title: str | None = None
    line_sku: str | None = None
    quantity: int | None = None
    supplier: str | None = None  # the supplier's code, as people name it
    supplier_order: str | None = None  # the supplier order's reference


_PLAIN: dict[str, str] = {
    L.DISCOUNT: "Order discount",
    L.SHIPPING: "Shipping charged",
    L.TAX: "Tax collected",
    L.REFUND: "Refund (goods)",
    L.REFUND_SHIPPING: "Refund (shipping)",
    L.REFUND_TAX: "Refund (tax)",
    L.PAYMENT_FEE: "Payment fee",
    L.CHARGEBACK: "Chargeback",
}
_SUPPLIER: dict[str, str] = {
    L.SUPPLIER_COST: "Supplier charge",
    L.SUPPLIER_SHIPPING: "Supplier shipping",
    L.FX_DIFFERENCE: "FX difference",
}


def _line(names: EntryNames) -> str:
    title = names.line_title or names.line_sku or "an item"
    quantity = f"{names.quantity} x " if names.quantity is not None else ""
    sku = f" ({names.line_sku})" if names.line_sku and names.line_sku != title else ""
    return f"{quantity}{title}{sku}"


def _supplier_order(names: EntryNames) -> str:
    parts = [p for p in (names.supplier, names.supplier_order) if p]
    return " ".join(parts) or "a supplier"


def describe_entry(kind: str, source_ref: str, names: EntryNames, *, estimated: bool = False) -> str:
    """One ledger row in words; an estimate says so, a credit or a second charge says which."""
    if kind == L.SALE:
        return f"Sale, {_line(names)}"
    if kind in _SUPPLIER:
        words = _SUPPLIER[kind]
        if estimated:
            words = {L.SUPPLIER_COST: "Supplier cost", L.SUPPLIER_SHIPPING: "Supplier shipping"}.get(kind, words)
        if ":credit:" in source_ref:
            words = f"{words} returned" if kind != L.FX_DIFFERENCE else "FX difference returned"
        text = f"{words}, {_supplier_order(names)}"
        charge = _charge_ref(source_ref)
        if charge:
            text += f" (charge {charge})"
        return f"{text} (estimated)" if estimated else text
    if kind == L.PAYMENT_FEE and source_ref.startswith("balance:"):
        return "Chargeback fee"
    if kind == L.CHARGEBACK and source_ref.startswith("balance:"):
        return "Chargeback (from the payout)"
    words = _PLAIN.get(kind) or kind.replace("_", " ").capitalize()
    return f"{words} (estimated)" if estimated else words


def _charge_ref(source_ref: str) -> str | None:
    """The supplier's charge reference in `supplier_order:{id}:{charge}:actual:cost`, if any."""
    parts = source_ref.split(":")
    if len(parts) >= 5 and parts[0] == "supplier_order" and parts[3] in ("actual", "estimate"):
        return parts[2]
    return None
