"""Suppliers and their API keys: one function per use case, shared by the API and the CLI.

A supplier key is shown once, when it is created; only its SHA-256 hash and a short prefix are
kept. Keys are 256-bit random, so looking a key up by its hash is as safe as comparing it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.url_guard import UrlGuard
from hub.crypto import hash_api_key, new_api_key
from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import Supplier, SupplierKey
from hub.domain.catalogue import FIELDS, MAX_QUANTITY, FeedOptions
from hub.domain.feed_urls import UrlRefused
from hub.domain.money import MoneyError, normalize_currency
from hub.errors import Conflict, NotFound, UserError

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("feed", "csv_po", "cj", "sandbox")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
CODE_RULE = "2 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"


@dataclass(frozen=True)
class SupplierView:
    id: int
    code: str
    name: str
    kind: str
    currency: str
    feed_url: str | None
    mapping: dict[str, str]
    default_quantity: int | None
    backorder_quantity: int | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class KeyView:
    """A key as it may be shown again: never the key itself."""

    id: int
    supplier_code: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: tuple[str, ...] = ()  # what the key may do ("feed": push feeds and tracking)


@dataclass(frozen=True)
class KeyOwner:
    """Who a valid, unrevoked key belongs to."""

    key_id: int
    supplier_id: int
    supplier_code: str


def _view(supplier: Supplier) -> SupplierView:
    config = supplier.config or {}
    return SupplierView(
        id=supplier.id, code=supplier.code, name=supplier.name, kind=supplier.kind,
        currency=supplier.currency, feed_url=supplier.feed_url, mapping=dict(config.get("mapping") or {}),
        default_quantity=config.get("default_quantity"), backorder_quantity=config.get("backorder_quantity"),
        active=supplier.active, created_at=supplier.created_at,
    )


def _key_view(key: SupplierKey, code: str) -> KeyView:
    return KeyView(id=key.id, supplier_code=code, prefix=key.prefix, label=key.label,
                   created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
                   scopes=tuple(str(scope) for scope in key.scopes or ()))


def parse_mapping(text: str | None) -> dict[str, str]:
    """A column mapping given as JSON text: {"sku": "Artikelnummer", ...}; UserError when invalid."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"mapping is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    return validate_mapping(value)


