"""Encryption of secrets at rest (store tokens, webhook secrets) and hashing of API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyMismatch(RuntimeError):
    """A stored secret cannot be decrypted: HUB_SECRET_KEY is not the key it was stored with."""


class TokenCipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) around the key from settings."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyMismatch(
                "a stored secret cannot be decrypted: HUB_SECRET_KEY differs from the key it was stored with"
            ) from exc


API_KEY_PREFIX = "hubk_"


def new_api_key() -> tuple[str, str, str]:
    """(key shown once, prefix kept to recognise it, SHA-256 hash kept to verify it)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(API_KEY_PREFIX) + 6], hash_api_key(key)


def hash_api_key(key: str) -> str:
    """Keys are 256-bit random, so a plain SHA-256 is enough (no password stretching needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def tokens_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
