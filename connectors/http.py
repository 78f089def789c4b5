"""HTTP plumbing shared by every connector: one client builder, one retry policy, one error map.

Why one of each: retries, timeouts and error classes must behave the same for every remote system,
so a job can tell "try later" (RemoteUnavailable, RateLimited) from "this request is wrong"
(RemoteRejected) without knowing which connector it called.

Exception hierarchy (every error a connector raises is a ConnectorError)::

    ConnectorError
    ├── RemoteUnavailable   network error, timeout, 502/503/504: retried, then raised
    │   └── RemoteTimeout   connect/read/write/pool timeout
    ├── RateLimited         429 (or a GraphQL throttle): retried after `retry_after`, then raised
    ├── RemoteRejected      any other 4xx/5xx: never retried; carries status, request id, excerpt
    └── MalformedResponse   the remote answered but the body is not what the protocol promises
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

import httpx
import tenacity
from tenacity.stop import stop_base

from connectors import telemetry

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({502, 503, 504})
_EXCERPT_CHARS = 200
_REQUEST_ID_HEADERS = ("x-request-id", "x-shopify-request-id", "request-id")


def _package_version() -> str:
    try:
        return version("dropship-hub")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


USER_AGENT = f"dropship-hub/{_package_version()}"


class ConnectorError(Exception):
    """Base of every error a connector raises; `note` is a short log annotation (e.g. query cost)."""

    note: str | None = None


class RemoteUnavailable(ConnectorError):
    """The remote could not be reached or answered 502/503/504: transient, worth retrying."""


class RemoteTimeout(RemoteUnavailable):
    """A connect, read, write or pool timeout."""


class RateLimited(ConnectorError):
    """The remote asked us to slow down; `retry_after` (seconds) is its hint, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteRejected(ConnectorError):
    """The remote refused the request (4xx other than 429, or 500): retrying will not help."""

    def __init__(self, status: int, request_id: str | None, excerpt: str) -> None:
        super().__init__(f"HTTP {status} (request id {request_id or '-'}): {excerpt}")
        self.status = status
        self.request_id = request_id
        self.excerpt = excerpt


class MalformedResponse(ConnectorError):
    """The body cannot be decoded or lacks what the protocol promises."""


def excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    """A one-line, bounded excerpt of a body, for error messages (never the whole payload)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def request_id_of(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        if name in response.headers:
            return response.headers[name]
    return None


def raise_for_status(response: httpx.Response) -> None:
    """Map a non-2xx response to the hierarchy: 429 → RateLimited, 502-504 → RemoteUnavailable."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise RateLimited("HTTP 429 Too Many Requests", retry_after)
    if status in RETRYABLE_STATUSES:
        raise RemoteUnavailable(f"HTTP {status} from {response.request.url.host}")
    raise RemoteRejected(status, request_id_of(response), excerpt(response.text))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context httpx would build (its CA bundle, SSL_CERT_FILE honoured), built
    once per process: building one loads the CA bundle, 30-150 ms of CPU, which every job run and
    outbox delivery paid when each new client built its own."""
    return httpx.create_ssl_context()


def build_client(
    *,
    base_url: str = "",
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
    max_connections: int = 10,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """The one way connectors get an httpx client: bounded timeouts and pool, our user agent."""
    return httpx.Client(
        base_url=base_url,
        transport=transport,
        verify=tls_context(),
        timeout=timeout or httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
    )


def send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send once, converting httpx's transport errors into ours (`raise … from` keeps the cause)."""
    try:
        return client.send(request)
    except httpx.TimeoutException as exc:
        raise RemoteTimeout(f"{type(exc).__name__} talking to {request.url.host}") from exc
    except httpx.TransportError as exc:
        raise RemoteUnavailable(f"{type(exc).__name__} talking to {request.url.host}") from exc


def log_request(request: httpx.Request, status: int | str, started: float, note: str | None = None, *,
                kind: str = "remote", remote: str | None = None) -> None:
    """One line per HTTP exchange. Only method, host, path: query strings and headers may hold secrets.

    Also the exchange's metrics: `kind` (supplier, storefront) and `remote` (a supplier code, a
    shop domain; the host when not given) label its latency and, when it failed, its error."""
    elapsed_ms = (time.perf_counter() - started) * 1000
    telemetry.observe_call(kind, remote or request.url.host, status, elapsed_ms / 1000)
    logger.info(
        "%s %s%s -> %s in %.0f ms%s",
        request.method,
        request.url.host,
        request.url.path,
        status,
        elapsed_ms,
        f" cost={note}" if note else "",
        extra={
            "http_method": request.method,
            "http_host": request.url.host,
            "http_path": request.url.path,
            "http_status": status,
            "elapsed_ms": round(elapsed_ms, 1),
            "query_cost": note,
        },
    )


def is_retryable(exc: BaseException) -> bool:
    """Transient failures only: unavailability and rate limits. Every other error is final."""
    return isinstance(exc, RemoteUnavailable | RateLimited)


# No retry may start after this moment (time.monotonic()); None: no bound. A worker sets it from its
# outbox lease (`retries_until`), so an attempt's own retries end before the lease does and no
# second worker can take the message while this attempt is still in flight.
retry_deadline: ContextVar[float | None] = ContextVar("retry_deadline", default=None)
clock: Callable[[], float] = time.monotonic  # the deadline's clock (a test's fake clock replaces it)
ATTEMPT_ALLOWANCE_SECONDS = 40.0  # the longest one request may take: connect 10 s + read 30 s (build_client)


@contextmanager
def retries_until(deadline: float) -> Iterator[None]:
    """Within the block, RetryPolicy starts no retry that would begin after `deadline`."""
    token = retry_deadline.set(deadline)
    try:
        yield
    finally:
        retry_deadline.reset(token)


class _PastDeadline(stop_base):
    """Stop when the next attempt would begin at or after `retry_deadline`."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        deadline = retry_deadline.get()
        upcoming = float(getattr(retry_state, "upcoming_sleep", 0.0))
        return deadline is not None and clock() + upcoming >= deadline


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter and a cap; a remote's Retry-After hint wins when given.

    `sleep` is injectable so tests run the policy without waiting.
    """

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def wait_for(self, attempt_number: int, exc: BaseException | None) -> float:
        """Seconds to wait before attempt `attempt_number + 1`."""
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        ceiling = min(self.max_wait, self.initial_wait * 2 ** (attempt_number - 1))
        return self.rng.uniform(ceiling / 2, ceiling)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.wait_for(state.attempt_number, exc)

    @staticmethod
    def _before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning("attempt %d failed (%s); retrying in %.2fs", state.attempt_number, exc, wait)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn`, retrying transient ConnectorErrors; the last error is re-raised as itself."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)) | _PastDeadline(),
            wait=self._wait,
            retry=tenacity.retry_if_exception(is_retryable),
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(fn)
