"""Settings: the only reader of the environment (prefix HUB_, `.env` supported).

Secrets that are not configured are generated once into `./var/` with mode 0600, so a fresh
checkout runs with no set-up while the keys survive restarts.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_VAR_DIR = Path("var")
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


class Settings(BaseSettings):
    """Every knob of the hub. Secrets are SecretStr so they never print by accident."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    secret_key: SecretStr | None = None
    admin_token: SecretStr | None = None
    # A second bearer token that opens /metrics only (for a Prometheus scraper); the admin token works too.
    metrics_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    environment: Literal["development", "production"] = "development"

    reporting_currency: str = "USD"
    fx_rates_url: str | None = None  # a CSV (day,base,quote,rate) pulled by the fx.pull job when set
    fx_pull_interval_seconds: float = Field(default=86_400, gt=0)
    payments_pull_interval_seconds: float = Field(default=3600, gt=0)
    payments_lookback_days: int = Field(default=14, ge=1)
    supplier_cost_tolerance_pct: Decimal = Field(default=Decimal("5"), ge=0)  # charge vs expected, anomaly above
    unsent_order_grace_minutes: int = Field(default=60, ge=0)  # paid but not sent to a supplier after this
    shopify_api_version: str = "2026-10"
    shopify_client_id: str | None = None
    shopify_client_secret: SecretStr | None = None
    shopify_scopes: str = (
        "read_orders,write_orders,read_products,write_products,read_inventory,write_inventory,"
        "read_locations,read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders,"
        "read_fulfillments,write_fulfillments,read_shopify_payments_payouts"
    )
    public_url: str = "http://127.0.0.1:8000"

    webhook_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Largest request body of the API (413 above); feed pushes and webhooks have their own limits.
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    orders_pull_interval_seconds: float = Field(default=60, gt=0)
    orders_pull_overlap_seconds: int = Field(default=300, ge=0)
    orders_initial_lookback_days: int = Field(default=30, ge=0)
    orders_reconcile_days: int = Field(default=3, ge=1)
    orders_reconcile_interval_seconds: float = Field(default=86_400, gt=0)

    route_interval_seconds: float = Field(default=10, gt=0)
    webhook_sweep_interval_seconds: float = Field(default=60, gt=0)  # deliveries a crash or lost wake-up left
    outbox_interval_seconds: float = Field(default=5, gt=0)
    outbox_lease_seconds: int = Field(default=120, ge=1)  # a delivery a dead worker left is retried after this
    products_sync_interval_seconds: float = Field(default=3600, gt=0)
    late_shipment_days: int = Field(default=7, ge=1)  # placed, no tracking after this many days
    stalled_shipment_days: int = Field(default=10, ge=1)  # tracked, no progress for this many days
    ledger_interval_seconds: float = Field(default=30, gt=0)  # orders' money into the ledger
    push_interval_seconds: float = Field(default=60, gt=0)  # stock and prices to the stores
    purchase_order_interval_seconds: float = Field(default=900, gt=0)  # csv_po suppliers: a file per run
    supplier_poll_interval_seconds: float = Field(default=300, gt=0)
    supplier_hold_seconds: int = Field(default=0, ge=0)  # wait before placing, so early cancels never leave

    scheduler_enabled: bool = True
    # Celery over Redis or RabbitMQ (redis://… or amqp://…): set, the work runs on `hub worker`
    # processes and `hub scheduler` enqueues it; unset, `hub run` does everything in one process.
    # /readyz checks the broker answers when it is set.
    broker_url: str | None = None
    broker_queue_prefix: str = Field(default="", max_length=40, pattern=r"^[A-Za-z0-9_.-]*$")  # hubs sharing a broker
    relay_grace_seconds: float = Field(default=30, gt=0)  # a due outbox message unclaimed this long is republished
    job_lease_seconds: int = Field(default=300, ge=1)
    job_heartbeat_seconds: float = Field(default=5, gt=0, le=300)  # a lease with no beat for 4 of these is free

    # `hub run --sandbox`: how the emulated shop sells and the emulated suppliers ship (their state
    # lives in var_dir/sandbox/, so a restart goes on where it stopped).
    sandbox_orders_per_minute: float = Field(default=6.0, gt=0)
    sandbox_tick_seconds: float = Field(default=5, gt=0)  # how often the shop sells and sends webhooks
    sandbox_history_orders: int = Field(default=50, ge=0)  # seeded orders over the last 30 days, first start
    sandbox_max_orders: int | None = Field(default=None, ge=0)  # stop selling at this many (history included)
    sandbox_ship_after_seconds: float = 30  # a sandbox supplier ships this long after accepting; <0: never
    sandbox_shop_restore_rate: float = Field(default=100, gt=0)  # API cost points a second (Shopify's standard)
    sandbox_stores: int = Field(default=1, ge=1, le=100)  # emulated shops, each its own store (load tests)

    # Supplier feeds: the push/pull size limit, the truncation guard's share of the last full
    # feed, and how often suppliers with a feed URL are pulled.
    feed_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    feed_truncation_share: float = Field(default=0.5, ge=0, le=1)
    feed_pull_interval_seconds: int = Field(default=3600, ge=60)
    feed_pull_timeout_seconds: float = Field(default=60, gt=0)
    # Feed URLs on loopback, private, link-local… addresses are refused unless this is set (the
    # sandbox, a feed server on the hub's own network).
    feed_allow_private_urls: bool = False

    # `hub run --sandbox`: network faults in front of the sandbox shop and suppliers, e.g. "0.2"
    # (every kind at 20%) or "429=0.1,lost=0.05" (kinds: 429, 5xx, timeout, lost, slow); seeded.
    sandbox_faults: str = ""
    sandbox_faults_seed: int = 1

    @field_validator("sandbox_faults")
    @classmethod
    def _fault_plan(cls, value: str) -> str:
        from connectors.sandbox_faults import FaultPlan

        FaultPlan.parse(value)  # a ValueError here names the variable in pydantic's message
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:  # the message names the variable, never the value
                raise ValueError("must be a Fernet key: 32 url-safe base64-encoded bytes (make one with "
                                 "python -c 'from cryptography.fernet import Fernet; "
                                 "print(Fernet.generate_key().decode())')") from None
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None  # HUB_BROKER_URL= (empty) means no broker
        if value is not None and value.split("://", 1)[0] not in BROKER_SCHEMES:
            raise ValueError(f"must start with one of {', '.join(s + '://' for s in BROKER_SCHEMES)}")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'hub.db').as_posix()}"

    def ensure_var_dir(self) -> Path:
        try:
            self.var_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"HUB_VAR_DIR: cannot create {self.var_dir}: {exc.strerror or exc}") from exc
        if not os.access(self.var_dir, os.W_OK | os.X_OK):
            raise UserError(f"HUB_VAR_DIR: {self.var_dir} is not writable")
        return self.var_dir

    def fernet_key(self) -> bytes:
        """The key that encrypts store tokens at rest; generated into var/secret.key when unset."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _read_or_create(self.ensure_var_dir() / "secret.key", lambda: Fernet.generate_key().decode())

    def admin_token_value(self) -> str:
        """The bearer token of the admin API; generated into var/admin.token when unset."""
        if self.admin_token is not None:
            return self.admin_token.get_secret_value()
        return _read_or_create(self.ensure_var_dir() / "admin.token", lambda: secrets.token_urlsafe(32)).decode()

    def admin_token_was_generated(self) -> bool:
        return self.admin_token is None


def _read_or_create(path: Path, make: Callable[[], str]) -> bytes:
    """Read a secret file, or create it atomically with mode 0600 (O_EXCL: two processes agree)."""
    if path.exists():
        return path.read_bytes().strip()
    value = make().encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    except OSError as exc:
        raise UserError(f"HUB_VAR_DIR: cannot write {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    logger.info("generated secret file", extra={"path": str(path)})
    return value


def settings_error_message(exc: ValidationError) -> str:
    """One line naming each bad variable and what it must be; a secret's value is never shown."""
    parts = []
    for error in exc.errors():
        name = "HUB_" + "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        shown = error.get("input")
        secret = name in _SECRET_VARIABLES
        parts.append(f"{name}: {message}" + (f" (got {shown!r})" if isinstance(shown, str) and not secret else ""))
    return "; ".join(parts)


_SECRET_VARIABLES = {"HUB_SECRET_KEY", "HUB_ADMIN_TOKEN", "HUB_SHOPIFY_CLIENT_SECRET", "HUB_METRICS_TOKEN",
                     "HUB_BROKER_URL"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
