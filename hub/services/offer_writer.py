"""Set-based writes of feed rows into `offers`: one statement per chunk, never one object per row.

Why hand-written SQL rather than ORM or Core parameter dicts: the per-value type processing of
SQLAlchemy (Money, UTCDateTime) costs more than the database's own work on a million-row feed, so
rows arrive here already in storage form (`hub.domain.offer_storage`: money as scaled integers,
countries as JSON text) and go to the driver's `executemany` (SQLite) or `COPY` into a temporary table plus one merge
(PostgreSQL, faster than executemany there; see bench/).

The upsert writes a row only when cost, shipping, stock, currency or countries differ (the
`WHERE` of `DO UPDATE`), so its row count is exactly "inserted + changed"; such rows get
`changed = true` and `last_feed_run_id` = the run. The data of unchanged rows is not rewritten
(title/GTIN only where those differ); see `OfferWriter` for how a full feed finds missing offers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from hub.db.models import Offer
from hub.domain.catalogue import RowReject
from hub.domain.offer_storage import MAX_SKU, OfferParams

logger = logging.getLogger(__name__)

_COLUMNS = "supplier_sku, title, gtin, cost, shipping_cost, currency, stock, countries"


def _differs(postgres: bool, old: str, new: str) -> str:
    """SQL: any of the fields the stores care about differs (NULL-safe)."""
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    countries = f"{old}.countries::text {distinct} {new}.countries::text" if postgres \
        else f"{old}.countries IS NOT {new}.countries"
    return (f"({old}.cost <> {new}.cost OR {old}.shipping_cost {distinct} {new}.shipping_cost"
            f" OR {old}.stock <> {new}.stock OR {old}.currency <> {new}.currency OR {countries})")


class OfferWriter:
    """Writes one supplier's feed rows for one run on one connection (the caller owns transactions).

    `track_seen` (full feeds) remembers which offers the feed listed, so `zero_missing` finds the
    others in one UPDATE. How differs per backend, by measurement: on PostgreSQL the SKUs go to a
    temporary table (rewriting an unchanged row costs a new row version and an entry in every
    index: 18 µs a row, 84 s for a 1M-row re-import); on SQLite an unchanged row is stamped with
    the run id in place (cheaper there than a temporary table, which costs every full import
    1.2 µs a row, even the first). Neither rewrites an unchanged row's data or `changed` flag.
    """

    def __init__(self, connection: Connection, supplier_id: int, run_id: int, now: datetime, *,
                 track_seen: bool = False) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.supplier_id, self.run_id = int(supplier_id), int(run_id)
        self.track_seen = track_seen
        self._seen_ready = False
        self.rows_written = 0  # rows passed to write(): distinct SKUs, as the parser rejects repeats
        processor = Offer.__table__.c.updated_at.type.bind_processor(connection.dialect)
        stored = processor(now) if processor else now
        self._now = f"'{stored.isoformat()}'::timestamptz" if self.postgres else f"'{stored}'"
        self._upsert_tail = (
            " ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET title = excluded.title,"
            " gtin = excluded.gtin, cost = excluded.cost, shipping_cost = excluded.shipping_cost,"
            " currency = excluded.currency, stock = excluded.stock, countries = excluded.countries,"
            " changed = TRUE, last_feed_run_id = excluded.last_feed_run_id, updated_at = excluded.updated_at"
            f" WHERE {_differs(self.postgres, 'offers', 'excluded')}"
        )

    def _cursor(self) -> Any:
        return self.connection.connection.cursor()

    def _ensure_seen(self, cursor: Any) -> None:
        if not self._seen_ready:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.hub_feed_seen")
            cursor.execute("CREATE TEMP TABLE hub_feed_seen (supplier_sku text)")  # unique: the parser says so
            self._seen_ready = True

    def write(self, rows: Sequence[OfferParams]) -> int:
        """Upsert the rows; returns how many were inserted or changed (exact)."""
        if not rows:
            return 0
        self.rows_written += len(rows)
        cursor = self._cursor()
        try:
            if self.postgres:
                if self.track_seen:
                    self._ensure_seen(cursor)
                return self._write_postgres(cursor, rows)
            return self._write_sqlite(cursor, rows)
        finally:
            cursor.close()

    def _write_sqlite(self, cursor: Any, rows: Sequence[OfferParams]) -> int:
        sid, run, now = self.supplier_id, self.run_id, self._now
        cursor.executemany(
            f"INSERT INTO offers (supplier_id, {_COLUMNS}, active, changed, last_feed_run_id, created_at,"
            f" updated_at) VALUES ({sid}, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, {run}, {now}, {now})" + self._upsert_tail,
            rows,
        )
        written = int(cursor.rowcount)
        if written < len(rows):  # unchanged rows: the run stamp (full feeds), title and GTIN if they differ
            stamp = f"last_feed_run_id = {run}, " if self.track_seen else ""
            stale = f"last_feed_run_id IS NOT {run} OR " if self.track_seen else ""
            cursor.executemany(
                f"UPDATE offers SET {stamp}title = ?2, gtin = ?3 WHERE supplier_id = {sid} AND supplier_sku = ?1"
                f" AND ({stale}title IS NOT ?2 OR gtin IS NOT ?3)",
                [row[:3] for row in rows],
            )
        return written

    def _write_postgres(self, cursor: Any, rows: Sequence[OfferParams]) -> int:
        sid, run, now = self.supplier_id, self.run_id, self._now
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hub_feed_stage (supplier_sku text, title text, gtin text,"
            " cost bigint, shipping_cost bigint, currency text, stock integer, countries text)"
            " ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE hub_feed_stage")
        with cursor.copy(f"COPY hub_feed_stage ({_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # One statement: rows whose stored data differ are rewritten and stamped with the run;
        # rows where only title/GTIN differ get those (keeping their stamp); the count of rows
        # stamped with this run is exactly "inserted + changed".
        differs = _differs(True, "offers", "excluded")
        cursor.execute(
            f"WITH upserted AS (INSERT INTO offers (supplier_id, {_COLUMNS}, active, changed, last_feed_run_id,"
            f" created_at, updated_at) SELECT {sid}, {_COLUMNS.replace('countries', 'countries::json')}, TRUE, TRUE,"
            f" {run}, {now}, {now} FROM hub_feed_stage"
            " ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET title = excluded.title,"
            " gtin = excluded.gtin, cost = excluded.cost, shipping_cost = excluded.shipping_cost,"
            " currency = excluded.currency, stock = excluded.stock, countries = excluded.countries,"
            f" changed = CASE WHEN {differs} THEN TRUE ELSE offers.changed END,"
            f" last_feed_run_id = CASE WHEN {differs} THEN excluded.last_feed_run_id ELSE offers.last_feed_run_id END,"
            f" updated_at = CASE WHEN {differs} THEN excluded.updated_at ELSE offers.updated_at END"
            f" WHERE {differs} OR offers.title IS DISTINCT FROM excluded.title"
            " OR offers.gtin IS DISTINCT FROM excluded.gtin RETURNING last_feed_run_id)"
            f" SELECT count(*) FROM upserted WHERE last_feed_run_id = {run}"
        )
        written = int(cursor.fetchone()[0])
        if self.track_seen:
            cursor.execute("INSERT INTO hub_feed_seen SELECT supplier_sku FROM hub_feed_stage")
        return written

    def zero_missing(self) -> int:
        """Full feed: the supplier's offers not in it go out of stock (one UPDATE); returns how many.

        When the supplier has exactly as many offers as the run wrote SKUs, the feed listed them
        all and nothing can be missing: one count over an index instead of reading every offer
        (0.2 s on SQLite, more on PostgreSQL, for a 1M-row feed).
        """
        cursor = self._cursor()
        zero = f"UPDATE offers SET stock = 0, changed = TRUE, updated_at = {self._now}"
        try:
            cursor.execute(f"SELECT count(*) FROM offers WHERE supplier_id = {self.supplier_id}")
            if int(cursor.fetchone()[0]) == self.rows_written:
                return 0
            if self.postgres:
                self._ensure_seen(cursor)
                cursor.execute("ANALYZE hub_feed_seen")
                cursor.execute(f"{zero} WHERE supplier_id = {self.supplier_id} AND stock <> 0 AND NOT EXISTS"
                               " (SELECT 1 FROM hub_feed_seen s WHERE s.supplier_sku = offers.supplier_sku)")
            else:
                cursor.execute(f"{zero} WHERE supplier_id = {self.supplier_id} AND stock <> 0"
                               f" AND (last_feed_run_id IS NULL OR last_feed_run_id <> {self.run_id})")
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def close(self) -> None:
        """Drop the SKUs collected (the connection may go back to a pool); call in a transaction."""
        if self._seen_ready:
            cursor = self._cursor()
            try:
                cursor.execute("DROP TABLE IF EXISTS hub_feed_seen")
            finally:
                cursor.close()
            self._seen_ready = False

    def write_rejects(self, rejects: Iterable[RowReject]) -> int:
        params = [(self.run_id, r.line, (r.field or "")[:64] or None, r.reason[:500],
                   None if r.sku is None else r.sku[:MAX_SKU]) for r in rejects]
        if not params:
            return 0
        mark = "%s" if self.postgres else "?"
        cursor: Any = self.connection.connection.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO feed_rejects (feed_run_id, line, field, reason, sku)"
                f" VALUES ({', '.join([mark] * 5)})", params)
        finally:
            cursor.close()
        return len(params)
