"""CJ's response envelope `{code, result, message, data, requestId}` and what its codes mean to us.

`code` 200 (with `result` not false) is success WHATEVER the HTTP status; anything else is mapped
by code, because CJ often answers HTTP 200 with an error inside. Mapping (CJ "Global Error Codes"):

    200                        success → `data`
    1600000 system busy        RemoteUnavailable  (temporary; CJ advises ≤ 3 retries)
    1600200 call over limit    RateLimited        (temporary; wait about a second)
    1600201 quota used up      RateLimited        (temporary; the daily quota resets)
    429 / 5xx as a code        RateLimited / RemoteUnavailable
    1600001-1600003, 1600030, 1600031
                               CJAuthError        (token invalid/absent/refresh failed: the client
                                                   refreshes or logs in again once, then gives up)
    1600004-1600008            CJAuthError        (account or API key wrong: permanent)
    1603100 order not found    CJNotFound
    everything else            CJRejected         (permanent: bad parameter 1600300, variant or
                                                   product not found 1602000/1602001, order create /
                                                   delete fail 1603000/1603002, balance 1604000,
                                                   logistic not found 1605000, …)

Without an envelope the HTTP status decides (connectors.http.raise_for_status, plus: every 5xx is
temporary here). A 2xx body that is not an envelope is a MalformedResponse.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from connectors.http import (
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    RemoteUnavailable,
    excerpt,
    raise_for_status,
)

BUSY = 1600000
AUTH_CODES = frozenset({1600001, 1600002, 1600003, 1600030, 1600031, 1600004, 1600005, 1600006, 1600007, 1600008})
TOKEN_CODES = frozenset({1600001, 1600002, 1600003, 1600030, 1600031})  # worth a new token
RATE_CODES = frozenset({1600200, 1600201, 429})
ORDER_NOT_FOUND = 1603100
ORDER_DELETE_FAIL = 1603002


class CJRejected(RemoteRejected):
    """CJ refused the request for good; `code` is CJ's code, the message is CJ's (never a secret)."""

    def __init__(self, code: int, message: str, request_id: str | None, http_status: int) -> None:
        super().__init__(http_status, request_id, excerpt(f"CJ {code}: {message}"))
        self.code = code
        self.cj_message = message


class CJAuthError(CJRejected):
    """The token or the account was refused."""

    @property
    def token_problem(self) -> bool:
        return self.code in TOKEN_CODES


class CJNotFound(CJRejected):
    """CJ has no such order."""


def decode_json(response: httpx.Response) -> Any:
    """The body with every JSON number as Decimal; None when it is not JSON."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def unwrap(response: httpx.Response) -> Any:
    """`data` of a successful envelope, or the mapped error raised."""
    body = decode_json(response)
    code = as_code(body.get("code")) if isinstance(body, dict) else None
    if code is None or not isinstance(body, dict):
        if response.status_code >= 500 and response.status_code != 429:
            raise RemoteUnavailable(f"HTTP {response.status_code} from CJ")
        raise_for_status(response)
        raise MalformedResponse(f"CJ answered without an envelope: {excerpt(response.text)}")
    if code == 200 and body.get("result", True) is not False:
        return body.get("data")
    raise error_for(code, str(body.get("message") or ""), body.get("requestId"), response)


def error_for(code: int, message: str, request_id: Any, response: httpx.Response) -> Exception:
    rid = str(request_id) if request_id else None
    if code == 200:  # code 200 with result false: CJ says no without a code of its own
        return CJRejected(code, message or "result false", rid, response.status_code)
    if code == BUSY or 500 <= code < 600:
        return RemoteUnavailable(f"CJ {code}: {excerpt(message)} (request id {rid or '-'})")
    if code in RATE_CODES:
        return RateLimited(f"CJ {code}: {excerpt(message)}", retry_after=1.0 if code != 1600201 else None)
    if code in AUTH_CODES:
        return CJAuthError(code, message, rid, response.status_code)
    if code == ORDER_NOT_FOUND:
        return CJNotFound(code, message, rid, response.status_code)
    return CJRejected(code, message, rid, response.status_code)
