"""Transfer life cycle and the accounting of its lines.

    requested -> shipped -> partly_received -> received
    shipped | partly_received -> closed_short   what is still in transit is lost
    requested -> cancelled                      nothing has moved yet

Per line, at all times: shipped == received + lost + in_transit, every term >= 0. Units that
arrive beyond what is in transit (`over`) are a discrepancy: they never close expected units,
so they are counted apart from `received`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from .errors import InvalidInput, InvalidState
from .movements import MovementType as M
from .movements import TimeWindow, validate_quantity, validate_timestamp

MAX_LINES = 500


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    SHIPPED = "shipped"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CLOSED_SHORT = "closed_short"
    CANCELLED = "cancelled"


class TransferAction(StrEnum):
    SHIP = "ship"
    RECEIVE = "receive"
    CLOSE = "close"
    CANCEL = "cancel"


S, A = TransferStatus, TransferAction
IN_TRANSIT = (S.SHIPPED, S.PARTLY_RECEIVED)
OPEN = (S.REQUESTED, *IN_TRANSIT)

# action -> the statuses that allow it (the status after it is decided by the lines)
ALLOWED: dict[TransferAction, tuple[TransferStatus, ...]] = {
    A.SHIP: (S.REQUESTED,),
    A.RECEIVE: IN_TRANSIT,
    A.CLOSE: IN_TRANSIT,
    A.CANCEL: (S.REQUESTED,),
}


def check(status: str, action: TransferAction) -> TransferStatus:
    """The current status, if it allows `action`; InvalidState (409) otherwise."""
    current = TransferStatus(status)
    if current not in ALLOWED[action]:
        raise InvalidState(f"cannot {action} a transfer that is {current}", field="action",
                           status_now=current.value, action=action.value)
    return current


def allowed_actions(status: str) -> list[str]:
    return [a.value for a, states in ALLOWED.items() if TransferStatus(status) in states]


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    quantity: int  # requested
    shipped: int = 0
    received: int = 0
    lost: int = 0
    over: int = 0  # received beyond what was in transit

    @property
    def in_transit(self) -> int:
        return self.shipped - self.received - self.lost


@dataclass(frozen=True, slots=True)
class Move:
    """A stock movement a transfer action implies for one line."""

    type: M
    sku: str
    quantity: int
    at: str  # "from" or "to"


def _per_sku(lines: Iterable[tuple[str, int]], known: Mapping[str, Line],
             field: str = "lines") -> dict[str, int]:
    out: dict[str, int] = {}
    for i, (sku, quantity) in enumerate(lines):
        if sku not in known:
            raise InvalidInput(f"the transfer has no line of {sku}", field=f"{field}[{i}].sku")
        if sku in out:
            raise InvalidInput(f"{sku} is listed twice", field=f"{field}[{i}].sku")
        validate_quantity(M.TRANSFER_OUT, quantity)
        out[sku] = quantity
    if not out:
        raise InvalidInput("at least one line is needed", field=field)
    return out


def ship(lines: tuple[Line, ...], wanted: Iterable[tuple[str, int]] | None
         ) -> tuple[tuple[Line, ...], list[Move]]:
    """Ship every line in full, or `wanted` (at most the requested units of each; lines left
    out ship nothing)."""
    known = {ln.sku: ln for ln in lines}
    if wanted is None:
        units = {ln.sku: ln.quantity for ln in lines}
    else:
        units = _per_sku(wanted, known)
        for i, (sku, q) in enumerate(units.items()):
            if q > known[sku].quantity:
                raise InvalidInput(f"{q} of {sku} is more than the {known[sku].quantity} "
                                   "requested", field=f"lines[{i}].quantity")
    after = tuple(replace(ln, shipped=units.get(ln.sku, 0)) for ln in lines)
    moves = [m for ln in after if ln.shipped
             for m in (Move(M.TRANSFER_OUT, ln.sku, ln.shipped, "from"),
                       Move(M.EXPECTED, ln.sku, ln.shipped, "to"))]
    return after, moves


def receive(lines: tuple[Line, ...], got: Iterable[tuple[str, int]], *,
            accept_over: bool = False) -> tuple[tuple[Line, ...], list[Move]]:
    """Receive units at the destination: up to what is in transit closes expected units
    (`transfer_in`); beyond it is refused (409) unless `accept_over`, then recorded as
    `over` and arrives as found stock (an `adjustment`), closing nothing."""
    known = {ln.sku: ln for ln in lines}
    units = _per_sku(got, known)
    moves: list[Move] = []
    after = []
    for ln in lines:
        q = units.get(ln.sku, 0)
        matched = min(q, ln.in_transit)
        extra = q - matched
        if extra and not accept_over:
            i = list(units).index(ln.sku)
            raise InvalidState(f"{q} of {ln.sku} received, {ln.in_transit} in transit: send "
                               "accept_over to record the extra units as a discrepancy",
                               field=f"lines[{i}].quantity", sku=ln.sku,
                               in_transit=ln.in_transit, received=q)
        if matched:
            moves.append(Move(M.TRANSFER_IN, ln.sku, matched, "to"))
        if extra:
            moves.append(Move(M.ADJUSTMENT, ln.sku, extra, "to"))
        after.append(replace(ln, received=ln.received + matched, over=ln.over + extra))
    return tuple(after), moves


def close(lines: tuple[Line, ...]) -> tuple[tuple[Line, ...], list[Move]]:
    """What is still in transit is lost: it leaves the destination's incoming."""
    moves = [Move(M.TRANSIT_LOSS, ln.sku, ln.in_transit, "to") for ln in lines if ln.in_transit]
    return tuple(replace(ln, lost=ln.lost + ln.in_transit) for ln in lines), moves


def status_after_receipt(lines: tuple[Line, ...]) -> TransferStatus:
    return S.RECEIVED if all(ln.in_transit == 0 for ln in lines) else S.PARTLY_RECEIVED


def is_late(status: str, expected_at: datetime, now: datetime) -> bool:
    return TransferStatus(status) in IN_TRANSIT and expected_at < now


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """A new transfer, as asked for (before its locations and items are looked up)."""

    from_location: str
    to_location: str
    lines: tuple[tuple[str, int], ...]
    expected_at: datetime
    reference: str | None = None

    def validate(self, window: TimeWindow | None = None) -> TransferRequest:
        if self.from_location == self.to_location:
            raise InvalidInput("a transfer goes between two locations", field="to_location")
        if len(self.lines) > MAX_LINES:
            raise InvalidInput(f"at most {MAX_LINES} lines", field="lines")
        seen: set[str] = set()
        for i, (sku, quantity) in enumerate(self.lines):
            if sku in seen:
                raise InvalidInput(f"{sku} is listed twice", field=f"lines[{i}].sku")
            seen.add(sku)
            try:
                validate_quantity(M.TRANSFER_OUT, quantity)
            except InvalidInput as e:
                raise InvalidInput(e.detail, field=f"lines[{i}].quantity") from None
        if not self.lines:
            raise InvalidInput("at least one line is needed", field="lines")
        validate_timestamp(self.expected_at, "expected_at", window, arrival=True)
        return self
