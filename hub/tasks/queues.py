"""Which queue each kind of work goes to: one explicit table, so workers can be split by queue
(`hub worker --queues placement`) and a slow supplier never holds up intake or the ledger."""

from __future__ import annotations

INTAKE, ROUTING, PLACEMENT, STORE_SYNC, FEEDS, MONEY = "intake", "routing", "placement", "store_sync", "feeds", "money"
QUEUES: tuple[str, ...] = (INTAKE, ROUTING, PLACEMENT, STORE_SYNC, FEEDS, MONEY)

# Outbox kinds: supplier calls on placement, store calls on store_sync.
KIND_QUEUES: dict[str, str] = {
    "supplier.place": PLACEMENT,
    "supplier.cancel": PLACEMENT,
    "store.fulfill": STORE_SYNC,
    "store.push_prices": STORE_SYNC,
}

JOB_QUEUES: dict[str, str] = {
    "orders.pull": INTAKE,
    "orders.reconcile": INTAKE,
    "webhooks.sweep": INTAKE,
    "housekeeping.prune_job_runs": INTAKE,
    "orders.route": ROUTING,
    "outbox.dispatch": PLACEMENT,
    "suppliers.poll": PLACEMENT,
    "shipments.watch": PLACEMENT,
    "suppliers.write_purchase_orders": PLACEMENT,
    "products.sync": STORE_SYNC,
    "store.push_inventory": STORE_SYNC,
    "store.push_prices": STORE_SYNC,
    "stock.cover": STORE_SYNC,
    "suppliers.pull_feed": FEEDS,
    "payments.pull": MONEY,
    "ledger.orders": MONEY,
    "fx.pull": MONEY,
    "money.reconcile": MONEY,
}

# Jobs the scheduler does not enqueue when a broker is configured: the outbox is delivered by
# tasks published on commit, and the relay (run by the scheduler itself) republishes the overdue.
BROKER_REPLACED_JOBS = frozenset({"outbox.dispatch"})


def queue_for_kind(kind: str) -> str:
    """An outbox kind's queue; a kind not in the table is a store or supplier call all the same."""
    return KIND_QUEUES.get(kind, PLACEMENT if kind.startswith("supplier.") else STORE_SYNC)


def queue_for_job(name: str) -> str:
    return JOB_QUEUES.get(name, ROUTING)


def parse_queues(text: str | None) -> list[str]:
    """`--queues intake,routing` → the names; ValueError naming the unknown ones. None/empty: all."""
    if not text or not text.strip():
        return list(QUEUES)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise ValueError(f"unknown queue {', '.join(repr(n) for n in unknown) or repr(text)}; "
                         f"known: {', '.join(QUEUES)}")
    return list(dict.fromkeys(names))
