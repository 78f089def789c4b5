"""The store rules' checks (hub.services.store_settings), shared by the store page and the API:
each refusal names its field; what is stored is plain and exact; other settings survive."""

from __future__ import annotations

import pytest

from hub.services.store_settings import SettingsError, cover_days, merged, pricing_rules, routing_rules, rules_of


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"strategy": "cheapest"}, "strategy", "choose one of priority, landed_cost"),
    ({"max_unit_cost": "-1"}, "max_unit_cost", "must not be negative"),
    ({"max_unit_cost": "ten"}, "max_unit_cost", "not a number: 'ten'"),
    ({"max_unit_cost": "NaN"}, "max_unit_cost", "must be a finite number"),
    ({"max_unit_cost": "1.00001"}, "max_unit_cost", "has more than 4 decimals"),
    ({"consolidate_max_extra": "1e20"}, "consolidate_max_extra", "must be at most"),
    ({"margin_guard": "maybe"}, "margin_guard", "must be true or false"),
    ({"fastest": True}, "fastest", "is not a routing rule"),
])
def test_routing_refusals_name_their_field(values: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(SettingsError) as refused:
        routing_rules(values)
    assert refused.value.field == field and words in refused.value.message


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"markup_percent": ""}, "markup_percent", "not a number"),
    ({"markup_percent": 50.0}, "markup_percent", "decimal string"),
    ({"rounding": ".98"}, "rounding", "choose one of"),
    ({"min_margin_percent": "100"}, "min_margin_percent", "must be under 100"),
    ({"tolerance_percent": "-5"}, "tolerance_percent", "must not be negative"),
])
def test_pricing_refusals_name_their_field(values: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(SettingsError) as refused:
        pricing_rules(values)
    assert refused.value.field == field and words in refused.value.message


def test_what_is_stored_is_plain_and_other_settings_survive() -> None:
    settings = {"sync": {"location_id": "7"},
                "pricing": {"fixed": "1.00", "suppliers": {"acme": {"markup_percent": "50"}}},
                "routing": {"reroute_on_failure": False, "max_unit_cost": "9"}}
    result = merged(settings, routing={"strategy": "landed_cost", "max_unit_cost": "", "margin_guard": "on"},
                    pricing={"markup_percent": "1e2", "rounding": "whole"}, stock_cover_days="14")
    assert result == {"sync": {"location_id": "7"}, "stock_cover_days": 14,
                      "pricing": {"fixed": "1.00", "suppliers": {"acme": {"markup_percent": "50"}},
                                  "markup_percent": "100", "rounding": "whole"},
                      "routing": {"reroute_on_failure": False, "strategy": "landed_cost", "margin_guard": True}}
    assert "pricing" not in merged(result, pricing_off=True)
    assert rules_of({}).stock_cover_days == 7 and not rules_of({}).pricing_on
    for bad in ("0", "366", "7.5", "a week", True):
        with pytest.raises(SettingsError, match="stock_cover_days"):
            cover_days(bad)
