"""Counts as of a time: the incremental rule equals the replay, whatever the arrival order."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from omnistock.domain.buckets import Buckets
from omnistock.domain.counts import (
    CountMark,
    LedgerFact,
    count_delta,
    effective_deltas,
    fold,
    ledger_facts,
    reverse,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


class IncrementalPosition:
    """What the database does, in memory: apply facts one by one as they arrive."""

    def __init__(self) -> None:
        self.buckets = Buckets()
        self.mark: CountMark | None = None
        self.seen: list[LedgerFact] = []

    def apply(self, f: LedgerFact) -> None:
        if f.counted is None:
            self.buckets = self.buckets.apply(effective_deltas(f.raw, f.occurred_at, self.mark))
        else:
            mark = CountMark(f.occurred_at, f.key)
            after = sum(x.raw.get("on_hand", 0) for x in self.seen
                        if x.counted is None and x.occurred_at > f.occurred_at)
            delta = count_delta(f.counted, mark, self.mark, self.buckets.on_hand, after)
            if delta is not None:
                self.buckets = self.buckets.apply({"on_hand": delta})
                self.mark = mark
        self.seen.append(f)

    def reverse(self, count_key: str) -> None:
        on_hand, self.mark = reverse(self.seen, count_key)
        self.buckets = self.buckets.apply({"on_hand": on_hand - self.buckets.on_hand})
        self.seen.append(LedgerFact(at(0), f"reversal-of-{count_key}", {}, None, count_key))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_late_movement_before_count_is_already_seen():
    p = IncrementalPosition()
    p.apply(LedgerFact(at(10), "c1", {}, counted=7))
    p.apply(LedgerFact(at(5), "sale", {"on_hand": -1}))  # before the count: it saw it
    assert p.buckets.on_hand == 7
    p.apply(LedgerFact(at(15), "sale2", {"on_hand": -2}))  # after: applies on top
    assert p.buckets.on_hand == 5


def test_count_arriving_after_later_movements_keeps_them():
    p = IncrementalPosition()
    p.apply(LedgerFact(at(1), "r", {"on_hand": 10}))
    p.apply(LedgerFact(at(20), "sale", {"on_hand": -3}))
    p.apply(LedgerFact(at(10), "c1", {}, counted=8))
    assert p.buckets.on_hand == 5  # 8 at minute 10, then the sale at minute 20


def test_older_count_is_superseded():
    p = IncrementalPosition()
    p.apply(LedgerFact(at(10), "c2", {}, counted=4))
    p.apply(LedgerFact(at(5), "c1", {}, counted=9))
    assert p.buckets.on_hand == 4


def test_counts_leave_reservations_alone():
    p = IncrementalPosition()
    p.apply(LedgerFact(at(1), "res", {"reserved": 2}))
    p.apply(LedgerFact(at(2), "c", {}, counted=3))
    assert (p.buckets.on_hand, p.buckets.reserved) == (3, 2)


facts = st.lists(
    st.one_of(
        st.builds(lambda m, q, k: LedgerFact(at(m), f"m{k}", {"on_hand": q}),
                  st.integers(0, 30), st.integers(-5, 5).filter(bool), st.integers(0, 10**6)),
        st.builds(lambda m, q, k: LedgerFact(at(m), f"r{k}", {"reserved": q}),
                  st.integers(0, 30), st.integers(1, 3), st.integers(0, 10**6)),
        st.builds(lambda m, c, k: LedgerFact(at(m), f"c{k}", {}, counted=c),
                  st.integers(0, 30), st.integers(0, 20), st.integers(0, 10**6)),
    ),
    max_size=25,
    unique_by=lambda f: f.key,
)


@settings(max_examples=300)
@given(facts, st.randoms())
def test_any_arrival_order_gives_the_replayed_positions(fs, rnd):
    shuffled = list(fs)
    rnd.shuffle(shuffled)
    p = IncrementalPosition()
    for f in shuffled:
        p.apply(f)
    assert p.buckets == fold(fs)


@settings(max_examples=300)
@given(facts, st.randoms(), st.data())
def test_reversing_counts_at_any_point_keeps_the_position_equal_to_the_replay(fs, rnd, data):
    """Whatever counts are reversed, and whenever, the facts that arrive afterwards still
    give the replay of the ledger without those counts."""
    shuffled = list(fs)
    rnd.shuffle(shuffled)
    p = IncrementalPosition()
    for f in shuffled:
        p.apply(f)
        if f.counted is not None and data.draw(st.booleans()):
            p.reverse(f.key)
    assert p.buckets == fold(p.seen)
    assert p.buckets == fold(f for f in fs if f.key not in {x.reverses for x in p.seen})


def test_reversing_a_count_a_later_one_superseded_changes_nothing():
    p = IncrementalPosition()
    for f in (LedgerFact(at(1), "m", {"on_hand": 10}), LedgerFact(at(2), "c1", {}, 4),
              LedgerFact(at(3), "c2", {}, 7), LedgerFact(at(4), "s", {"on_hand": -1})):
        p.apply(f)
    p.reverse("c1")
    assert (p.buckets.on_hand, p.mark) == (6, CountMark(at(3), "c2"))
    p.reverse("c2")
    assert (p.buckets.on_hand, p.mark) == (9, None)


def test_ledger_rows_resolve_a_reversal_to_the_count_it_names():
    rows = [{"id": 1, "type": "receipt", "reference": None, "occurred_at": at(1),
             "source": "erp", "external_id": "r", "raw_on_hand": 5, "counted": None},
            {"id": 2, "type": "count", "reference": None, "occurred_at": at(2),
             "source": "rfid", "external_id": "x", "raw_on_hand": 0, "counted": 1},
            {"id": 3, "type": "count_reversal", "reference": "count:2", "occurred_at": at(3),
             "source": "count_reversal", "external_id": "2", "raw_on_hand": 0, "counted": None},
            {"id": 4, "type": "sale", "reference": "count:1", "occurred_at": at(3),
             "source": "till", "external_id": "s", "raw_on_hand": -1, "counted": None}]
    facts = ledger_facts(rows)
    assert [f.reverses for f in facts] == [None, None, "rfid:x", None]
    assert fold(facts).on_hand == 4
