from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omnistock.domain.errors import InvalidInput
from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.domain.movements import MovementType
from omnistock.ingest.epcis import (
    biz_step,
    class_gtin,
    epc_gtin,
    location_gln,
    parse_epcis,
    parse_epcis_document,
)

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds" / "epcis"
OFFICIAL = Path("/work/shared/fixtures/epcis-official")
DC, STORE_A, STORE_B = "7612345000015", "7612345000022", "7612345000039"
SHIRT, SOCKS, CAP = "07612345670010", "07612345670027", "07612345670034"
RECEIPT, SALE, OUT = MovementType.RECEIPT, MovementType.SALE, MovementType.TRANSFER_OUT


def accepted(results: list[FeedRecord | Rejected]) -> list[FeedRecord]:
    """The results of a file that must be accepted whole."""
    assert all(isinstance(result, FeedRecord) for result in results), results
    return [result for result in results if isinstance(result, FeedRecord)]


def parse_file(path: Path) -> list[FeedRecord | Rejected]:
    with path.open("rb") as fileobj:
        return list(parse_epcis(fileobj))


def summary(results: list[FeedRecord] | list[FeedRecord | Rejected]) -> list[tuple[object, ...]]:
    return [(r.position, r.kind, r.type, r.item_code, r.location_code, r.quantity)
            if isinstance(r, FeedRecord) else (r.position, "rejected") for r in results]


# Tag Data Standard examples: SGTIN 0614141.107346.2017 is GTIN 10614141073464,
# SGLN 0614141.12345.400 is GLN 0614141123452.
def test_an_sgtin_urn_gives_its_gtin14_with_the_indicator_first() -> None:
    assert epc_gtin("urn:epc:id:sgtin:0614141.107346.2017") == ("10614141073464", "2017")
    assert epc_gtin("urn:epc:id:sgtin:7612345.067001.A.B") == (SHIRT, "A.B")


def test_an_sgln_urn_gives_its_gln_without_the_extension() -> None:
    assert location_gln("urn:epc:id:sgln:0614141.12345.400") == "0614141123452"
    assert location_gln("urn:epc:id:sgln:7612345.00002.0") == STORE_A


def test_digital_links_are_read_for_items_locations_and_classes() -> None:
    assert epc_gtin("https://id.gs1.org/01/07612345670010/21/ab%2F1") == (SHIRT, "ab/1")
    assert epc_gtin("https://shop.example.com/p/01/7612345670010/21/9") == (SHIRT, "9")
    assert location_gln("https://id.gs1.org/414/7612345000039/254/till-2") == STORE_B
    assert class_gtin("https://id.gs1.org/01/07612345670027/10/LOT7") == SOCKS
    assert class_gtin("urn:epc:idpat:sgtin:7612345.067003.*") == CAP
    assert class_gtin("urn:epc:class:lgtin:7612345.067003.L-1") == CAP


@pytest.mark.parametrize(
    ("value", "step"),
    [
        ("receiving", "receiving"),
        ("urn:epcglobal:cbv:bizstep:cycle_counting", "cycle_counting"),
        ("https://ref.gs1.org/cbv/BizStep-retail_selling", "retail_selling"),
        ("https://example.com/steps/unboxing", "https://example.com/steps/unboxing"),
    ],
)
def test_biz_steps_are_read_in_any_of_their_spellings(value: str, step: str) -> None:
    assert biz_step(value) == step


@pytest.mark.parametrize(
    ("call", "value", "reason"),
    [
        (epc_gtin, "https://id.gs1.org/01/07612345670011/21/1", "has check digit 1, expected 0"),
        (epc_gtin, "urn:epc:id:sgtin:7612345.67001.1", "13 digits before the serial"),
        (epc_gtin, "urn:epc:id:sgtin:7612345.067001.", "is not an SGTIN"),
        (epc_gtin, "urn:epc:id:sscc:7612345.0000000001", "only trade items are counted"),
        (epc_gtin, 42, "is not an SGTIN"),
        (location_gln, "https://id.gs1.org/414/7612345000023", "has check digit 3, expected 2"),
        (location_gln, "urn:epc:id:pgln:7612345.00002", "is not an SGLN URN"),
        (location_gln, "urn:epc:id:sgln:76123X5.00002.0", "12 digits before the extension"),
        (class_gtin, "urn:epc:idpat:sgtin:7612345.067003.17", "does not name one GTIN"),
        (class_gtin, "https://id.gs1.org/01/07612345670027/21/5", "is not an LGTIN"),
    ],
)
def test_garbage_identifiers_are_refused_with_the_reason(
        call: Callable[[object], object], value: object, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(reason)):
        call(value)


