"""Profit: the allocated ledger summed in SQL, converted to the reporting currency at the rate of
each day.

The database does the heavy part (millions of ledger rows → one row per key, day and currency,
from the trigger-kept `ledger_part_daily`; see `hub.domain.allocation` for how order-level facts
reach products and suppliers). Every breakdown adds up to the same total to the cent.
Conversion needs the day's rate, so the already aggregated rows are converted and rolled up to
the requested key here; ISO week and month keys are computed from the day in Python, so both
backends bucket identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import LedgerEntry, LedgerPart, LedgerPartDaily, LedgerSupplierDaily, Order, Store, Supplier
from hub.db.models.allocation import NOT_ROUTED_LABEL
from hub.db.types import Money
from hub.domain.ledger import PROFIT_BUCKETS
from hub.domain.money import MoneyError, minor_units, normalize_currency, quantize
from hub.errors import UserError
from hub.services.profit_sql import SCALE, converted_query, currencies_in, day_rates

GROUPS = ("day", "week", "month", "product", "supplier", "store", "order")
COLUMNS = ("revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx")
_COST_COLUMNS = frozenset({"refunds", "fees", "supplier_cost", "shipping_cost"})  # shown positive
MAX_DAYS = 3700
NO_STORE_LABEL = "(no store)"


@dataclass
class ProfitRow:
    key: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COLUMNS, Decimal(0)))
    fx_missing: set[tuple[str, date]] = field(default_factory=set)
    ref: str = ""  # the id behind the key (order, supplier, store id; the SKU; the period)
    label: str = ""
    incomplete: bool = False  # a line not routed, or no supplier cost (estimate or charge) yet
    estimated: bool = False  # some supplier cost is an estimate, not the charge
    rounded_profit: Decimal | None = None  # set by round_rows
    whole: bool = False  # one order: incomplete means its margin is not known at all

    @property
    def profit(self) -> Decimal:
        a = self.amounts
        return a["revenue"] - a["refunds"] - a["fees"] - a["supplier_cost"] - a["shipping_cost"] + a["fx"]

    def view(self, currency: str) -> dict[str, Any]:
        """Strings for amounts. No margin for an incomplete order, nor for an incomplete row with no
        cost at all (it would read as 100%); a wider row (a day, a product) with some orders not
        costed yet keeps its margin and says `incomplete`."""
        values = {name: quantize(value, currency) for name, value in self.amounts.items()}
        profit = self.rounded_profit if self.rounded_profit is not None else quantize(self.profit, currency)
        unknown = self.incomplete and (self.whole or not (values["supplier_cost"] or values["shipping_cost"]))
        margin = (profit / values["revenue"] * 100).quantize(Decimal("0.01")) \
            if values["revenue"] and not unknown else None
        return {"key": self.key, "label": self.label, "ref": self.ref, **{k: str(v) for k, v in values.items()},
                "profit": str(profit), "margin": None if margin is None else str(margin), "currency": currency,
                "incomplete": self.incomplete, "estimated": self.estimated,
                "fx_missing": bool(self.fx_missing),
                "fx_missing_for": sorted(f"{cur} {day.isoformat()}" for cur, day in self.fx_missing)}


def parse_query(date_from: str | None, date_to: str | None, group_by: str,
                currency: str | None) -> tuple[date, date, str, str | None]:
    """Validate user input; every mistake is a UserError with one clear sentence."""
    if group_by not in GROUPS:
        raise UserError(f"group_by must be one of {', '.join(GROUPS)}, not {group_by!r}")
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError:
        raise UserError("from and to must be dates as YYYY-MM-DD") from None
    if start is None or end is None:
        raise UserError("from and to are required (YYYY-MM-DD)")
    if end < start:
        raise UserError("to must not be before from")
    if (end - start).days > MAX_DAYS:
        raise UserError(f"the range may span at most {MAX_DAYS} days")
    try:
        code = normalize_currency(currency) if currency else None
    except MoneyError as exc:
        raise UserError(str(exc)) from None
    return start, end, group_by, code


def _sums(table: Any) -> list[Any]:
    return [type_coerce(func.sum(case((table.kind.in_(kinds), table.amount), else_=0)), Money())
            .label(name) for name, kinds in PROFIT_BUCKETS.items()]


def _flag(column: Any, live: Any = None) -> Any:
    """1 when any row has the flag (summary rows whose parts were all rewritten away do not count)."""
    condition = column.is_(True) if live is None else and_(column.is_(True), live)
    return func.max(case((condition, 1), else_=0))


def _extras(table: Any, group_by: str) -> list[Any]:
    """The flags of a group (and the product's title)."""
    live = table.parts > 0 if table is not LedgerPart else None
    extras = [_flag(table.incomplete, live).label("incomplete"), _flag(table.estimated, live).label("estimated")]
    if group_by == "product":
        extras.append(func.max(table.label).label("label"))
    return extras


def summary_table(group_by: str) -> Any:
    """Products read the per-product summary; periods, stores and suppliers the one without."""
    return LedgerPartDaily if group_by == "product" else LedgerSupplierDaily


def _key(group_by: str, table: Any) -> Any:
    name = {"product": "product", "supplier": "supplier_id", "store": "store_id", "order": "order_id"}.get(group_by)
    return getattr(table, name) if name else None


def aggregate_query(start: date, end: date, group_by: str, store_id: int | None = None,
                    order_id: int | None = None, currency: str | None = None) -> Select[Any]:
    """One row per (key, day, currency) over the range; the statement the benchmark times.

    Products read `ledger_part_daily` (the allocated ledger summed per day, store, product,
    supplier and flags, trigger-kept), periods, stores and suppliers `ledger_supplier_daily` (the
    same without the product): hundreds or a few rows a day, not millions of ledger rows. Orders
    read `ledger_parts`. Rows already in `currency` are not split by day (they need no rate), so a
    year by product is one row per product. (On PostgreSQL see `hub.services.profit_sql`.)"""
    if group_by == "order":
        table: Any = LedgerPart
        sums = _sums(LedgerPart)
    else:
        table = summary_table(group_by)
        sums = [type_coerce(func.sum(getattr(table, name)), Money()).label(name) for name in COLUMNS]
    key = _key(group_by, table)
    day: Any = table.booked_on
    if key is not None and currency is not None:
        # A literal, not a parameter: the same expression must appear in SELECT and GROUP BY.
        day = case((table.currency == literal_column(f"'{normalize_currency(currency)}'"), None),
                   else_=table.booked_on)
    columns = [day.label("booked_on"), table.currency, *sums, *_extras(table, group_by)]
    statement = select(*(([key.label("key")] if key is not None else []) + columns))
    statement = statement.where(table.booked_on >= start, table.booked_on <= end)
    if store_id is not None:
        statement = statement.where(table.store_id == store_id)
    if order_id is not None:
        statement = statement.where(LedgerPart.order_id == order_id)
    group = ([key] if key is not None else []) + [day, table.currency]
    return statement.group_by(*group)


def _bucket(group_by: str, day: date | None, key: Any) -> str:
    if day is not None:
        if group_by == "day":
            return day.isoformat()
        if group_by == "week":
            year, week, _ = day.isocalendar()
            return f"{year}-W{week:02d}"
        if group_by == "month":
            return f"{day.year}-{day.month:02d}"
    return str(key)


def profit_rows(session: Session, start: date, end: date, group_by: str, currency: str,
                store_id: int | None = None, order_id: int | None = None) -> list[ProfitRow]:
    """Profit per key in `currency`; a (currency, day) without a rate is flagged, never guessed.

    Keys are what a person reads: the SKU, the supplier's code, the store's and the order's name
    (`ref` keeps the id); facts of no supplier or store have a named row of their own."""
    bind = session.get_bind()
    if group_by != "order" and bind.dialect.name == "postgresql":
        rows = _converted_in_sql(session, start, end, group_by, currency, store_id)
    else:
        rows = _converted_here(session, start, end, group_by, currency, store_id, order_id)
    _name_rows(session, group_by, rows)
    round_rows(list(rows.values()), currency)
    for row in rows.values():
        row.whole = group_by == "order"
    return sorted(rows.values(), key=lambda row: (row.key.startswith("("), _sort_key(row.key)))


def _row(rows: dict[str, ProfitRow], bucket: str, r: Any) -> ProfitRow:
    row = rows.setdefault(bucket, ProfitRow(bucket, ref=bucket))
    row.incomplete = row.incomplete or bool(r["incomplete"])
    row.estimated = row.estimated or bool(r["estimated"])
    if r.get("label"):
        row.label = r["label"]
    return row


def _add(row: ProfitRow, r: Any, rate: Decimal) -> None:
    for name in COLUMNS:
        value = (r[name] or Decimal(0)) * rate
        row.amounts[name] += -value if name in _COST_COLUMNS else value


def _converted_here(session: Session, start: date, end: date, group_by: str, currency: str,
                    store_id: int | None, order_id: int | None) -> dict[str, ProfitRow]:
    raw = session.execute(aggregate_query(start, end, group_by, store_id, order_id, currency)).mappings().all()
    foreign = {r["currency"] for r in raw if r["currency"] != currency}
    rates = day_rates(session, foreign, currency, start, end) if foreign else {}
    rows: dict[str, ProfitRow] = {}
    for r in raw:
        day: date | None = r["booked_on"]
        row = _row(rows, _bucket(group_by, day, r.get("key")), r)
        rate = Decimal(1) if r["currency"] == currency else (rates.get((r["currency"], day)) if day else None)
        if rate is None:
            row.fx_missing.add((r["currency"], day or start))
            continue
        _add(row, r, rate)
    return rows


def _converted_in_sql(session: Session, start: date, end: date, group_by: str, currency: str,
                      store_id: int | None) -> dict[str, ProfitRow]:
    """PostgreSQL: rates joined and amounts summed in NUMERIC (`hub.services.profit_sql`)."""
    foreign = currencies_in(session, start, end, store_id) - {currency}
    rates = day_rates(session, foreign, currency, start, end) if foreign else {}
    known = {pair: rate for pair, rate in rates.items() if rate is not None}
    table = summary_table(group_by)
    key = _key(group_by, table)
    statement = converted_query(table, start, end, currency, known, store_id, key, _extras(table, group_by), COLUMNS)
    rows: dict[str, ProfitRow] = {}
    unit = Decimal(1) / SCALE
    for r in session.execute(statement).mappings():
        bucket = _bucket(group_by, None if key is not None else r["key"], r["key"])
        _add(_row(rows, bucket, r), r, unit)
    missing = {pair for pair, rate in rates.items() if rate is None}
    if missing:  # which rows have facts on a day without a rate: flagged, their amounts left out
        query = aggregate_query(start, end, group_by, store_id, None, None).where(
            table.currency.in_({c for c, _ in missing}), table.booked_on.in_({d for _, d in missing}))
        for r in session.execute(query).mappings():
            if (r["currency"], r["booked_on"]) in missing:
                _row(rows, _bucket(group_by, r["booked_on"], r.get("key")), r).fx_missing.add(
                    (r["currency"], r["booked_on"]))
    return rows


def round_rows(rows: list[ProfitRow], currency: str) -> None:
    """Each column to the currency's unit so the rows add up to the rounded exact total (the same
    whatever the grouping). Each row is rounded on its own (half even) first; converted amounts
    have sub-cent digits, so the few cents that then separate the rows' sum from the total go, one
    unit each, to the rows their rounding moved furthest (largest remainder, like allocation)."""
    profits = _rounded([row.profit for row in rows], currency)  # profit too: of the exact amounts
    for name in COLUMNS:
        for row, value in zip(rows, _rounded([row.amounts[name] for row in rows], currency), strict=True):
            row.amounts[name] = value
    for row, value in zip(rows, profits, strict=True):
        row.rounded_profit = value


def _rounded(exact: list[Decimal], currency: str) -> list[Decimal]:
    unit = Decimal(1).scaleb(-minor_units(currency))
    rounded = [quantize(value, currency) for value in exact]
    missing = int((quantize(sum(exact, Decimal(0)), currency) - sum(rounded, Decimal(0))) / unit)
    if not missing:
        return rounded
    step = unit if missing > 0 else -unit
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - rounded[i]) * step, i))
    for i in order[:abs(missing)]:
        rounded[i] += step
    return rounded


