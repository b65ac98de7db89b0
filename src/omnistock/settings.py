"""Every setting omnistock reads from the environment, read once, in one place.

Each field is the variable `OMNISTOCK_<NAME>` (the README's table lists them). Command-line
options override them (`--database-url`); tests pass values in instead of setting variables.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNISTOCK_", extra="ignore")

    database_url: str = Field("sqlite:///omnistock.db",
                              description="SQLAlchemy URL of the store: sqlite:///... or "
                                          "postgresql+psycopg://...")
    key_cache_seconds: float = Field(30.0, ge=0, description="how long a key lookup, or a "
                                     "revocation, may lag in a server process")
    shopify_secret: str = Field("", description="verifies X-Shopify-Hmac-Sha256 of "
                                "/v1/ingest/shopify/{topic}; empty refuses every webhook")
    progress: bool = Field(False, description="show import progress bars even when stderr "
                           "is not a terminal")
    event_source: str = Field("omnistock", description="CloudEvents `source` of this "
                              "deployment's events")
    nats_url: str | None = Field(None, description="turns on publishing to NATS JetStream")
    nats_stream: str = Field("OMNISTOCK", description="JetStream stream name")
    nats_subject_prefix: str = Field("omnistock", description="subjects are "
                                     "<prefix>.<event type>")
    webhook_max_attempts: int = Field(8, ge=1, description="deliveries are parked after "
                                      "this many failures")
    webhook_backoff_base: float = Field(1.0, gt=0, description="first retry delay in "
                                        "seconds, doubled at each failure")
    webhook_backoff_cap: float = Field(600.0, gt=0, description="longest retry delay in "
                                       "seconds")
    max_future_skew_seconds: float = Field(300.0, ge=0, le=86_400, description="how far "
                                           "ahead of the server's clock an occurred_at, "
                                           "counted_at or as_of may be")
    max_expected_days: float = Field(366.0, ge=0, le=3_660, description="how far ahead an "
                                     "expected movement's expected_at may be")
    earliest_time: AwareDatetime = Field(datetime.fromisoformat("2000-01-01T00:00:00Z"),
                                         description="no fact may be dated before it")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