def test_a_document_of_store_events_maps_each_biz_step() -> None:
    results = accepted(parse_file(FEEDS / "store_events.jsonld"))

    assert summary(results) == [
        ("event 1", "movement", RECEIPT, SHIRT, DC, 3),  # 4 EPCs listed, one twice
        ("event 1", "movement", RECEIPT, SOCKS, DC, 2),
        ("event 2", "movement", OUT, SHIRT, DC, 2),  # shipped: at the readPoint
        # ... bound for store A (its destinationList): there, incoming until received
        ("event 2 destination 7612345000022", "movement", MovementType.EXPECTED, SHIRT,
         STORE_A, 2),
        ("event 3", "movement", RECEIPT, SHIRT, STORE_A, 12),
        ("event 3", "movement", RECEIPT, CAP, STORE_A, 4),
        ("event 4", "movement", SALE, SHIRT, STORE_A, 1),
        ("event 5", "count", None, SHIRT, STORE_A, 7),  # 2 EPCs + 5 by class
        ("event 5", "count", None, SOCKS, STORE_A, 0),
    ]
    assert all(r.item_scheme == "gtin" and r.location_scheme == "gln"
               for r in results if isinstance(r, FeedRecord))
    times = [r.occurred_at for r in results]
    assert times[0] == datetime(2024, 3, 1, 6, 30, tzinfo=UTC)
    assert times[6] < times[5]  # out of order, applied as it comes
    assert results[3].expected_at == results[3].occurred_at == results[2].occurred_at
    assert results[0].external_id == "urn:uuid:6f1c2a8e-0001-4b7a-9a10-3e0c5d1f0001:" + SHIRT


def test_without_an_event_id_the_external_id_hashes_the_event() -> None:
    document = json.loads((FEEDS / "store_events.jsonld").read_text())
    event = document["epcisBody"]["eventList"][2]
    shuffled = dict(reversed(list(event.items())))  # same event, keys in another order

    first = list(parse_epcis_document(event))
    again = list(parse_epcis_document(shuffled))
    changed = list(parse_epcis_document({**event, "eventTime": "2024-03-01T15:46:00+01:00"}))

    assert [r.external_id for r in first] == [r.external_id for r in again]  # type: ignore[union-attr]
    assert first[0].external_id.startswith("sha256:")  # type: ignore[union-attr]
    assert first[0].external_id.endswith(":" + SHIRT)  # type: ignore[union-attr]
    assert first[0].external_id != changed[0].external_id  # type: ignore[union-attr]


def test_a_single_event_document_is_accepted() -> None:
    results = parse_file(FEEDS / "single_event.json")
    assert summary(results) == [("event 1", "movement", SALE, CAP, STORE_B, 2)]


def test_a_query_document_is_accepted() -> None:
    results = parse_file(FEEDS / "query_document.json")
    assert summary(results) == [("event 1", "movement", RECEIPT, SOCKS, "7612345000039", 6)]


BROKEN = {
    "event 1": "AggregationEvent is not applied",
    "event 2": "bizStep inspecting not applied",
    "event 3": "bizStep urn:example:bizstep:teleporting not applied",
    "event 4": "event has neither bizLocation nor readPoint",
    "event 5": "eventTime '2024-03-05T09:00:00' has no time zone",
    "event 6 epc 1": "GTIN 07612345670011 has check digit 1, expected 0",
    "event 6 epc 3": "urn:epc:id:sscc:7612345.0000000002' is not an SGTIN",
    "event 6 epc 4": "13 digits before the serial",
    "event 6 epc 5": "has no serial (AI 21)",
    "event 7": "GLN 7612345000023 has check digit 3, expected 2",
    "event 8 quantity 1": "quantity 2.5 KGM is a measure, not a number of units",
    "event 8 quantity 2": "quantity must be a whole number of units, got 2.5",
    "event 8 quantity 3": "quantity must be at least 1, got -3",
    "event 8 quantity 4": "does not name one GTIN",
    "event 8 quantity 5": "epcClass 'garbage' is not an LGTIN",
    "event 9": "action 'MOVE' is not ADD, OBSERVE or DELETE",
    "event 10": "action DELETE with bizStep shipping not applied",
    "event 11": "errorDeclaration",
    "event 14": "nothing to apply",
    "event 15": "event must be a JSON object, got str",
    "event 16": "is not an SGLN",
}


def test_every_broken_event_or_identifier_is_rejected_with_its_reason() -> None:
    results = parse_file(FEEDS / "broken.jsonld")

    rejected = {r.position: r.reason for r in results if isinstance(r, Rejected)}
    assert rejected.keys() == BROKEN.keys()
    for position, reason in BROKEN.items():
        assert reason in rejected[position], position
    records = [r for r in results if isinstance(r, FeedRecord)]
    assert [(r.position, r.quantity) for r in records] == [
        ("event 6", 1), ("event 12", 1), ("event 13", 1), ("event 17", 1)]
    assert records[1].external_id == records[2].external_id  # sent twice: the ledger dedups
    assert records[3].occurred_at < records[0].occurred_at  # out of order