def _name_rows(session: Session, group_by: str, rows: dict[str, ProfitRow]) -> None:
    """Replace ids by names: SKU stays, supplier → code (name), store → name, order → name."""
    ids = [int(ref) for ref in rows if ref.isdigit() and ref != "0"]
    names: dict[str, tuple[str, str]] = {}
    if group_by == "supplier":
        names = {str(i): (code, name) for i, code, name in session.execute(
            select(Supplier.id, Supplier.code, Supplier.name).where(Supplier.id.in_(ids)))} if ids else {}
        names["0"] = (NOT_ROUTED_LABEL, NOT_ROUTED_LABEL)
    elif group_by == "store":
        names = {str(i): (name, domain) for i, name, domain in session.execute(
            select(Store.id, Store.name, Store.shop_domain).where(Store.id.in_(ids)))} if ids else {}
        names["0"] = (NO_STORE_LABEL, NO_STORE_LABEL)
    elif group_by == "order":
        for start in range(0, len(ids), 10_000):
            chunk = ids[start:start + 10_000]
            names.update({str(i): (name, name) for i, name in session.execute(
                select(Order.id, Order.name).where(Order.id.in_(chunk)))})
    else:
        for row in rows.values():
            row.label = row.label or row.key
        return
    seen: dict[str, int] = {}
    for ref, row in rows.items():
        key, label = names.get(ref, (ref, ref))
        seen[key] = seen.get(key, 0) + 1
        row.key = key if seen[key] == 1 else f"{key} [{ref}]"  # two orders of one name stay apart
        row.label = label


def _sort_key(key: str) -> tuple[int, str]:
    if key.isdigit():
        return (len(key), key)
    return (0, key)


def profit(db: Database, date_from: str | None, date_to: str | None, group_by: str, currency: str | None,
           reporting_currency: str, store_id: int | None = None) -> list[dict[str, Any]]:
    start, end, group, code = parse_query(date_from, date_to, group_by, currency)
    target = code or reporting_currency
    with db.read() as session:
        return [row.view(target) for row in profit_rows(session, start, end, group, target, store_id)]


def order_profit(session: Session, order_id: int, currency: str) -> dict[str, Any] | None:
    """The profit of one order in `currency` over its whole ledger (its facts share one day)."""
    rows = session.execute(select(LedgerEntry.booked_on).where(LedgerEntry.order_id == order_id).limit(1)).all()
    if not rows:
        return None
    day = rows[0][0]
    found = [r for r in profit_rows(session, day, day, "order", currency, order_id=order_id)
             if r.ref == str(order_id)]
    return found[0].view(currency) if found else None
