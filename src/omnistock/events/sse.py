"""Server-sent events of the outbox: `id:` the outbox id, `event:` its type, `data:` the
CloudEvent. A client resumes with `Last-Event-ID` (browsers send it when they reconnect) or
`?after=`, and gets exactly the events after it; without either, the events from now on.
`?types=availability.changed,order.*` and `?sku=` filter. Comments keep idle connections open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sse_starlette import ServerSentEvent

from ..domain.errors import InvalidInput
from ..metrics import SSE_CLIENTS
from .cloudevents import MAX_ID, Event, matches, validate_patterns
from .tail import OutboxTail

RETRY_MS = 2000


@dataclass(frozen=True)
class Filter:
    types: tuple[str, ...] | None = None
    sku: str | None = None

    @classmethod
    def parse(cls, types: str | None, sku: str | None) -> Filter:
        patterns = None
        if types is not None:
            patterns = tuple(validate_patterns([t.strip() for t in types.split(",")], "types"))
        return cls(patterns, sku or None)

    def __call__(self, event: Event) -> bool:
        return (self.sku is None or event.subject == self.sku) and (
            self.types is None or matches(event.type, self.types))


def resume_point(last_event_id: str | None, after: int | None) -> int | None:
    """`Last-Event-ID` wins over `?after=` (it is what a reconnecting browser sends)."""
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id)
        except ValueError:
            raise InvalidInput("Last-Event-ID must be an event id", field="Last-Event-ID") from None
        if not 0 <= value <= MAX_ID:
            raise InvalidInput("Last-Event-ID must be an event id", field="Last-Event-ID")
        return value
    return after


def message(event: Event) -> ServerSentEvent:
    return ServerSentEvent(event.text, id=str(event.id), event=event.type)


async def stream(tail: OutboxTail, last: int | None,
                 accept: Callable[[Event], bool]) -> AsyncIterator[ServerSentEvent]:
    await tail.subscribe()
    SSE_CLIENTS.inc()
    try:
        if last is None:
            last = tail.cursor
        yield ServerSentEvent(comment=f"after {last}", retry=RETRY_MS)
        while True:
            changed = tail.changed
            events, upto = await tail.events_after(last)
            for event in events:
                if accept(event):
                    yield message(event)
            if upto == last:
                await changed.wait()
            last = upto
    finally:
        tail.unsubscribe()
        SSE_CLIENTS.dec()
