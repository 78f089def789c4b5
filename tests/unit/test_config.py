from __future__ import annotations

import stat
from pathlib import Path

from cryptography.fernet import Fernet

from hub.config import Settings
from hub.crypto import SecretKeyMismatch, TokenCipher, hash_api_key, new_api_key


def test_secrets_are_generated_once_with_private_mode(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", _env_file=None)  # type: ignore[call-arg]
    key = settings.fernet_key()
    token = settings.admin_token_value()
    for name in ("secret.key", "admin.token"):
        mode = stat.S_IMODE((tmp_path / "var" / name).stat().st_mode)
        assert mode == 0o600, name
    again = Settings(var_dir=tmp_path / "var", _env_file=None)  # type: ignore[call-arg]
    assert again.fernet_key() == key and again.admin_token_value() == token
    Fernet(key)  # a valid Fernet key
    assert settings.admin_token_was_generated()


def test_configured_secrets_win_and_never_print(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUB_ADMIN_TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("HUB_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("HUB_LOG_LEVEL", "debug")
    settings = Settings(var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.admin_token_value() == "s3cr3t-token-value"
    assert not (tmp_path / "admin.token").exists()
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings.model_dump())
    assert settings.log_level == "DEBUG"
    assert settings.resolved_database_url == "sqlite:///x.db"


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "v", _env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'v' / 'hub.db').as_posix()}"


def test_cipher_round_trip_and_wrong_key() -> None:
    cipher = TokenCipher(Fernet.generate_key())
    sealed = cipher.encrypt("shpat_123")
    assert "shpat_123" not in sealed and cipher.decrypt(sealed) == "shpat_123"
    other = TokenCipher(Fernet.generate_key())
    try:
        other.decrypt(sealed)
    except SecretKeyMismatch as exc:
        assert "HUB_SECRET_KEY" in str(exc)
    else:
        raise AssertionError("decrypting with another key must fail")


def test_api_keys_are_random_and_only_hashes_are_kept() -> None:
    key, prefix, digest = new_api_key()
    other_key, _, other_digest = new_api_key()
    assert key != other_key and digest != other_digest
    assert key.startswith(prefix) and digest == hash_api_key(key) and key not in digest
