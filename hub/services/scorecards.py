"""Supplier scorecards over a period, computed in SQL on SQLite and PostgreSQL alike.

What each figure means (the page, the API and routing read these definitions, nothing else):

- **Period.** A supplier order belongs to [since, until) by its `created_at`: the moment routing
  gave the order to this supplier. Every figure below is about those supplier orders only.
- **orders**: all of them, whatever became of them.
- **sent**: handed to the supplier at least once (`place_attempts > 0`); an order cancelled while
  still pending was never sent. **accepted**: the supplier took it (`accepted_at` is set, whatever
  happened after). **fill rate** = accepted / sent (None when nothing was sent); an order still
  being placed counts as sent and not (yet) accepted.
- **refused**: the supplier refused it (state `failed`). **cancelled**: cancelled after it was
  sent (state `cancelled` with `place_attempts > 0`), by the store's or the supplier's side.
- **Hours from placement to shipment**: for each accepted order that shipped, the whole seconds
  from `placed_at` to its shipment (`shipped_at`, set when its last line got a parcel; an order the
  supplier reported already shipped when it accepted it counts as shipped then), each time
  truncated to its second (`hub.db.epoch`). **median** and **p90** are PostgreSQL's
  `percentile_cont(0.5)` / `(0.9)`: with the n durations sorted, position p·(n−1) counted from 0,
  interpolated linearly between the two neighbouring values. SQL picks the two neighbours (window
  functions, the same statement on both backends); the interpolation is Decimal, so the figure is
  exact; it is shown in hours rounded to 0.01.
- **late share** = late / judged, among accepted orders not cancelled afterwards. Such an order
  is *late* when it shipped more than the supplier's lead time (`suppliers.lead_time_days`) after
  `placed_at`, or has **not shipped and is already past** that deadline at `now` (default: the
  clock). It is *judged* when it shipped, or when its deadline has passed; an unshipped order still
  within its lead time is not judged yet. None when nothing is judged.
- **cost of goods bought**: per currency, the goods cost (`expected_cost`, shipping excluded)
  of accepted orders not cancelled afterwards; exact Decimal, strings in `view()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.epoch import epoch_seconds
from hub.db.models import Supplier, SupplierOrder
from hub.domain.supplier_orders import State

PERCENTILES = (50, 90)  # in hundredths: the median and the 90th percentile
_HOUR = Decimal(3600)
_HOURS_STEP = Decimal("0.01")
_RATIO_STEP = Decimal("0.0001")
_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Scorecard:
    """One supplier's figures over [since, until); see the module's docstring for each definition."""

    supplier_id: int
    code: str
    name: str
    lead_time_days: int
    orders: int
    sent: int
    accepted: int
    refused: int
    cancelled: int
    shipped: int  # accepted orders with a shipment time (the durations behind the percentiles)
    median_hours: Decimal | None
    p90_hours: Decimal | None
    late: int
    judged: int
    cost: dict[str, Decimal] = field(default_factory=dict)  # currency → goods cost

    @property
    def fill_rate(self) -> Decimal | None:
        return _ratio(self.accepted, self.sent)

    @property
    def late_share(self) -> Decimal | None:
        return _ratio(self.late, self.judged)

    @property
    def figure(self) -> Decimal | None:
        """One number to compare suppliers by (routing's tie-break): fill rate × (1 − late share),
        0–1, higher is better; no late share yet counts as none late; None when nothing was sent."""
        fill = self.fill_rate
        if fill is None:
            return None
        return (fill * (1 - (self.late_share or Decimal(0)))).quantize(_RATIO_STEP, ROUND_HALF_UP)

    def view(self) -> dict[str, Any]:
        """JSON-ready: counts as numbers, ratios (0–1, four decimals), hours and money as strings."""
        return {
            "supplier_id": self.supplier_id, "code": self.code, "name": self.name,
            "lead_time_days": self.lead_time_days, "orders": self.orders, "sent": self.sent,
            "accepted": self.accepted, "refused": self.refused, "cancelled": self.cancelled,
            "fill_rate": _text(self.fill_rate), "shipped": self.shipped,
            "median_hours": _text(self.median_hours), "p90_hours": _text(self.p90_hours),
            "late": self.late, "judged": self.judged, "late_share": _text(self.late_share),
            "figure": _text(self.figure),
            "cost": {currency: str(amount) for currency, amount in sorted(self.cost.items())},
        }


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(_RATIO_STEP, ROUND_HALF_UP) if whole else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def scorecards(session: Session, since: datetime, until: datetime, supplier_id: int | None = None, *,
               now: datetime | None = None, among: Collection[int] | None = None) -> list[Scorecard]:
    """Every supplier's scorecard (or one supplier's, or those `among` the ids given), ordered by
    code; suppliers without orders in the period get zeros and None ratios. `now` decides which
    unshipped orders are overdue."""
    now = now or utcnow()
    ids = None if supplier_id is None and among is None else sorted(
        {*(among or ()), *(() if supplier_id is None else (supplier_id,))})
    in_period = and_(SupplierOrder.supplier_id == Supplier.id, SupplierOrder.created_at >= since,
                     SupplierOrder.created_at < until)
    counts = session.execute(_counts(in_period, now, ids)).all()
    hours = _percentiles(session, since, until, ids)
    costs = _costs(session, since, until, ids)
    cards = []
    for row in counts:
        medians = hours.get(row.id, {})
        cards.append(Scorecard(
            supplier_id=row.id, code=row.code, name=row.name, lead_time_days=row.lead_time_days,
            orders=row.orders, sent=int(row.sent or 0), accepted=int(row.accepted or 0),
            refused=int(row.refused or 0), cancelled=int(row.cancelled or 0), shipped=int(row.shipped or 0),
            median_hours=medians.get(50), p90_hours=medians.get(90), late=int(row.late or 0),
            judged=int(row.judged or 0), cost=costs.get(row.id, {})))
    return cards


def _shipped_seconds() -> ColumnElement[int]:
    """When the order shipped, in epoch seconds (NULL when it has not)."""
    shipped_at = case((SupplierOrder.state.in_((State.SHIPPED, State.DELIVERED)),
                       func.coalesce(SupplierOrder.shipped_at, SupplierOrder.accepted_at)),
                      else_=SupplierOrder.shipped_at)
    return epoch_seconds(shipped_at)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _counts(in_period: ColumnElement[bool], now: datetime, ids: list[int] | None) -> Any:
    sent = SupplierOrder.place_attempts > 0
    kept = and_(SupplierOrder.accepted_at.is_not(None), SupplierOrder.state != State.CANCELLED)
    shipped = _shipped_seconds()
    due = epoch_seconds(SupplierOrder.placed_at) + Supplier.lead_time_days * _DAY_SECONDS
    now_seconds = literal(int(now.timestamp()))
    overdue = and_(shipped.is_(None), now_seconds > due)
    statement = (
        select(Supplier.id, Supplier.code, Supplier.name, Supplier.lead_time_days,
               func.count(SupplierOrder.id).label("orders"),
               _count(sent).label("sent"),
               _count(SupplierOrder.accepted_at.is_not(None)).label("accepted"),
               _count(SupplierOrder.state == State.FAILED).label("refused"),
               _count(and_(SupplierOrder.state == State.CANCELLED, sent)).label("cancelled"),
               _count(and_(kept, shipped.is_not(None))).label("shipped"),
               _count(and_(kept, or_(shipped > due, overdue))).label("late"),
               _count(and_(kept, or_(shipped.is_not(None), overdue))).label("judged"))
        .outerjoin(SupplierOrder, in_period)
        .group_by(Supplier.id, Supplier.code, Supplier.name, Supplier.lead_time_days)
        .order_by(Supplier.code))
    return statement if ids is None else statement.where(Supplier.id.in_(ids))


def _scope(since: datetime, until: datetime, ids: list[int] | None) -> list[ColumnElement[bool]]:
    conditions = [SupplierOrder.created_at >= since, SupplierOrder.created_at < until]
    if ids is not None:
        conditions.append(SupplierOrder.supplier_id.in_(ids))
    return conditions


def _percentiles(session: Session, since: datetime, until: datetime,
                 ids: list[int] | None) -> dict[int, dict[int, Decimal]]:
    """supplier id → {50: median hours, 90: p90 hours}, by `percentile_cont`'s definition."""
    shipped = _shipped_seconds()
    durations = (select(SupplierOrder.supplier_id, (shipped - epoch_seconds(SupplierOrder.placed_at)).label("s"))
                 .where(*_scope(since, until, ids), SupplierOrder.placed_at.is_not(None),
                        shipped.is_not(None))
                 .subquery())
    ranked = select(
        durations.c.supplier_id, durations.c.s,
        (func.row_number().over(partition_by=durations.c.supplier_id, order_by=durations.c.s) - 1).label("rank"),
        func.count().over(partition_by=durations.c.supplier_id).label("n"),
    ).subquery()
    columns = []
    for p in PERCENTILES:  # the neighbours at floor and ceiling of p·(n−1), integer division on both
        floor = (ranked.c.n - 1) * p // 100
        ceiling = ((ranked.c.n - 1) * p + 99) // 100
        columns += [func.max(case((ranked.c.rank == floor, ranked.c.s))).label(f"low{p}"),
                    func.max(case((ranked.c.rank == ceiling, ranked.c.s))).label(f"high{p}")]
    rows = session.execute(select(ranked.c.supplier_id, ranked.c.n, *columns)
                           .group_by(ranked.c.supplier_id, ranked.c.n)).all()
    result: dict[int, dict[int, Decimal]] = {}
    for row in rows:
        figures: dict[int, Decimal] = {}
        for p in PERCENTILES:
            low, high = Decimal(getattr(row, f"low{p}")), Decimal(getattr(row, f"high{p}"))
            fraction = Decimal((row.n - 1) * p % 100) / 100
            figures[p] = ((low + (high - low) * fraction) / _HOUR).quantize(_HOURS_STEP, ROUND_HALF_UP)
        result[row.supplier_id] = figures
    return result


def _costs(session: Session, since: datetime, until: datetime,
           ids: list[int] | None) -> dict[int, dict[str, Decimal]]:
    rows = session.execute(
        select(SupplierOrder.supplier_id, SupplierOrder.currency, func.sum(SupplierOrder.expected_cost))
        .where(*_scope(since, until, ids), SupplierOrder.accepted_at.is_not(None),
               SupplierOrder.state != State.CANCELLED)
        .group_by(SupplierOrder.supplier_id, SupplierOrder.currency)).all()
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for supplier, currency, amount in rows:
        result[supplier][currency] = amount
    return dict(result)


def by_supplier(cards: Sequence[Scorecard]) -> dict[int, Scorecard]:
    return {card.supplier_id: card for card in cards}
