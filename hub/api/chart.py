"""The profit chart as server-rendered SVG: bars of revenue and costs, a line of profit, per bucket.

A pure function of the numbers (no I/O, no clock), so it draws offline, without JavaScript and
without a chart library, and a unit test can read what it drew. Coordinates are computed in
Decimal like the money they show and printed to 0.1 of a pixel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from html import escape
from typing import Any

REVENUE_COLOUR = "#2456c4"
COSTS_COLOUR = "#e07b00"
PROFIT_COLOUR = "#067647"
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 30
_MAX_X_LABELS = 7
_TENTH = Decimal("0.1")
_MAX_BAR = Decimal(36)


@dataclass(frozen=True)
class Bucket:
    """One day, week or month of the chart; costs are positive (everything that is not profit)."""

    label: str
    revenue: Decimal
    costs: Decimal
    profit: Decimal


def chart_buckets(rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> list[Bucket]:
    """Buckets from profit rows (as the API gives them), one per key in `keys` when given (zero where a
    key has no row); costs are everything between revenue and profit."""
    by_key = {str(row["key"]): row for row in rows}
    result = []
    for key in keys if keys is not None else list(by_key):
        row = by_key.get(key)
        revenue, profit = (Decimal(row["revenue"]), Decimal(row["profit"])) if row else (Decimal(0), Decimal(0))
        result.append(Bucket(label=short_label(key), revenue=revenue, costs=revenue - profit, profit=profit))
    return result


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_label(key: str) -> str:
    """An axis label that fits a phone: 2026-12-03 → 3 Dec, 2026-W49 → W49 2026, 2026-12 → Dec 2026."""
    parts = key.split("-")
    if not (parts[0].isdigit() and len(parts[0]) == 4):
        return key
    if len(parts) == 3 and all(p.isdigit() for p in parts) and 1 <= int(parts[1]) <= 12:
        return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]}"
    if len(parts) == 2 and parts[1].startswith("W"):
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return key


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` steps over `span`."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(10) ** raw.log10().to_integral_value(ROUND_FLOOR)
    for factor in (1, 2, 5, 10):
        if raw <= power * factor:
            return power * factor
    return power * 10  # pragma: no cover - the loop always returns


def _axis(buckets: Sequence[Bucket]) -> tuple[Decimal, Decimal, Decimal]:
    values = [Decimal(0)] + [v for b in buckets for v in (b.revenue, b.costs, b.profit)]
    low, high = min(values), max(values)
    step = nice_step(high - low)
    bottom = (low / step).to_integral_value(ROUND_FLOOR) * step
    top = (high / step).to_integral_value(ROUND_CEILING) * step
    if top == bottom:
        top = bottom + step
    return bottom, top, step


def _n(value: Decimal) -> str:
    return str(value.quantize(_TENTH))


def _tick_label(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"


def profit_chart(buckets: Sequence[Bucket], currency: str, *, chart_id: str = "chart", width: int = 720,
                 height: int = 260) -> str:
    """The SVG markup (safe to insert unescaped: every text in it is escaped here)."""
    title = f"Revenue, costs and profit in {escape(currency)}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
            f'<title id="{chart_id}-title">{title}</title>')
    if not any(b.revenue or b.costs or b.profit for b in buckets):
        return (head + f'<desc id="{chart_id}-desc">No money facts in this period.</desc>'
                f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" class="chart-empty">'
                'No money facts in this period</text></svg>')
    bottom, top, step = _axis(buckets)
    plot_w, plot_h = Decimal(width - _LEFT - _RIGHT), Decimal(height - _TOP - _BOTTOM)

    def y(value: Decimal) -> Decimal:
        return _TOP + (top - value) / (top - bottom) * plot_h

    slot = plot_w / len(buckets)
    parts = [head, f'<desc id="{chart_id}-desc">{len(buckets)} periods from {escape(buckets[0].label)} to '
             f'{escape(buckets[-1].label)}; profit in total {sum((b.profit for b in buckets), Decimal(0))} '
             f'{escape(currency)}.</desc>']
    tick = bottom
    while tick <= top:
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{width - _RIGHT}" y1="{_n(y(tick))}" y2="{_n(y(tick))}"'
                     f' stroke="{"#98a2b3" if tick == 0 else "#e4e7ec"}" stroke-width="1"/>'
                     f'<text x="{_LEFT - 6}" y="{_n(y(tick) + 4)}" text-anchor="end" font-size="11" '
                     f'fill="#475467">{_tick_label(tick)}</text>')
        tick += step
    zero = y(Decimal(0))
    every = -(-len(buckets) // _MAX_X_LABELS)
    points = []
    for index, bucket in enumerate(buckets):
        left = _LEFT + slot * index
        bar_w = min(max(slot * Decimal("0.38"), Decimal("0.5")), _MAX_BAR)
        centre = left + slot / 2
        for bar_x, value, colour, kind in ((centre - bar_w - 1, bucket.revenue, REVENUE_COLOUR, "revenue"),
                                           (centre + 1, bucket.costs, COSTS_COLOUR, "costs")):
            top_y = min(y(value), zero)
            parts.append(f'<rect class="{kind}" x="{_n(bar_x)}" y="{_n(top_y)}" '
                         f'width="{_n(bar_w)}" height="{_n(abs(zero - y(value)))}" fill="{colour}">'
                         f'<title>{escape(bucket.label)}: {kind} {value} {escape(currency)}</title></rect>')
        points.append((centre, y(bucket.profit)))
        if index % every == 0:
            parts.append(f'<text x="{_n(centre)}" y="{height - 10}" text-anchor="middle" font-size="11" '
                         f'fill="#475467">{escape(bucket.label)}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{_n(px)},{_n(py)}" for i, (px, py) in enumerate(points))
    parts.append(f'<path class="profit" d="{path}" fill="none" stroke="{PROFIT_COLOUR}" stroke-width="2"/>')
    if len(points) <= 62:  # a dot where something happened; quiet days are the line alone
        parts.extend(f'<circle class="profit" cx="{_n(px)}" cy="{_n(py)}" r="3" fill="{PROFIT_COLOUR}"/>'
                     for (px, py), b in zip(points, buckets, strict=True) if b.revenue or b.costs or b.profit)
    parts.append("</svg>")
    return "".join(parts)
