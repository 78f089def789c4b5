"""Property tests of the API's input rules: the JSON depth scan and the amount parser."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from hub.api.guard import Rejected, bad_text, check_json, json_too_deep
from hub.api.params import MAX_AMOUNT, Amount

# Strings full of what could fool a scanner: brackets, quotes and backslashes.
tricky = st.text(alphabet=st.sampled_from('[]{}"\\ab,:'), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(tricky, children, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=8))
def test_depth_scan_agrees_with_the_parsed_document(value: Any, limit: int) -> None:
    body = json.dumps(value).encode()
    assert json_too_deep(body, limit) == (depth(value) > limit)


@given(st.integers(min_value=65, max_value=5000))
def test_any_nesting_past_the_limit_is_refused_without_recursion(levels: int) -> None:
    with pytest.raises(Rejected, match="nested deeper than 64"):
        check_json(b"[" * levels + b"]" * levels)
    with pytest.raises(Rejected, match="nested deeper than 64"):
        check_json(b'{"a":' * levels + b"1" + b"}" * levels)


@given(st.text(max_size=20))
def test_strings_with_nul_or_lone_surrogates_are_refused_wherever_they_are(text: str) -> None:
    document = json.dumps({"outer": [{"key": text}]}).encode()
    reason = bad_text(text)
    if reason is None:
        check_json(document)
    else:
        with pytest.raises(Rejected, match=r"outer\[0\]\.key: "):
            check_json(document)


AMOUNT = TypeAdapter(Amount)


@given(st.decimals(min_value=0, max_value=MAX_AMOUNT, places=4, allow_nan=False, allow_infinity=False))
def test_every_amount_in_range_is_read_exactly(value: Decimal) -> None:
    assert AMOUNT.validate_python(f"{value:f}") == value


@given(st.one_of(
    st.decimals(min_value=MAX_AMOUNT + Decimal("0.0001"), allow_nan=False, allow_infinity=False),
    st.decimals(max_value=Decimal("-0.0001"), allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=10, places=6, allow_nan=False, allow_infinity=False).filter(
        lambda d: d != d.quantize(Decimal("0.0001"))),
    st.floats(allow_nan=False), st.integers(),
    st.sampled_from(["NaN", "Infinity", "-inf", "", "1,5", "ten", "1e9999"]),
))
def test_amounts_out_of_range_or_inexact_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        AMOUNT.validate_python(f"{value:f}" if isinstance(value, Decimal) else value)
