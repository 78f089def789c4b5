"""The profit chart: SVG drawn from the numbers, read back the way a browser would."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.api.chart import Bucket, chart_buckets, nice_step, profit_chart, short_label

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def _bucket(label: str, revenue: str, costs: str) -> Bucket:
    return Bucket(label, Decimal(revenue), Decimal(costs), Decimal(revenue) - Decimal(costs))


def test_a_bar_per_bucket_for_revenue_and_costs_and_one_profit_line() -> None:
    buckets = [_bucket("1 Dec", "100", "40"), _bucket("2 Dec", "0", "0"), _bucket("3 Dec", "300", "120")]
    root = _parse(profit_chart(buckets, "USD"))
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Revenue, costs and profit in USD"
    revenue = root.findall(f"{SVG}rect[@class='revenue']")
    costs = root.findall(f"{SVG}rect[@class='costs']")
    assert len(revenue) == len(costs) == 3
    heights = [Decimal(r.get("height")) for r in revenue]
    assert heights[1] == 0 and abs(heights[2] - 3 * heights[0]) <= Decimal("0.3")  # to scale, to 0.1 px
    [path] = root.findall(f"{SVG}path[@class='profit']")
    assert len(re.findall(r"[ML]", path.get("d"))) == 3
    assert len(root.findall(f"{SVG}circle")) == 2  # a dot only where something happened
    assert [t.text for t in revenue[0]] == ["1 Dec: revenue 100 USD"]


def test_a_loss_is_drawn_below_the_zero_line() -> None:
    root = _parse(profit_chart([_bucket("a", "10", "50")], "EUR"))
    zero = next(line for line in root.findall(f"{SVG}line") if line.get("stroke") == "#98a2b3")
    path = root.find(f"{SVG}path[@class='profit']").get("d")
    profit_y = Decimal(path.split(",")[1])
    assert profit_y > Decimal(zero.get("y1"))  # SVG y grows downwards
    assert any(t.text and t.text.startswith("-") for t in root.findall(f"{SVG}text"))


def test_an_empty_period_says_so() -> None:
    for quiet in ([], [_bucket("1 Dec", "0", "0")]):
        root = _parse(profit_chart(quiet, "USD"))
        assert root.find(f"{SVG}rect") is None and "No money facts" in root.find(f"{SVG}desc").text


def test_text_is_escaped() -> None:
    svg = profit_chart([_bucket("<script>", "1", "0")], "USD")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    _parse(svg)


def test_long_periods_label_only_some_buckets_and_cap_the_bar_width() -> None:
    buckets = [_bucket(f"d{i}", "5", "1") for i in range(60)]
    root = _parse(profit_chart(buckets, "USD"))
    labels = [t for t in root.findall(f"{SVG}text") if t.text and t.text.startswith("d")]
    assert 4 <= len(labels) <= 8
    one = _parse(profit_chart(buckets[:1], "USD"))
    assert Decimal(one.find(f"{SVG}rect").get("width")) <= 36


@given(st.lists(st.tuples(st.decimals(-10**6, 10**6, places=2), st.decimals(0, 10**6, places=2)),
                min_size=1, max_size=40))
def test_every_shape_stays_inside_the_picture(values: list[tuple[Decimal, Decimal]]) -> None:
    buckets = [Bucket(str(i), revenue, costs, revenue - costs) for i, (revenue, costs) in enumerate(values)]
    root = _parse(profit_chart(buckets, "USD", width=720, height=260))
    for rect in root.iter(f"{SVG}rect"):
        y, h = Decimal(rect.get("y")), Decimal(rect.get("height"))
        assert y >= -1 and y + h <= 261 and h >= 0
    for circle in root.iter(f"{SVG}circle"):
        assert 0 <= Decimal(circle.get("cy")) <= 260


@pytest.mark.parametrize(("span", "step"), [("0", "1"), ("4", "1"), ("9", "5"), ("5624.29", "2000"),
                                            ("0.4", "0.1"), ("100000", "50000")])
def test_tick_steps_are_round(span: str, step: str) -> None:
    assert nice_step(Decimal(span)) == Decimal(step)


def test_buckets_from_report_rows_fill_quiet_days_and_shorten_labels() -> None:
    rows = [{"key": "2026-12-02", "revenue": "10.00", "profit": "4.00"}]
    buckets = chart_buckets(rows, ["2026-12-01", "2026-12-02"])
    assert buckets == [Bucket("1 Dec", Decimal(0), Decimal(0), Decimal(0)),
                       Bucket("2 Dec", Decimal("10.00"), Decimal("6.00"), Decimal("4.00"))]
    assert [short_label(k) for k in ("2026-W49", "2026-12", "SKU-1")] == ["W49 2026", "Dec 2026", "SKU-1"]
