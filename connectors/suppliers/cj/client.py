"""A thin CJ API 2.0 client: access tokens (cached, refreshed), pacing, the envelope.

Tokens: `POST /authentication/getAccessToken {"apiKey"}` gives an access token (15 days) and a
refresh token (180 days); `POST /authentication/refreshAccessToken {"refreshToken"}` renews it.
getAccessToken may be called once per 5 minutes only, so tokens live in a `CJSession` shared by
every client of the same API key in this process (adapters are built per job run). A token is
renewed `refresh_margin` before it expires and once more when CJ refuses it (1600001…).
Tokens and the key are secrets: never logged, hidden from repr, sent only in the body/header.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.http import MalformedResponse, build_client, log_request, send
from connectors.suppliers.cj.errors import CJAuthError, unwrap
from connectors.suppliers.cj.pacing import TokenBucket

logger = logging.getLogger(__name__)

CJ_BASE_URL = "https://developers.cjdropshipping.com/api2.0/v1"
TOKEN_HEADER = "CJ-Access-Token"  # noqa: S105 - a header name, not a secret
LOGIN_PATH = "/authentication/getAccessToken"
REFRESH_PATH = "/authentication/refreshAccessToken"
LOGIN_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class CJTokens:
    access_token: str
    access_expires: datetime
    refresh_token: str
    refresh_expires: datetime

    def __repr__(self) -> str:
        return f"CJTokens(access_expires={self.access_expires.isoformat()}, refresh_expires=…)"


def _parse_expiry(value: Any, fallback: datetime) -> datetime:
    """CJ sends '2021-08-18T09:16:33+08:00'; a naive or missing value falls back conservatively."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    return fallback


def tokens_from(data: Any, now: datetime) -> CJTokens:
    if not isinstance(data, dict) or not data.get("accessToken") or not data.get("refreshToken"):
        raise MalformedResponse("CJ token answer lacks accessToken/refreshToken")
    return CJTokens(
        access_token=str(data["accessToken"]),
        access_expires=_parse_expiry(data.get("accessTokenExpiryDate"), now + timedelta(days=15)),
        refresh_token=str(data["refreshToken"]),
        refresh_expires=_parse_expiry(data.get("refreshTokenExpiryDate"), now + timedelta(days=180)),
    )


class CJSession:
    """What all clients of one API key share: its tokens, its pacing, one lock for renewing."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket
        self.tokens: CJTokens | None = None
        self.lock = threading.Lock()
        self.login_refused: tuple[datetime, CJAuthError] | None = None  # until when, and why

    def __repr__(self) -> str:
        return f"CJSession(rate={self.bucket.rate}/s, has_token={self.tokens is not None})"


_SESSIONS: dict[str, CJSession] = {}
_SESSIONS_LOCK = threading.Lock()


def shared_session(api_key: str, requests_per_second: float) -> CJSession:
    """The process-wide session of this API key (keyed by a digest: the key itself is not kept)."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(digest)
        if session is None:
            session = _SESSIONS[digest] = CJSession(TokenBucket(requests_per_second))
        return session


class CJClient:
    """One method per need: `call(method, path, params=, json=)` → the envelope's `data`."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = CJ_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        session: CJSession | None = None,
        requests_per_second: float = 1.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        refresh_margin: timedelta = timedelta(days=1),
        timeout: float = 30.0,
    ) -> None:
        if not api_key:
            raise ValueError("a CJ API key is required")
        self._api_key = api_key
        self.session = session or shared_session(api_key, requests_per_second)
        self._now = now
        self._margin = refresh_margin
        self._client = build_client(base_url=base_url.rstrip("/"), transport=transport,
                                    timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    def __repr__(self) -> str:
        return f"CJClient({str(self._client.base_url)!r})"

    def call(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
             json: Any = None) -> Any:
        token = self.access_token()
        try:
            return self._exchange(method, path, params=params, json=json, token=token)
        except CJAuthError as exc:
            if not exc.token_problem:
                raise
            logger.info("CJ refused the access token (code %s); renewing it once", exc.code)
            self._renew(rejected=token)
            return self._exchange(method, path, params=params, json=json, token=self.access_token())

    def access_token(self) -> str:
        with self.session.lock:
            tokens = self.session.tokens
            if tokens is None or tokens.access_expires - self._margin <= self._now():
                tokens = self._fresh_tokens(tokens)
            return tokens.access_token

    def _renew(self, rejected: str) -> None:
        with self.session.lock:
            tokens = self.session.tokens
            if tokens is not None and tokens.access_token == rejected:  # nobody renewed it meanwhile
                self._fresh_tokens(tokens, force=True)

    def _fresh_tokens(self, tokens: CJTokens | None, force: bool = False) -> CJTokens:
        """Refresh when the refresh token is still good, else log in. Caller holds the lock."""
        now = self._now()
        fresh: CJTokens | None = None
        if tokens is not None and tokens.refresh_expires > now:
            try:
                data = self._exchange("POST", REFRESH_PATH, json={"refreshToken": tokens.refresh_token})
                fresh = tokens_from(data, now)
                logger.info("CJ access token refreshed (forced=%s)", force)
            except CJAuthError:
                logger.info("CJ refresh token refused; logging in again")
        if fresh is None:
            fresh = tokens_from(self._login(now), now)
            logger.info("CJ access token obtained")
        self.session.tokens = fresh
        return fresh

    def _login(self, now: datetime) -> Any:
        """getAccessToken, at most once per LOGIN_INTERVAL after a refusal (CJ's own limit is once
        per 5 minutes): a wrong key fails fast instead of hammering CJ from every job run."""
        refused = self.session.login_refused
        if refused is not None and refused[0] > now:
            raise refused[1]
        try:
            data = self._exchange("POST", LOGIN_PATH, json={"apiKey": self._api_key})
        except CJAuthError as exc:
            self.session.login_refused = (now + LOGIN_INTERVAL, exc)
            raise
        self.session.login_refused = None
        return data

    def _exchange(self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None,
                  token: str | None = None) -> Any:
        headers = {TOKEN_HEADER: token} if token else {}
        request = self._client.build_request(method, path, params=params, json=json, headers=headers)
        self.session.bucket.acquire()
        started = time.perf_counter()
        try:
            response = send(self._client, request)
        except Exception as exc:
            log_request(request, type(exc).__name__, started, kind="supplier", remote="cj")
            raise
        log_request(request, response.status_code, started, kind="supplier", remote="cj")
        return unwrap(response)

    def close(self) -> None:
        self._client.close()