def validate_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in value.items()):
        raise UserError('mapping must be a JSON object of field → column name, e.g. {"sku": "Item"}')
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise UserError(f"unknown field(s) in mapping: {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    return {k: v.strip() for k, v in value.items()}


def _check_quantity(name: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_QUANTITY:
        raise UserError(f"{name} must be a whole number between 0 and {MAX_QUANTITY}")


def url_guard(hub: Hub) -> UrlGuard:
    """The feed URL rules of this hub (`HUB_FEED_ALLOW_PRIVATE_URLS`, its resolver)."""
    return UrlGuard(allow_private=hub.settings.feed_allow_private_urls, resolver=hub.resolver)


def check_feed_url(url: str, guard: UrlGuard) -> str:
    """The URL when the hub may fetch it (http(s), every address public); UserError saying why not."""
    try:
        guard.check(url)
    except UrlRefused as exc:
        raise UserError(f"feed URL refused: {exc}") from None
    return url


def add_supplier(db: Database, code: str, name: str, currency: str, *, kind: str = "feed",
                 feed_url: str | None = None, mapping: dict[str, str] | None = None,
                 default_quantity: int | None = None, backorder_quantity: int | None = None,
                 guard: UrlGuard | None = None) -> SupplierView:
    """Create a supplier; Conflict when the code is taken, UserError for invalid input.

    A feed URL is checked with `guard` (entry points pass `url_guard(hub)`; without one, the
    strict rules and the system's resolver apply).
    """
    if not CODE_PATTERN.fullmatch(code or ""):
        raise UserError(f"invalid supplier code {code!r}: use {CODE_RULE}")
    if not (name or "").strip():
        raise UserError("supplier name must not be empty")
    try:
        currency = normalize_currency(currency)
    except MoneyError as exc:
        raise UserError(f"unknown currency {currency!r}: use an ISO 4217 code such as USD or EUR") from exc
    if kind not in KINDS:
        raise UserError(f"unknown supplier kind {kind!r}; expected one of {', '.join(KINDS)}")
    if feed_url is not None:
        check_feed_url(feed_url, guard or UrlGuard())
    mapping = validate_mapping(mapping or {})
    _check_quantity("default quantity", default_quantity)
    _check_quantity("backorder quantity", backorder_quantity)
    config: dict[str, Any] = {"mapping": mapping}
    if default_quantity is not None:
        config["default_quantity"] = default_quantity
    if backorder_quantity is not None:
        config["backorder_quantity"] = backorder_quantity
    try:
        with db.transaction() as session:
            supplier = Supplier(code=code, name=name.strip(), kind=kind, currency=currency,
                                feed_url=feed_url, config=config)
            session.add(supplier)
            session.flush()
            view = _view(supplier)
    except IntegrityError as exc:
        raise Conflict(f"a supplier with code {code!r} already exists") from exc
    logger.info("supplier added", extra={"supplier": code, "kind": kind})
    return view


def supplier_by_code(session: Session, code: str) -> Supplier:
    supplier = session.execute(select(Supplier).where(Supplier.code == code)).scalar_one_or_none()
    if supplier is None:
        raise NotFound(f"no supplier with code {code!r}")
    return supplier


def get_supplier(db: Database, code: str) -> SupplierView:
    with db.transaction() as session:
        return _view(supplier_by_code(session, code))


def list_suppliers(db: Database) -> list[SupplierView]:
    with db.transaction() as session:
        return [_view(s) for s in session.execute(select(Supplier).order_by(Supplier.code)).scalars()]


def feed_options(supplier: SupplierView, *, chunk_rows: int = 10_000) -> FeedOptions:
    """The parser settings of a supplier: its column mapping, currency and availability quantities."""
    extra: dict[str, Any] = {}
    if supplier.default_quantity is not None:
        extra["default_quantity"] = supplier.default_quantity
    if supplier.backorder_quantity is not None:
        extra["backorder_quantity"] = supplier.backorder_quantity
    return FeedOptions(columns=supplier.mapping, currency=supplier.currency, chunk_rows=chunk_rows, **extra)


def create_key(db: Database, code: str, label: str | None = None) -> tuple[KeyView, str]:
    """A new key for the supplier: (its listing, the key itself — shown this once, never stored)."""
    key, prefix, key_hash = new_api_key()
    with db.transaction() as session:
        supplier = supplier_by_code(session, code)
        row = SupplierKey(supplier_id=supplier.id, prefix=prefix, key_hash=key_hash,
                          label=(label or "").strip() or None, scopes=["feed"])
        session.add(row)
        session.flush()
        view = _key_view(row, supplier.code)
    logger.info("supplier key created", extra={"supplier": code, "key_id": view.id, "prefix": prefix})
    return view, key


def list_keys(db: Database, code: str) -> list[KeyView]:
    with db.transaction() as session:
        supplier = supplier_by_code(session, code)
        keys = session.execute(select(SupplierKey).where(SupplierKey.supplier_id == supplier.id)
                               .order_by(SupplierKey.id)).scalars()
        return [_key_view(k, supplier.code) for k in keys]


def revoke_key(db: Database, key_id: int, *, code: str | None = None) -> KeyView:
    """Revoke a key (idempotent: revoking twice keeps the first time). `code` scopes the lookup."""
    with db.transaction() as session:
        row = session.get(SupplierKey, key_id)
        supplier = session.get(Supplier, row.supplier_id) if row is not None else None
        if row is None or supplier is None or (code is not None and supplier.code != code):
            raise NotFound(f"no supplier key with id {key_id}" + (f" for supplier {code!r}" if code else ""))
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        view = _key_view(row, supplier.code)
    logger.info("supplier key revoked", extra={"supplier": view.supplier_code, "key_id": key_id})
    return view


def authenticate_key(db: Database, key: str) -> KeyOwner | None:
    """The owner of a valid, unrevoked key (and record its use), or None."""
    with db.transaction() as session:
        row = session.execute(
            select(SupplierKey, Supplier.code).join(Supplier, Supplier.id == SupplierKey.supplier_id)
            .where(SupplierKey.key_hash == hash_api_key(key))
        ).one_or_none()
        if row is None or row[0].revoked_at is not None:
            return None
        key_row, code = row
        key_row.last_used_at = utcnow()
        return KeyOwner(key_id=key_row.id, supplier_id=key_row.supplier_id, supplier_code=code)
