"""Which actions an attention item offers, the checks of a request, and a line placed once over the
cost rules (pure)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from hub.domain.attention_actions import Action, ActionRefused, actions_for, check
from hub.domain.routing import Attention, Policy, Routed, Unroutable, route_line, same_currency_only
from tests.unit.test_routing import line, opt, part


@pytest.mark.parametrize(("kind", "actions"), [
    ("no_mapping", ["map", "dismiss"]),
    ("out_of_stock", ["route_to", "dismiss"]),
    ("country_not_served", ["route_to", "dismiss"]),
    ("over_max_cost", ["place_once", "dismiss"]),
    ("negative_margin", ["place_once", "dismiss"]),
    ("supplier_rejected", ["route_to", "retry", "dismiss"]),
    ("supplier_cancelled", ["route_to", "retry", "dismiss"]),
    ("price_approval", ["approve", "reject", "dismiss"]),
    ("late_shipment", ["contacted", "cancel_reroute", "dismiss"]),
    ("anything_else", ["dismiss"]),
])
def test_each_kind_has_its_actions(kind: str, actions: list[str]) -> None:
    assert [a.value for a in actions_for(kind)] == actions


@pytest.mark.parametrize(("kind", "action", "offer", "reason", "field", "words"), [
    ("no_mapping", "fly", None, "", "_form", "There is no action 'fly'."),
    ("no_mapping", "approve", None, "", "_form", "does not apply"),
    ("no_mapping", "map", None, "", "offer", "Choose an offer."),
    ("out_of_stock", "route_to", None, "", "offer", "Choose an offer."),
    ("out_of_stock", "dismiss", None, "  \n ", "reason", "Say why"),
    ("out_of_stock", "dismiss", None, "x" * 501, "reason", "under 500"),
])
def test_a_request_that_does_not_fit_is_refused_with_its_field(kind: str, action: str, offer: int | None,
                                                               reason: str, field: str, words: str) -> None:
    with pytest.raises(ActionRefused) as refused:
        check(kind, action, offer_id=offer, reason=reason)
    assert refused.value.field == field and words in str(refused.value)


def test_a_request_that_fits() -> None:
    assert check("no_mapping", "map", offer_id=7) == check("no_mapping", Action.MAP, offer_id=7)
    assert check("late_shipment", "dismiss", reason=" sent  twice ").reason == "sent twice"


def test_placed_once_the_line_ignores_the_cost_rules_but_not_stock_or_country() -> None:
    dear = line(opt(0, part(1, 1, "40", ship="5")), price="30")
    policy = Policy(max_unit_cost=Decimal("20"))
    assert route_line(dear, "US", policy, same_currency_only) == Unroutable(1, Attention.OVER_MAX_COST)
    assert isinstance(route_line(replace(dear, waive_limits=True), "US", policy, same_currency_only), Routed)
    empty = line(opt(0, part(1, 1, "40", stock=0)), price="30")
    assert route_line(replace(empty, waive_limits=True), "US", policy, same_currency_only) == Unroutable(
        1, Attention.OUT_OF_STOCK)
