"""GS1 EPCIS 2.0 JSON / JSON-LD -> records.

Accepted documents: an `EPCISDocument` (`epcisBody.eventList`), an `EPCISQueryDocument`
(`epcisBody.queryResults.resultsBody.eventList`) or a single event. The document is parsed
whole (JSON); events are then yielded one by one. `position` is "event N" (1-based, list order).

Only `ObjectEvent`s change stock; Aggregation, Transaction, Transformation and Association
events, events carrying an `errorDeclaration`, and unknown actions are rejected with the reason.

bizStep, in its short form, as `urn:epcglobal:cbv:bizstep:<step>` or as
`https://ref.gs1.org/cbv/BizStep-<step>`:

| bizStep                           | record                                                     |
|-----------------------------------|------------------------------------------------------------|
| `receiving`                       | `receipt` at bizLocation, else readPoint                   |
| `shipping`                        | `transfer_out` at readPoint, else bizLocation (the objects |
|                                   | leave the store or DC; no bizLocation while in transit);   |
|                                   | and for each `destinationList` entry of type `location`,   |
|                                   | an `expected` at that location (its `incoming`), due from  |
|                                   | eventTime (EPCIS gives no arrival time), which the         |
|                                   | destination's `receiving` event later closes               |
| `retail_selling`                  | `sale` at readPoint, else bizLocation                      |
| `cycle_counting`, `stock_taking`  | a count at bizLocation, else readPoint                     |
| anything else                     | Rejected "bizStep X not applied"                           |

`action` ADD or OBSERVE is accepted for those steps; DELETE only with `retail_selling` (a till
may decommission what it sells), else it is rejected.

Items: `epcList` SGTINs (`urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial`, or Digital
Link `https://<host>/01/<gtin>/21/<serial>`) and `quantityList` classes (`urn:epc:class:lgtin:`,
`urn:epc:idpat:sgtin:CompanyPrefix.IndicatorItemRef.*`, or a Digital Link without AI 21) with an
integer quantity in units (no `uom`, or EA/H87/C62/PCE; KGM and the like are rejected). Within one
event the quantity per GTIN-14 is the number of distinct EPCs plus the class quantities; one
record per GTIN. A bad EPC or class entry is rejected alone ("event 3 epc 2", "event 3
quantity 1"); the rest of the event still applies. Locations: SGLN URNs
(`urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension` -> GLN-13, extension dropped) or Digital
Link `https://<host>/414/<gln>`.

`external_id` is `"{eventID}:{gtin}"`, or without an eventID
`"sha256:{sha256 of the event's JSON with sorted keys}:{gtin}"`: stable across re-sends.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput
from omnistock.domain.feeds import Kind
from omnistock.domain.movements import MovementType

from .records import Feed, FeedRecord, ParseResult, Rejected, parse_timestamp, within_bound

_BIZSTEP = re.compile(
    r"(?:urn:epcglobal:cbv:bizstep:|https?://ref\.gs1\.org/cbv/BizStep-|cbv:BizStep-)?"
    r"([a-z_]+)"
)
_MOVES = {
    "receiving": MovementType.RECEIPT,
    "shipping": MovementType.TRANSFER_OUT,
    "retail_selling": MovementType.SALE,
}
_COUNTS = frozenset({"cycle_counting", "stock_taking"})
_LEAVING = frozenset({"shipping", "retail_selling"})
_ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
_UNIT_UOMS = frozenset({"EA", "H87", "C62", "PCE"})
_DIGITS = re.compile(r"[0-9]+")
_DL_KEYS = frozenset({"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004",
                      "8006", "8010", "8013", "8017", "8018"})


_LOCATION_TYPES = re.compile(r"(?:urn:epcglobal:cbv:sdt:|https?://ref\.gs1\.org/cbv/SDT-|"
                             r"cbv:SDT-)?location")


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: Kind
    type: MovementType | None
    location: str
    occurred_at: datetime
    key: str
    destinations: tuple[str, ...] = ()  # GLNs a shipment is bound for


def parse_epcis(fileobj: BinaryIO) -> Feed:
    """Records of an EPCIS JSON / JSON-LD document read from a binary file."""
    data = fileobj.read()
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raw = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
        yield Rejected("document", raw, f"not a JSON document: {exc}")
        return
    yield from parse_epcis_document(document)


def parse_epcis_document(document: object) -> Feed:
    """Records of an already decoded EPCIS document, query document or single event."""
    try:
        events = _events(document)
    except InvalidInput as exc:
        yield Rejected("document", _dump(document), exc.detail)
        return
    for number, event in enumerate(events, start=1):
        yield from _event(number, event)


def _events(document: object) -> list[Any]:
    if not isinstance(document, dict):
        raise InvalidInput(f"expected a JSON object, got {type(document).__name__}")
    kind = document.get("type") or document.get("isA")
    if kind == "EPCISDocument":
        events = _path(document, "epcisBody", "eventList")
    elif kind == "EPCISQueryDocument":
        events = _path(document, "epcisBody", "queryResults", "resultsBody", "eventList")
    elif isinstance(kind, str) and kind.endswith("Event"):
        return [document]
    else:
        raise InvalidInput(f"document type {kind!r} is not EPCISDocument, EPCISQueryDocument "
                           "or an event")
    if not isinstance(events, list):
        raise InvalidInput(f"{kind} has no eventList array")
    return events


def _event(number: int, event: Any) -> Feed:
    position = f"event {number}"
    try:
        plan = _plan(event)
        epcs, classes = _array(event, "epcList"), _array(event, "quantityList")
    except InvalidInput as exc:
        yield Rejected(position, _dump(event), exc.detail)
        return
    serials: dict[str, set[str]] = {}
    units: dict[str, int] = {}
    rejected: list[ParseResult] = []
    for index, epc in enumerate(epcs, start=1):
        try:
            gtin, serial = epc_gtin(epc)
            serials.setdefault(gtin, set()).add(serial)
        except InvalidInput as exc:
            rejected.append(Rejected(f"{position} epc {index}", str(epc), exc.detail))
    for index, entry in enumerate(classes, start=1):
        try:
            gtin, quantity = _class_quantity(entry, plan.kind)
            units[gtin] = units.get(gtin, 0) + quantity
        except InvalidInput as exc:
            rejected.append(Rejected(f"{position} quantity {index}", _dump(entry), exc.detail))
    yield from rejected
    totals = {gtin: len(serials.get(gtin, ())) + units.get(gtin, 0) for gtin in serials | units}
    if not totals and not rejected:
        yield Rejected(position, _dump(event), "event has no epcList or quantityList entries: "
                       "nothing to apply")
    for gtin, quantity in totals.items():
        yield FeedRecord(
            position=position, kind=plan.kind, type=plan.type,
            item_code=gtin, item_scheme="gtin", location_code=plan.location,
            location_scheme="gln", quantity=quantity, occurred_at=plan.occurred_at,
            external_id=f"{plan.key}:{gtin}", raw=_dump(event),
        )
        for gln in plan.destinations:
            yield FeedRecord(
                position=f"{position} destination {gln}", kind="movement",
                type=MovementType.EXPECTED, item_code=gtin, item_scheme="gtin",
                location_code=gln, location_scheme="gln", quantity=quantity,
                occurred_at=plan.occurred_at, external_id=f"{plan.key}:{gtin}:to:{gln}",
                raw=_dump(event), expected_at=plan.occurred_at,
            )


def _plan(event: Any) -> _Plan:
    if not isinstance(event, dict):
        raise InvalidInput(f"event must be a JSON object, got {type(event).__name__}")
    kind = event.get("type") or event.get("isA")
    if kind != "ObjectEvent":
        raise InvalidInput(f"{kind or 'an event without a type'} is not applied: only "
                           "ObjectEvent changes stock")
    if "errorDeclaration" in event:
        raise InvalidInput("event has an errorDeclaration (it retracts an earlier event): "
                           "not applied, correct the ledger through its corrective events")
    action = event.get("action")
    if action not in _ACTIONS:
        raise InvalidInput(f"action {action!r} is not ADD, OBSERVE or DELETE", field="action")
    step = biz_step(event.get("bizStep"))
    if step not in _MOVES and step not in _COUNTS:
        raise InvalidInput(f"bizStep {step} not applied", field="bizStep")
    if action == "DELETE" and step != "retail_selling":
        raise InvalidInput(f"action DELETE with bizStep {step} not applied (DELETE ends the "
                           "objects' life, e.g. decommissioning)", field="action")
    return _Plan(
        kind="count" if step in _COUNTS else "movement", type=_MOVES.get(step),
        location=_location(event, step),
        occurred_at=parse_timestamp(event.get("eventTime"), "eventTime"),
        key=_event_key(event),
        destinations=_destinations(event) if step == "shipping" else (),
    )


def _destinations(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The locations of a shipment's `destinationList` (owning or possessing parties are not
    places: they are left out). A location that is not a GLN refuses the event."""
    found = []
    for index, entry in enumerate(_array(event, "destinationList"), start=1):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if isinstance(kind, str) and _LOCATION_TYPES.fullmatch(kind.strip()):
            found.append(location_gln(entry.get("destination"), f"destinationList[{index}]"))
    return tuple(dict.fromkeys(found))


