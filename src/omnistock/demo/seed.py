"""Seed the demo retailer: catalogue, network, channels, opening stock, and a few days of
history (till sales, returns, replenishment, RFID counts, transfers in transit, purchase
orders), so that the dashboard's figures have something to show from the first minute.

Everything goes through the services (`apply_batch`, `apply_counts`), with a clock set to the
time each batch would have been recorded, so `recorded_at - occurred_at` looks like real
feeds: the POS feed posts every 15 minutes, the WMS and the RFID sweeps lag by minutes.
(Few, larger batches also keep seeding fast: a batch costs a little more as the ledger grows.)
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from ..domain.catalog import Item
from ..domain.movements import MovementRequest, MovementType
from ..services import catalog
from ..services.movements import CountRequest, apply_batch, apply_counts
from ..store.database import Database
from . import retailer

Key = tuple[str, str]  # (sku, location)
OPEN_HOUR, CLOSE_HOUR = 8, 20
SALES_PER_WINDOW = 1.2  # mean till sales per 15 minutes in a store of size 1.0


@dataclass
class Network:
    """What the traffic simulator needs to know about the seeded retailer."""

    dc: str
    dark_store: str
    stores: list[str]
    sizes: dict[str, float]
    coords: dict[str, tuple[float, float]]
    skus: list[str]
    weights: list[float]
    ranged: dict[str, list[str]] = field(default_factory=dict)
    cum_weights: dict[str, list[float]] = field(default_factory=dict)
    associate_store: str = retailer.ASSOCIATE_STORE
    in_transit: list[tuple[str, str, int, str]] = field(default_factory=list)  # sku, to, qty, ref
    daily: dict[str, dict[str, float]] = field(default_factory=dict)  # store -> sku -> units/day

    def pick(self, rng: random.Random, location: str) -> str:
        return rng.choices(self.ranged[location], cum_weights=self.cum_weights[location])[0]

    def pick_store(self, rng: random.Random) -> str:
        return rng.choices(self.stores, weights=[self.sizes[s] for s in self.stores])[0]


@dataclass
class Seeded:
    network: Network
    items: int
    locations: int
    movements: int
    seconds: float


class Clock:
    """A settable clock: each batch is recorded at the time its feed would have sent it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Ledger:
    """Writes movements through the services and mirrors on_hand, to keep the story coherent
    (no sale from an empty shelf unless meant)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = Database(db.engine, db.ids, clock)
        self.clock = clock
        self.on_hand: dict[Key, int] = defaultdict(int)
        self.safety: dict[Key, int] = defaultdict(int)
        self.counted_at: dict[Key, datetime] = {}
        self.count = 0
        self._ids = 0

    def ref(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:07d}"

    def move(self, type_: str, sku: str, location: str, quantity: int, at: datetime,
             source: str, **kw: object) -> MovementRequest:
        key = (sku, location)
        if type_ in ("receipt", "return", "transfer_in"):
            self.on_hand[key] += quantity
        elif type_ in ("sale", "transfer_out"):
            self.on_hand[key] -= quantity
        elif type_ == "safety_stock":
            self.safety[key] += quantity
        return MovementRequest(type=MovementType(type_), sku=sku, location=location,
                               quantity=quantity, occurred_at=at, source=source,
                               external_id=self.ref(source), **kw)  # type: ignore[arg-type]

    def apply(self, requests: list[MovementRequest], recorded_at: datetime,
              chunk: int = 5000) -> None:
        self.clock.now = recorded_at
        for start in range(0, len(requests), chunk):
            apply_batch(self.db, requests[start:start + chunk], with_ids=False)
        self.count += len(requests)

    def counts(self, counted: list[tuple[str, str, int, datetime]], recorded_at: datetime,
               source: str = "rfid") -> None:
        self.clock.now = recorded_at
        apply_counts(self.db, [CountRequest(sku=s, location=loc, counted_quantity=q,
                                               counted_at=at, source=source,
                                               external_id=self.ref(source))
                                  for s, loc, q, at in counted])
        for s, loc, q, at in counted:
            self.on_hand[(s, loc)] = q
            self.counted_at[(s, loc)] = max(at, self.counted_at.get((s, loc), at))
        self.count += len(counted)

    def sellable(self, key: Key) -> int:
        return self.on_hand[key] - self.safety[key]


def seed(db: Database, *, items: int = 3000, days: int = 7, seed: int = 7,
         now: datetime | None = None, progress: Callable[[str], None] = lambda _: None
         ) -> Seeded:
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    products = retailer.catalogue(items, rng)
    progress(f"catalogue: {len(products)} items")
    _create_items(db, [p.item for p in products], now)
    locs = retailer.locations()
    for loc in locs:
        catalog.create_location(db, loc)
    stores = [loc.code for loc in locs if loc.kind == "store"]
    shipping = [loc.code for loc in locs if loc.can_ship]
    catalog.create_channel(db, "web", "Web shop", shipping)
    catalog.create_channel(db, "app", "Mobile app", shipping)
    catalog.create_channel(db, "pos", "Store tills", stores)
    network = _plan(products, locs, rng)
    ledger = Ledger(db, Clock(now))
    start = datetime.combine((now - timedelta(days=days)).date(), datetime.min.time(), UTC)
    progress("opening stock")
    _opening_stock(ledger, network, products, rng, start + timedelta(hours=5))
    for day in range(days + 1):
        progress(f"history: day {day + 1} of {days + 1}")
        _history_day(ledger, network, rng, start + timedelta(days=day), now)
    _exceptions(ledger, network, rng, now)
    _in_transit(ledger, network, rng, now)
    return Seeded(network, len(products), len(locs), ledger.count,
                  time.perf_counter() - started)


def _create_items(db: Database, new: list[Item], now: datetime) -> None:
    """All items in one unit of work (3,000 separate transactions take seconds)."""
    with db.uow() as uow:
        for item in new:
            uow.catalog.add_item({**asdict(item.validated()), "created_at": now})
        uow.commit()


def _plan(products: list[retailer.Product], locs: list, rng: random.Random) -> Network:
    sizes = retailer.store_sizes()
    skus = [p.item.sku for p in products]
    weights = [p.popularity for p in products]
    network = Network(dc=retailer.DC[0], dark_store=retailer.DARK_STORE[0],
                      stores=[c for c, *_ in retailer.STORES], sizes=sizes,
                      coords={loc.code: (loc.latitude, loc.longitude) for loc in locs},
                      skus=skus, weights=weights)
    n = len(products)
    for code in [network.dc, network.dark_store, *network.stores]:
        if code == network.dc:
            ranged = list(range(n))
        elif code == network.dark_store:
            ranged = [i for i, p in enumerate(products)
                      if p.category in ("GRO", "BEA") or i < n * 0.15]
        else:
            width = min(1.0, 0.18 * sizes[code])
            ranged = [i for i in range(n)
                      if i == 0 or rng.random() < (0.95 if i < n * 0.1 else width)]
        network.ranged[code] = [skus[i] for i in ranged]
        total, cum = 0.0, []
        for i in ranged:
            total += weights[i]
            cum.append(total)
        network.cum_weights[code] = cum
        if code in sizes:
            per_day = SALES_PER_WINDOW * sizes[code] * 4 * (CLOSE_HOUR - OPEN_HOUR)
            network.daily[code] = {skus[i]: per_day * weights[i] / total for i in ranged}
    return network


def _opening_stock(ledger: Ledger, network: Network, products: list[retailer.Product],
                   rng: random.Random, at: datetime) -> None:
    moves: list[MovementRequest] = []
    safety: list[MovementRequest] = []
    top = {p.item.sku for p in products[: len(products) // 4]}
    for code, skus in network.ranged.items():
        for sku in skus:
            if code == network.dc:
                qty = rng.randint(60, 400) if sku in top else rng.randint(12, 120)
            elif code == network.dark_store:
                qty = rng.randint(6, 40)
            else:
                daily = network.daily[code][sku]
                qty = max(rng.randint(2, 10) if sku in top else rng.randint(1, 4),
                          round(daily * rng.uniform(4, 7)))
            moves.append(ledger.move("receipt", sku, code, qty, at, "wms", reference="opening"))
            if code in network.sizes and sku in top and rng.random() < 0.5:
                safety.append(ledger.move("safety_stock", sku, code, rng.randint(1, 2), at,
                                          "planning"))
    ledger.apply(moves, at + timedelta(minutes=4))
    ledger.apply(safety, at + timedelta(minutes=9))


def _history_day(ledger: Ledger, network: Network, rng: random.Random, day: datetime,
                 now: datetime) -> None:
    horizon = now - timedelta(minutes=3)
    _replenish(ledger, network, rng, day + timedelta(hours=6), horizon)
    for window in _windows(day, minutes=15):
        if window >= horizon:
            break
        sales: list[MovementRequest] = []
        for code in network.stores:
            for _ in range(_poisson(rng, SALES_PER_WINDOW * network.sizes[code])):
                sku = network.pick(rng, code)
                at = window + timedelta(seconds=rng.uniform(0, 899))
                if at >= horizon:  # the history ends now: nothing sold in the future
                    continue
                if rng.random() < 0.03:
                    sales.append(ledger.move("return", sku, code, 1, at, "pos"))
                elif ledger.sellable((sku, code)) > 0:
                    sales.append(ledger.move("sale", sku, code, 1, at, "pos"))
        if sales:
            ledger.apply(sales, min(now, window + timedelta(
                seconds=900 + rng.lognormvariate(0.5, 0.8))))
    sweep = day + timedelta(hours=22)
    if sweep < horizon - timedelta(hours=2):
        _rfid_sweep(ledger, network, rng, sweep)


def _windows(day: datetime, minutes: int) -> Iterator[datetime]:
    t = day + timedelta(hours=OPEN_HOUR)
    while t < day + timedelta(hours=CLOSE_HOUR):
        yield t
        t += timedelta(minutes=minutes)


def _poisson(rng: random.Random, mean: float) -> int:
    n, p, limit = 0, 1.0, pow(2.718281828459045, -mean)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _replenish(ledger: Ledger, network: Network, rng: random.Random, at: datetime,
               horizon: datetime) -> None:
    if at >= horizon:
        return
    moves = []
    for code in network.stores:
        for sku in network.ranged[code]:
            daily = network.daily[code][sku]
            if ledger.sellable((sku, code)) <= daily * 1.5 and rng.random() < 0.4 + daily / 4:
                moves.append(ledger.move("receipt", sku, code,
                                         max(rng.randint(3, 8), round(daily * 5)),
                                         at + timedelta(minutes=rng.uniform(0, 90)), "wms",
                                         reference="replenishment"))
    for sku in network.ranged[network.dc]:
        if ledger.on_hand[(sku, network.dc)] < 20 and rng.random() < 0.5:
            moves.append(ledger.move("receipt", sku, network.dc, rng.randint(60, 200), at,
                                     "erp", reference=ledger.ref("PO")))
    moves.sort(key=lambda m: m.occurred_at)
    for start in range(0, len(moves), 40):  # the WMS posts receipts as they are booked
        part = moves[start:start + 40]
        ledger.apply(part, part[-1].occurred_at + timedelta(minutes=rng.uniform(3, 25)))


def _rfid_sweep(ledger: Ledger, network: Network, rng: random.Random, at: datetime) -> None:
    counted = []
    for code in network.stores:
        for sku in rng.sample(network.ranged[code], k=min(6, len(network.ranged[code]))):
            noise = rng.choices([0, -1, -2, 1], weights=[88, 7, 2, 3])[0]
            if ledger.sellable((sku, code)) + noise < 0:
                noise = 0  # shrink below the safety stock is rare; keep exceptions few
            counted.append((sku, code, max(0, ledger.on_hand[(sku, code)] + noise),
                            at + timedelta(minutes=rng.uniform(0, 30))))
    ledger.counts(counted, at + timedelta(minutes=rng.uniform(40, 95)))


def _exceptions(ledger: Ledger, network: Network, rng: random.Random, now: datetime) -> None:
    """A few things a person should look at: tills that sold units the system did not know
    about (negative availability), and cycle counts that found a big difference."""
    at = now - timedelta(hours=5)
    sales = []
    for code in rng.sample(network.stores, 4):
        tail = network.ranged[code][len(network.ranged[code]) // 20:]  # not the best sellers
        # A count taken after the sale would have seen it: the shelf would not read negative.
        tail = [s for s in tail if ledger.counted_at.get((s, code), at) <= at] or tail
        sku = rng.choice([s for s in tail if ledger.safety[(s, code)] == 0] or tail)
        sales.append(ledger.move("sale", sku, code, ledger.on_hand[(sku, code)] + rng.randint(1, 3),
                                 at, "pos"))
    ledger.apply(sales, at + timedelta(seconds=3))
    counted = []
    for sku in rng.sample(network.skus[:300], min(3, len(network.skus))):
        have = ledger.on_hand[(sku, network.dc)]
        counted.append((sku, network.dc, max(0, have - rng.randint(30, 60)), at))
    oversold = {(m.sku, m.location) for m in sales}
    shop = rng.choice(network.stores)
    sku = rng.choice([s for s in network.ranged[shop][len(network.ranged[shop]) // 20:]
                      if (s, shop) not in oversold])  # a count would hide the oversold shelf
    counted.append((sku, shop, ledger.on_hand[(sku, shop)] + 26, at))
    ledger.counts(counted, at + timedelta(minutes=12), source="erp")


def _in_transit(ledger: Ledger, network: Network, rng: random.Random, now: datetime) -> None:
    """Transfers from the DC on the road to stores, and purchase orders due at the DC."""
    left = now - timedelta(hours=rng.uniform(2, 6))
    moves = []
    for code in network.stores:
        for sku in rng.sample(network.ranged[code], k=min(12, len(network.ranged[code]))):
            qty = rng.randint(2, 8)
            if ledger.on_hand[(sku, network.dc)] < qty:
                continue
            ref = ledger.ref("TO")
            moves.append(ledger.move("transfer_out", sku, network.dc, qty, left, "wms",
                                     reference=ref))
            moves.append(ledger.move("expected", sku, code, qty, left, "wms", reference=ref,
                                     expected_at=now + timedelta(hours=rng.uniform(8, 30))))
            network.in_transit.append((sku, code, qty, ref))
    for sku in rng.sample(network.skus, min(150, len(network.skus) // 2)):
        moves.append(ledger.move("expected", sku, network.dc, rng.randint(100, 400), left, "erp",
                                 reference=ledger.ref("PO"),
                                 expected_at=now + timedelta(days=rng.uniform(2, 6))))
    ledger.apply(moves, left + timedelta(minutes=7))
