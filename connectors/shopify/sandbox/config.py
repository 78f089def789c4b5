"""Knobs of the sandbox shop: size of the seeded data, cost bucket, faults and latency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FAULT_KINDS = ("429", "throttled", "5xx", "timeout", "malformed")


@dataclass(frozen=True)
class Faults:
    """Probability per request of each fault kind (drawn from a seeded RNG), and added latency.

    429: HTTP 429 with Retry-After; throttled: Shopify's THROTTLED body (HTTP 200, no data);
    5xx: 502/503/504 in turn; timeout: the in-process transport raises httpx.ReadTimeout (the ASGI
    app sleeps `timeout_seconds` then answers 504); malformed: a truncated JSON body.
    """

    rates: dict[str, float] = field(default_factory=dict)
    latency: float = 0.0
    retry_after: float = 1.0
    timeout_seconds: float = 5.0
    seed: int = 7

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS}")


@dataclass(frozen=True)
class SandboxConfig:
    shop_domain: str = "sandbox-store.myshopify.com"
    shop_name: str = "Sandbox Store"
    access_token: str = "shpat_sandbox"  # noqa: S105 - the emulator's well-known demo token
    currency: str = "USD"
    webhook_secret: str = "sandbox-webhook-secret"  # noqa: S105 - signs the emulator's webhooks
    seed: int = 42
    products: int = 20
    variants_per_product: int = 3
    locations: int = 2
    orders: int = 50
    # Where the seeded orders lie: None puts them at the fixed EPOCH, 7 minutes apart (deterministic
    # dates for tests); a time spreads them evenly over the `history_days` before it (`hub run
    # --sandbox` passes now, so they fall in this month's reports).
    history_end: datetime | None = None
    history_days: int = 30
    max_orders: int | None = None  # tick() stops selling once the shop holds this many orders
    lines_per_order: int | None = None  # None: 1 to 4 lines, seeded
    order_discount_rate: float = 0.0  # share of new orders with a discount on the whole order
    bucket_size: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000
    orders_per_minute: float = 1.0  # for tick(): orders created over time
    faults: Faults = field(default_factory=Faults)
