"""Shopify webhook signatures: base64(HMAC-SHA256(secret, raw body)) in X-Shopify-Hmac-Sha256.

Verify the *raw* bytes before parsing (re-serialised JSON would not match), compare in constant
time, and treat a missing or garbled header as a failed check rather than an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
SHOP_HEADER = "X-Shopify-Shop-Domain"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
API_VERSION_HEADER = "X-Shopify-API-Version"


def sign_webhook(raw_body: bytes, secret: str) -> str:
    """The header value Shopify would send for this body (used by the sandbox and tests)."""
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook(raw_body: bytes, hmac_header: str | None, secret: str) -> bool:
    """True only if `hmac_header` is the valid signature of `raw_body` under `secret`."""
    if not hmac_header or not secret:
        return False
    try:
        received = base64.b64decode(hmac_header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(received, expected)
