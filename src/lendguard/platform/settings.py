"""Typed settings read from the environment (prefix ``LENDGUARD_``, nested sections with ``__``).

Every field carries a description; ``docs/configuration.md`` lists them all and a test fails when one
is missing there. Secrets left at their placeholder are refused outside development and test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lendguard.platform.redacted import Redacted

PLACEHOLDER_SECRET = "change-me"
DEFAULT_DATABASE_URL = "sqlite:///.lendguard/lendguard.db"

Environment = Literal["development", "test", "production"]


class ServerSettings(BaseModel):
    """Where `lendguard serve` and `lendguard demo` listen."""

    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port of the HTTP server (0 picks a free one).")


class SecuritySettings(BaseModel):
    """Keys for sessions, tokens and field encryption. Placeholders are refused in production."""

    session_secret: Redacted[str] = Field(
        Redacted(PLACEHOLDER_SECRET), description="Key that signs page-session cookies."
    )
    master_key: Redacted[str] = Field(
        Redacted(PLACEHOLDER_SECRET),
        description="Master key that wraps per-subject data keys (any string; stretched with HKDF).",
    )
    index_key: Redacted[str] = Field(
        Redacted(PLACEHOLDER_SECRET),
        description="Key of the HMAC index used for exact-match lookups of encrypted identifiers.",
    )
    previous_master_key: Redacted[str] | None = Field(
        None,
        description="The master key being rotated away from: still opens data keys it wrapped until "
        "`lendguard keys rotate` has re-wrapped them all (unset it afterwards).",
    )
    signing_seed: Redacted[str] = Field(
        Redacted(PLACEHOLDER_SECRET),
        description="Seed of each institution's Ed25519 signing key (receipts, tokens, checkpoints).",
    )
    password_cost: int = Field(
        14, ge=10, le=20, description="log2 of scrypt's N for password hashes (tests lower it to run fast)."
    )
    session_max_age_s: int = Field(8 * 3600, gt=0, description="Lifetime of a page session, in seconds.")


class AuditSettings(BaseModel):
    """Tamper-evident audit log."""

    checkpoint_every: int = Field(1000, gt=0, description="Write a signed checkpoint after this many entries.")
    checkpoint_minutes: int = Field(60, gt=0, description="... or after this many minutes, whichever comes first.")


class IntelSettings(BaseModel):
    """Ring detection."""

    engine: Literal["duckdb", "spark"] = Field("duckdb", description="Default engine of analytics jobs.")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Default ring score threshold for borrowers.")
    spark_master: str = Field("local[2]", description="Spark master URL when the Spark engine is used.")


class GatewaySettings(BaseModel):
    """Credit-data gateway."""

    default_rate_per_second: int = Field(
        50, gt=0, description="Per-client query rate limit when the contract sets none."
    )
    default_rate_per_day: int = Field(
        100_000, gt=0, description="Per-client daily query cap when the contract sets none."
    )


class ScreeningSettings(BaseModel):
    """Collection-message screener."""

    statistical: bool = Field(
        False,
        description="Add the optional statistical insult layer (review findings, Chinese text) wherever the "
        "screener runs (`lendguard screen`, the screening API, the policy engine's screener hook); off by default, "
        "the rule layer alone decides block.",
    )


class Settings(BaseSettings):
    """All settings of one lendguard process."""

    model_config = SettingsConfigDict(
        env_prefix="LENDGUARD_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    environment: Environment = Field(
        "development", description="development, test or production; production refuses placeholder secrets."
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database for every command and the server "
        "(default: a SQLite file under .lendguard/ in the working directory).",
    )
    database_echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    timezone: str = Field("Asia/Shanghai", description="Time zone used to show times on pages and reports.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="HTTP server.")
    security: SecuritySettings = Field(default_factory=SecuritySettings, description="Keys.")
    audit: AuditSettings = Field(default_factory=AuditSettings, description="Audit log.")
    intel: IntelSettings = Field(default_factory=IntelSettings, description="Ring detection.")
    gateway: GatewaySettings = Field(default_factory=GatewaySettings, description="Gateway.")
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings, description="Message screener.")

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment in ("development", "test"):
            return self
        left = [
            name
            for name in type(self.security).model_fields
            if isinstance(getattr(self.security, name), Redacted)
            and getattr(self.security, name).reveal() in ("", PLACEHOLDER_SECRET)
        ]
        if left:
            names = ", ".join(f"LENDGUARD_SECURITY__{n.upper()}" for n in left)
            raise ValueError(f"placeholder secrets are refused in {self.environment}: set {names}")
        return self

    def sqlite_path(self) -> Path | None:
        """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        rest = self.database_url[len(prefix) :].split("?", 1)[0]
        return None if rest in ("", ":memory:") else Path(rest)
