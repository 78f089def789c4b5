"""Knobs of the sandbox supplier: its catalogue, when it ships, what it charges, and its faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

FAULT_KINDS = ("5xx", "timeout", "429", "reject")


@dataclass(frozen=True)
class SupplierFaults:
    """Probability per order-creating or reading request of each fault, drawn from a seeded RNG.

    5xx: 502/503/504 in turn, nothing done; 429: Retry-After, nothing done; reject: 422 with a
    reason, nothing done (a permanent refusal); timeout: the order IS processed, then the answer is
    lost (the in-process transport raises httpx.ReadTimeout, the ASGI app stalls `timeout_seconds`
    and answers 504) — the worst case for exactly-once, which is why it is the one we emulate.
    `latency` seconds are added to every request.
    """

    rates: dict[str, float] = field(default_factory=dict)
    latency: float = 0.0
    retry_after: float = 0.05
    timeout_seconds: float = 5.0
    seed: int = 11

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS}")
        for kind, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind} must be within [0, 1], got {rate}")


@dataclass(frozen=True)
class SupplierSandboxConfig:
    """A deterministic supplier. The catalogue uses the sandbox shop's SKU pattern (SBX-0001-1) so
    listings map to offers by SKU out of the box; `coverage` < 1 keeps a seeded subset, so two
    suppliers with different seeds overlap partly, and `price_factor` makes one dearer."""

    name: str = "Sandbox Supplier"
    seed: int = 42
    products: int = 20
    variants_per_product: int = 3
    coverage: float = 1.0
    price_factor: Decimal = Decimal(1)
    stock_range: tuple[int, int] = (500, 5000)
    catalogue: dict[str, tuple[Decimal, Decimal, int]] | None = None  # sku → (cost, shipping, stock)
    currency: str = "USD"
    ship_after: float = 60.0  # seconds from acceptance to shipment; negative: never by itself
    split_rate: float = 0.2  # share of multi-line orders shipped as two parcels
    carriers: tuple[str, ...] = ("UPS", "DHL", "USPS")
    api_key: str | None = None  # when set, requests need `Authorization: Bearer <api_key>`
    honour_idempotency: bool = True  # False: emulate a supplier that ignores keys (duplicates!)
    faults: SupplierFaults = field(default_factory=SupplierFaults)
