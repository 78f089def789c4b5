"""Webhook HMAC: base64(HMAC-SHA256) of the raw body, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from connectors.shopify.webhooks import sign_webhook, verify_webhook

BODY = b'{"id":820982911946154508,"email":"jon@example.com"}'
SECRET = "hush"


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    expected = base64.b64encode(hmac.new(b"hush", BODY, hashlib.sha256).digest()).decode()
    assert sign_webhook(BODY, SECRET) == expected
    # the published HMAC-SHA256 vector (hex f7bc83f4...2d1a3cd8), base64-encoded
    vector = sign_webhook(b"The quick brown fox jumps over the lazy dog", "key")
    assert vector == "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="


def test_roundtrip_verifies() -> None:
    assert verify_webhook(BODY, sign_webhook(BODY, SECRET), SECRET)


@pytest.mark.parametrize(
    ("body", "secret"),
    [
        (BODY + b" ", SECRET),  # body changed
        (BODY, "other"),  # wrong secret
    ],
)
def test_tampering_fails(body: bytes, secret: str) -> None:
    assert not verify_webhook(body, sign_webhook(BODY, SECRET), secret)


@pytest.mark.parametrize("header", [None, "", "not base64!!", "YWJj", sign_webhook(BODY, SECRET)[:-4]])
def test_missing_or_garbled_header_fails(header: str | None) -> None:
    assert not verify_webhook(BODY, header, SECRET)


def test_empty_secret_never_verifies() -> None:
    assert not verify_webhook(BODY, sign_webhook(BODY, ""), "")
