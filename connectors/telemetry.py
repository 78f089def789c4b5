"""Prometheus instruments of the connectors: remote call latency and errors, Shopify query cost.

They live here, not in `hub/`, because connectors may not import the core; they register in
prometheus-client's default registry, which `/metrics` renders. Labels are bounded: a remote is a
supplier code or kind, or a shop domain of a connected store (never a URL or a path).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Supplier APIs answer in tens of milliseconds to seconds; a placement may wait on a slow one.
_CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REMOTE_CALL_SECONDS = Histogram(
    "hub_remote_call_seconds", "Duration of one HTTP exchange with a supplier or storefront API.",
    ["kind", "remote"], buckets=_CALL_BUCKETS)
REMOTE_CALL_ERRORS = Counter(
    "hub_remote_call_errors_total",
    "HTTP exchanges with a supplier or storefront that failed: a status >= 400 or a transport error.",
    ["kind", "remote", "reason"])
SHOPIFY_COST_POINTS = Counter(
    "hub_shopify_cost_points_total", "Shopify GraphQL query cost points charged (actual cost), per shop.",
    ["shop"])
SHOPIFY_THROTTLES = Counter(
    "hub_shopify_throttles_total", "Shopify answers that throttled us (GraphQL THROTTLED or HTTP 429), per shop.",
    ["shop"])


def observe_call(kind: str, remote: str, status: int | str, seconds: float) -> None:
    """Record one exchange; `status` is the HTTP status or the transport error's class name."""
    REMOTE_CALL_SECONDS.labels(kind, remote).observe(seconds)
    if isinstance(status, str) or status >= 400:
        REMOTE_CALL_ERRORS.labels(kind, remote, str(status)).inc()


def observe_shopify(shop: str, actual_cost: float | None, throttled: bool) -> None:
    if actual_cost:
        SHOPIFY_COST_POINTS.labels(shop).inc(actual_cost)
    if throttled:
        SHOPIFY_THROTTLES.labels(shop).inc()
