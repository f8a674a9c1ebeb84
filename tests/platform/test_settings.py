"""Typed settings and the redacted wrapper."""

from __future__ import annotations

import pytest

from lendguard.platform.redacted import Redacted
from lendguard.platform.settings import Settings


def test_placeholder_secrets_are_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGUARD_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="LENDGUARD_SECURITY__MASTER_KEY"):
        Settings()


def test_production_starts_once_every_secret_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGUARD_ENVIRONMENT", "production")
    for name in ("SESSION_SECRET", "MASTER_KEY", "INDEX_KEY", "SIGNING_SEED"):
        monkeypatch.setenv(f"LENDGUARD_SECURITY__{name}", f"real-{name.lower()}-value")
    settings = Settings()
    assert settings.security.master_key.reveal() == "real-master_key-value"


def test_nested_sections_read_from_double_underscore_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGUARD_SERVER__PORT", "9123")
    monkeypatch.setenv("LENDGUARD_DATABASE_URL", "sqlite:///elsewhere.db")
    settings = Settings()
    assert settings.server.port == 9123
    assert settings.database_url == "sqlite:///elsewhere.db"


def test_default_database_is_a_sqlite_file_under_dot_lendguard() -> None:
    path = Settings().sqlite_path()
    assert path is not None and path.parts[0] == ".lendguard"


def test_secrets_print_as_redacted_everywhere() -> None:
    settings = Settings(security={"master_key": "s3cret-value"})  # type: ignore[arg-type]
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.security.master_key)
    assert "s3cret-value" not in f"{settings.security.master_key}"
    assert "s3cret-value" not in settings.model_dump_json()
    assert str(Redacted("110101199003077777")) == "<redacted>"