def biz_step(value: object) -> str:
    """The CBV short name of a bizStep in any of its three spellings (else the value as is)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("event has no bizStep: what happened is unknown", field="bizStep")
    match = _BIZSTEP.fullmatch(value.strip())
    return match.group(1) if match else value.strip()


def _location(event: Mapping[str, Any], step: str) -> str:
    order = ("readPoint", "bizLocation") if step in _LEAVING else ("bizLocation", "readPoint")
    for field in order:
        value = event.get(field)
        if value is not None:
            return location_gln(value.get("id") if isinstance(value, dict) else value, field)
    raise InvalidInput("event has neither bizLocation nor readPoint: no location to apply it at",
                       field="bizLocation")


def location_gln(uri: object, field: str = "location") -> str:
    """GLN-13 of an SGLN URN (check digit computed) or of a Digital Link with AI 414."""
    if isinstance(uri, str) and uri.startswith("urn:epc:id:sgln:"):
        parts = uri.removeprefix("urn:epc:id:sgln:").split(".", 2)
        if len(parts) == 3 and _company_digits(parts[0], parts[1], 12):
            return gs1.with_check_digit(parts[0] + parts[1])
        raise InvalidInput(f"{field} {uri} is not an SGLN (CompanyPrefix.LocationReference"
                           ".Extension, 12 digits before the extension)", field=field)
    keys = _digital_link(uri)
    if keys is not None and "414" in keys:
        try:
            return gs1.validate_gln(keys["414"], field="GLN")
        except InvalidInput as exc:
            raise InvalidInput(f"{field} {uri}: {exc.detail}", field=field) from None
    raise InvalidInput(f"{field} {uri!r} is not an SGLN URN or a GS1 Digital Link with a GLN "
                       "(AI 414)", field=field)


def epc_gtin(epc: object) -> tuple[str, str]:
    """(GTIN-14, serial) of one trade item instance: an SGTIN URN or Digital Link /01/../21/.."""
    if isinstance(epc, str) and epc.startswith("urn:epc:id:sgtin:"):
        parts = epc.removeprefix("urn:epc:id:sgtin:").split(".", 2)
        if len(parts) == 3 and parts[2] and _company_digits(parts[0], parts[1], 13):
            return _sgtin_gtin(parts[0], parts[1]), parts[2]
        raise InvalidInput(f"EPC {epc} is not an SGTIN (CompanyPrefix.IndicatorItemRef.Serial, "
                           "13 digits before the serial)", field="epcList")
    keys = _digital_link(epc)
    if keys is not None and "01" in keys:
        gtin = _dl_gtin(epc, keys["01"])
        if not keys.get("21"):
            raise InvalidInput(f"EPC {epc} has no serial (AI 21): a class belongs in quantityList",
                               field="epcList")
        return gtin, keys["21"]
    raise InvalidInput(f"EPC {epc!r} is not an SGTIN (URN or Digital Link with AI 01 and 21): "
                       "only trade items are counted", field="epcList")


def class_gtin(epc_class: object) -> str:
    """GTIN-14 of an LGTIN class, an SGTIN pattern `...*` or a Digital Link without a serial."""
    for prefix in ("urn:epc:class:lgtin:", "urn:epc:idpat:sgtin:"):
        if isinstance(epc_class, str) and epc_class.startswith(prefix):
            parts = epc_class.removeprefix(prefix).split(".", 2)
            pattern_ok = prefix == "urn:epc:class:lgtin:" or parts[-1] == "*"
            if len(parts) == 3 and pattern_ok and _company_digits(parts[0], parts[1], 13):
                return _sgtin_gtin(parts[0], parts[1])
            raise InvalidInput(f"epcClass {epc_class} does not name one GTIN "
                               "(CompanyPrefix.IndicatorItemRef.Lot or .*)", field="epcClass")
    keys = _digital_link(epc_class)
    if keys is not None and "01" in keys and "21" not in keys:
        return _dl_gtin(epc_class, keys["01"])
    raise InvalidInput(f"epcClass {epc_class!r} is not an LGTIN, an SGTIN pattern or a Digital "
                       "Link GTIN class", field="epcClass")


def _class_quantity(entry: Any, kind: Kind) -> tuple[str, int]:
    if not isinstance(entry, dict):
        raise InvalidInput(f"quantityList entry must be an object, got {entry!r}")
    gtin = class_gtin(entry.get("epcClass"))
    quantity, uom = entry.get("quantity"), entry.get("uom")
    if uom is not None and uom not in _UNIT_UOMS:
        raise InvalidInput(f"quantity {quantity} {uom} is a measure, not a number of units",
                           field="uom")
    if (isinstance(quantity, bool) or not isinstance(quantity, int | float)
            or not float(quantity).is_integer()):
        raise InvalidInput(f"quantity must be a whole number of units, got {quantity!r}",
                           field="quantity")
    units = int(quantity)
    if units < 0 or (units == 0 and kind == "movement"):
        least = "0 or more" if kind == "count" else "at least 1"
        raise InvalidInput(f"quantity must be {least}, got {quantity}", field="quantity")
    return gtin, within_bound(units, "quantity")


def _sgtin_gtin(company_prefix: str, indicator_item_ref: str) -> str:
    body = indicator_item_ref[0] + company_prefix + indicator_item_ref[1:]
    return gs1.with_check_digit(body)


def _company_digits(company_prefix: str, reference: str, length: int) -> bool:
    digits = company_prefix + reference
    return bool(_DIGITS.fullmatch(digits)) and len(digits) == length and (
        6 <= len(company_prefix) <= 12 and reference != "")


def _dl_gtin(uri: object, code: str) -> str:
    try:
        return gs1.validate_gtin(code, field="GTIN")
    except InvalidInput as exc:
        raise InvalidInput(f"{uri}: {exc.detail}", field="epc") from None


def _digital_link(uri: object) -> dict[str, str] | None:
    """The AI -> value pairs of a GS1 Digital Link URI path, from its primary key on."""
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        return None
    segments = [unquote(part) for part in urlsplit(uri).path.split("/") if part]
    for start, segment in enumerate(segments):
        if segment in _DL_KEYS:
            rest = segments[start:]
            return dict(zip(rest[::2], rest[1::2], strict=False))
    return None


def _event_key(event: Mapping[str, Any]) -> str:
    event_id = event.get("eventID")
    if isinstance(event_id, str) and event_id.strip():
        return event_id.strip()
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _array(event: Mapping[str, Any], key: str) -> list[Any]:
    value = event.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{key} must be an array, got {type(value).__name__}", field=key)
    return value


def _path(document: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
