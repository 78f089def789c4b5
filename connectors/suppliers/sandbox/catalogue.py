"""The sandbox supplier's seeded catalogue: the same seed gives the same SKUs, costs and stock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from connectors.suppliers.sandbox.config import SupplierSandboxConfig

CENT = Decimal("0.01")


@dataclass
class Item:
    sku: str
    cost: Decimal
    shipping: Decimal  # per unit
    stock: int


def build_catalogue(config: SupplierSandboxConfig) -> dict[str, Item]:
    """sku → Item. An explicit `config.catalogue` wins over the generated one."""
    if config.catalogue is not None:
        return {sku: Item(sku, cost, shipping, stock) for sku, (cost, shipping, stock) in config.catalogue.items()}
    rng = random.Random(config.seed)
    items: dict[str, Item] = {}
    low, high = config.stock_range
    for p in range(config.products):
        base = Decimal(rng.randint(300, 4000)) / 100
        for v in range(config.variants_per_product):
            keep = rng.random() < config.coverage
            cost = (base * config.price_factor * Decimal(100 + 5 * v) / 100).quantize(CENT, ROUND_HALF_UP)
            shipping = (Decimal(rng.randint(100, 800)) / 100).quantize(CENT)
            stock = rng.randint(low, high)
            if keep:
                sku = f"SBX-{p + 1:04d}-{v + 1}"
                items[sku] = Item(sku, cost, shipping, stock)
    return items