def test_a_rejected_identifier_keeps_its_raw_text() -> None:
    results = {r.position: r for r in parse_file(FEEDS / "broken.jsonld")}
    assert results["event 6 epc 1"].raw == "https://id.gs1.org/01/07612345670011/21/7001"
    assert json.loads(results["event 2"].raw)["bizStep"] == "inspecting"


def test_a_truncated_document_is_rejected_whole() -> None:
    data = (FEEDS / "store_events.jsonld").read_bytes()
    [rejected] = parse_epcis(io.BytesIO(data[: len(data) // 2]))
    assert isinstance(rejected, Rejected) and rejected.position == "document"
    assert rejected.reason.startswith("not a JSON document")


def test_a_document_that_is_not_utf8_is_rejected_whole() -> None:
    data = (FEEDS / "single_event.json").read_bytes().replace(b"till-2", b"caf\xe9")
    [rejected] = parse_epcis(io.BytesIO(data))
    assert isinstance(rejected, Rejected) and "not a JSON document" in rejected.reason
    assert "caf\\xe9" in rejected.raw


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"type": "EPCISMasterDataDocument"}, "document type 'EPCISMasterDataDocument' is not"),
        ({"type": "EPCISDocument", "epcisBody": {}}, "EPCISDocument has no eventList array"),
        ([{"type": "ObjectEvent"}], "expected a JSON object, got list"),
    ],
)
def test_a_document_of_the_wrong_shape_is_rejected(document: object, reason: str) -> None:
    [rejected] = parse_epcis_document(document)
    assert isinstance(rejected, Rejected) and reason in rejected.reason


# The GS1 EPCIS 2.0 example documents: read in place, never copied into the project.
needs_official = pytest.mark.skipif(not OFFICIAL.is_dir(), reason="no official EPCIS examples")


@needs_official
@pytest.mark.parametrize("name", sorted(p.name for p in OFFICIAL.glob("*.json*"))
                         if OFFICIAL.is_dir() else [])
def test_each_official_example_is_read_and_every_event_accounted_for(name: str) -> None:
    document = json.loads((OFFICIAL / name).read_text())
    events = document["epcisBody"]["eventList"]

    results = parse_file(OFFICIAL / name)
    assert {r.position.split(" epc ")[0].split(" quantity ")[0] for r in results} == {
        f"event {n}" for n in range(1, len(events) + 1)}
    assert all(r.reason for r in results if isinstance(r, Rejected))
    assert parse_file(OFFICIAL / name) == results  # a second import gives the same ids


@needs_official
def test_official_object_events_become_receipts_and_transfers() -> None:
    assert summary(parse_file(OFFICIAL / "Example_9.6.1-ObjectEvent.jsonld")) == [
        ("event 1", "movement", OUT, "10614141073464", "0614141073467", 2),
        ("event 2", "movement", RECEIPT, "10614141073464", "0012345111112", 1),
    ]
    assert summary(parse_file(OFFICIAL / "Example_9.6.1-ObjectEventWithDigitalLink.jsonld")) == [
        ("event 1", "movement", OUT, "70614141123451", "0614141073467", 2),
        ("event 2", "movement", RECEIPT, "70614141123451", "0012345111112", 1),
    ]
    assert summary(parse_file(OFFICIAL / "PersistentDisposition-example.jsonld")) == [
        ("event 1", "movement", RECEIPT, "09520001123467", "9529999999993", 10),
        ("event 2", "rejected"),
    ]


@needs_official
@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("Example_9.6.2-ObjectEvent.jsonld", ["quantity 200 KGM is a measure"]),
        ("Example_9.6.3-AggregationEvent.jsonld", ["AggregationEvent is not applied"]),
        ("Example_9.6.4-TransformationEvent.jsonld", ["TransformationEvent is not applied"]),
        ("transaction_event_all_possible_fields.jsonld", ["TransactionEvent is not applied"]),
        ("PersistentDisposition-example.jsonld", ["bizStep inspecting not applied"]),
        ("event_with_identical_hash_id_7.json", ["quantity 200.0 KGM", "quantity 300.0 KGM"]),
    ],
)
def test_what_official_examples_cannot_apply_is_rejected_with_a_reason(
        name: str, reasons: list[str]) -> None:
    rejected = [r.reason for r in parse_file(OFFICIAL / name) if isinstance(r, Rejected)]
    assert len(rejected) == len(reasons)
    for reason, expected in zip(rejected, reasons, strict=True):
        assert expected in reason


@needs_official
def test_an_official_event_without_event_id_gets_a_stable_hash_id() -> None:
    [*_, record] = parse_file(OFFICIAL / "event_with_identical_hash_id_7.json")
    assert isinstance(record, FeedRecord)
    assert (record.type, record.item_code, record.quantity) == (RECEIPT, "10614141073464", 3)
    assert record.external_id.startswith("sha256:") and record.external_id.endswith(
        ":10614141073464")
