"""Settings of the event machinery: the deployable ones from `omnistock.settings`, the rest
fixed here (tests replace them with `dataclasses.replace`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings


@dataclass(frozen=True)
class EventsConfig:
    source: str = "omnistock"  # CloudEvents `source`; (source, id) is unique per deployment
    type_prefix: str = "dev.omnistock."  # CloudEvents `type` = prefix + outbox type
    poll_interval: float = 0.2  # how often the outbox is read when nothing wakes us
    batch_size: int = 500
    lease_ttl: float = 15.0  # a dead dispatcher's work is taken over after this
    gap_timeout: float = 10.0  # PostgreSQL: longest wait for an id allocated but not committed
    heartbeat: float = 15.0  # SSE comment interval
    nats_url: str | None = None
    nats_stream: str = "OMNISTOCK"
    nats_subject_prefix: str = "omnistock"
    nats_duplicate_window: float = 120.0
    nats_ack_timeout: float = 5.0
    webhook_max_attempts: int = 8
    webhook_backoff_base: float = 1.0  # 1 s, 2 s, 4 s ... capped
    webhook_backoff_cap: float = 600.0
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 16
    webhook_poll_interval: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> EventsConfig:
        return cls(
            source=settings.event_source,
            nats_url=settings.nats_url or None,
            nats_stream=settings.nats_stream,
            nats_subject_prefix=settings.nats_subject_prefix,
            webhook_max_attempts=settings.webhook_max_attempts,
            webhook_backoff_base=settings.webhook_backoff_base,
            webhook_backoff_cap=settings.webhook_backoff_cap,
        )

