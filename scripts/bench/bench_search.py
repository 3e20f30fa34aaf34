"""Order search at 100,000 orders (issue 10, ADR 0028): query latency, index load and memory, and
what keeping the index costs per 1M orders.

Method:
- 100,000 orders are generated as the orders stream would carry them (a body when placed, then a
  header per change: PENDING ... DELIVERED, or cancelled, or backordered; 11 records for a full
  life, one of them a header change without a status change), over 90 days, with names from 400
  first and 400 last names, 8 SKUs, tags, external ids for marketplace orders; their records,
  in time order, are fed to the projection's read model (`services.search_index.apply`) in
  batches of 100, which writes the segments into the InsightsTable of the real template deployed
  in moto, as the ProjectionFunction would;
- cold load: a new process's first search (blocks, then the segments after them) before and
  after the compaction job merged the segments into blocks; memory of the index (tracemalloc);
- warm queries through the SearchFunction (the HTTP API event, token check, the refresh Query,
  the index): typo'd names, order number prefixes, SKUs, emails, filters only; p50 / p99;
- upkeep per 1M orders: the segments' write units at batch sizes 1, 10 and 100 records (item
  size: key, attributes and the packed entries, 1 KB units), the compaction job's reads and
  writes at 1M orders a month (hourly runs), and the projection's run time for the index.
"""

from __future__ import annotations

import gc
import math
import os
import random
import statistics
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from benchlib import figure

from oms.domain.projections import OrderChange

N_ORDERS = int(os.environ.get("BENCH_SEARCH_ORDERS", "100000"))
TENANT = "demo"
QUERIES_PER_KIND = 200
# segment sizes (stream records a batch) for the upkeep figures, and when the mapping gives them
SIZES = {
    1: "one record a batch: a few orders a day",
    4: "1M orders a month, evenly, with a 1 s batching window",
    8: "1M orders a month, evenly, with the template's 2 s window",
    10: "",
    100: "full batches: from about 25M orders a month",
}
START = datetime(2026, 8, 1, tzinfo=UTC)
WU, RU, LAMBDA_GB_S = 0.625 / 1e6, 0.125 / 1e6, 0.0000133334
ITEM_OVERHEAD = 110  # bytes of an item besides `packed`: key values, attribute names, numbers
FIRST = [
    f"{a}{b}"
    for a in ("Al", "Be", "Ca", "Da", "El", "Fa", "Gi", "Ha", "Jo", "Ka")
    for b in (
        "ice",
        "rt",
        "rla",
        "niel",
        "ena",
        "ye",
        "na",
        "rry",
        "hn",
        "te",
        "ra",
        "ron",
        "mes",
        "ssa",
        "nny",
        "lia",
        "tha",
        "bby",
        "x",
        "na",
        "ola",
        "vin",
        "mon",
        "nor",
        "sie",
        "dric",
        "lix",
        "ra",
        "nne",
        "ah",
        "mie",
        "ven",
        "lan",
        "rk",
        "ndy",
        "la",
        "nah",
        "rie",
        "ck",
        "ia",
    )
]
LAST = [
    f"{a}{b}"
    for a in ("Sm", "Jo", "Wi", "Br", "Da", "Mi", "Ga", "Ro", "Ma", "He")
    for b in (
        "ith",
        "hnson",
        "lliams",
        "own",
        "vis",
        "ller",
        "rcia",
        "driguez",
        "rtinez",
        "rnandez",
        "lson",
        "nes",
        "ite",
        "ooks",
        "wson",
        "tchell",
        "rdner",
        "berts",
        "rsh",
        "nderson",
        "ng",
        "rdan",
        "nter",
        "nd",
        "ley",
        "lton",
        "llard",
        "ss",
        "son",
        "ath",
        "ers",
        "rris",
        "nkins",
        "lker",
        "nnett",
        "wart",
        "stro",
        "tz",
        "yes",
        "lm",
    )
]
SKUS = [
    ("SKU-WIDGET-A", "Premium Widget A", 2999), ("SKU-WIDGET-B", "Standard Widget B", 1999),
    ("SKU-GADGET-X", "Gadget X Pro", 9999), ("SKU-GADGET-Y", "Gadget Y Basic", 4999),
    ("SKU-GIZMO-1", "Gizmo 1", 1499), ("SKU-GIZMO-2", "Gizmo 2 Deluxe", 3999),
    ("SKU-TOOL-Z", "Power Tool Z", 14999), ("SKU-ACCESSORY-1", "Accessory Pack 1", 999),
]  # fmt: skip
LIFE = ["PENDING", "SOURCING", "SOURCED", None, "PICKING", "PACKING", "READY_TO_SHIP", "SHIPPED",
        "OUT_FOR_DELIVERY", "DELIVERED"]  # fmt: skip
CHANNELS = ["WEB"] * 5 + ["MOBILE"] * 2 + ["API", "POS", "MARKETPLACE"]
TYPES = ["SHIP_TO_HOME"] * 6 + ["STORE_PICKUP", "SHIP_FROM_STORE", "CURBSIDE_PICKUP", "SAME_DAY_DELIVERY"]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def generate(n: int, seed: int = 7) -> tuple[list[tuple[float, OrderChange]], list[dict[str, Any]]]:
    """(time, change) for every stream record of `n` orders, and the orders' bodies."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    records: list[tuple[float, OrderChange]] = []
    bodies = []
    for i in range(n):
        order_id = str(uuid.UUID(int=rng.getrandbits(128)))
        created = START + timedelta(seconds=rng.uniform(0, 90 * 86400))
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lines = rng.sample(SKUS, rng.choice((1, 1, 2, 2, 3)))
        total = sum(price * rng.randint(1, 3) for _, _, price in lines)
        channel = rng.choice(CHANNELS)
        body = {
            "id": order_id,
            "tenant_id": TENANT,
            "order_number": f"ORD-{created:%Y%m%d}-{uuid.UUID(order_id).hex[:10].upper()}",
            "channel": channel,
            "fulfillment_type": rng.choice(TYPES),
            "customer_name": f"{first} {last}",
            "customer_email": f"{first.lower()}.{last.lower()}{i % 97}@example.com",
            "currency": "USD",
            "line_items": [{"sku": s, "product_name": name} for s, name, _ in lines],
            "total_amount": f"{total // 100}.{total % 100:02d}",
            "tags": ["vip"] if rng.random() < 0.05 else [],
            "created_at": _iso(created),
        }
        if channel == "MARKETPLACE":
            body["external_order_id"] = f"{rng.randint(100, 999)}-{rng.randint(10**6, 10**7)}"
        bodies.append(body)
        at = created.timestamp()
        records.append((at, _change(order_id, "body", None, body)))
        fate = rng.random()
        life = LIFE if fate < 0.9 else ["PENDING", "CANCELLED"] if fate < 0.95 else [*LIFE[:2], "BACKORDERED"]
        status = None
        for version, step in enumerate(life, start=1):
            at += rng.uniform(1, 6 * 3600) if version > 3 else rng.uniform(0.05, 2)
            old = {"status": status, "version": version - 1} if status else None
            status = step or status
            header = {
                "status": status,
                "version": version,
                "updated_at": _iso(datetime.fromtimestamp(at, UTC)),
            }
            records.append((at, _change(order_id, "header", old, header)))
    records.sort(key=lambda r: r[0])
    return records, bodies


def _change(order_id: str, item: Any, old: Any, new: Any) -> OrderChange:
    return OrderChange(sequence="", tenant_id=TENANT, order_id=order_id, item=item, old=old, new=new,
                       created_at=None)  # fmt: skip


def _batches(records: list[tuple[float, OrderChange]], size: int) -> list[list[OrderChange]]:
    out = []
    for start in range(0, len(records), size):
        chunk = records[start : start + size]
        first = chunk[0][1]
        seq = f"{start:021d}"
        head = OrderChange(**{**first.__dict__, "sequence": seq, "approximate_at": chunk[0][0]})
        out.append([head, *(c for _, c in chunk[1:])])
    return out


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


# ---------------------------------------------------------------------------- upkeep (pure)
def segment_units(records: list[tuple[float, OrderChange]], size: int, orders: int) -> float:
    """Write units per order for segments of `size` records."""
    from oms.data.search_index import pack_entries
    from oms.domain.search_orders import entries_by_tenant

    units = 0
    for batch in _batches(records, size):
        for entries in entries_by_tenant(batch).values():
            units += math.ceil((len(pack_entries(entries)) + ITEM_OVERHEAD) / 1024)
    return units / orders


def compaction_units(
    records: list[tuple[float, OrderChange]], per_hour: int, hours: int
) -> tuple[float, float]:
    """(WU, RU) per order of hourly compaction at `per_hour` orders an hour: the segments read
    (eventually consistent Query), the last block read (consistent) and the blocks written."""
    from oms.data.search_index import pack_entries, packed_chunks
    from oms.domain.search_orders import collapse, entries_by_tenant
    from oms.services.search_compaction import BLOCK_BYTES, worth_rewriting

    per_batch = 100
    changes = [c for _, c in records]
    hour_records = per_hour * len(records) // N_ORDERS
    open_block: list[dict[str, Any]] = []
    wu = ru = 0.0
    for hour in range(hours):
        window = changes[hour * hour_records : (hour + 1) * hour_records]
        fresh, segment_bytes = [], 0
        for start in range(0, len(window), per_batch):
            for entries in entries_by_tenant(window[start : start + per_batch]).values():
                fresh += entries
                segment_bytes += len(pack_entries(entries)) + ITEM_OVERHEAD
        ru += math.ceil(segment_bytes / 4096) * 0.5
        packed_open = pack_entries(open_block) if open_block else b""
        ru += math.ceil(max(len(packed_open), 1) / 4096)
        fresh = collapse(fresh)
        if open_block and worth_rewriting(len(packed_open), len(pack_entries(fresh))):
            open_block = collapse([*open_block, *fresh])
            wu += math.ceil((len(pack_entries(open_block)) + ITEM_OVERHEAD) / 1024)
        else:
            chunks = list(packed_chunks(collapse(fresh), BLOCK_BYTES))
            wu += sum(math.ceil((len(p) + ITEM_OVERHEAD) / 1024) for _, p in chunks)
            open_block = chunks[-1][0]
    orders = per_hour * hours
    return wu / orders, ru / orders


# ---------------------------------------------------------------------------- queries
def _queries(rng: random.Random, bodies: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    def typo(name: str) -> str:
        word = rng.choice([w for w in name.split() if len(w) >= 4] or [name])
        i = rng.randrange(1, len(word) - 1)
        return name.replace(word, word[:i] + rng.choice("aeiouy") + word[i + 1 :], 1)

    picks = [rng.choice(bodies) for _ in range(QUERIES_PER_KIND)]
    return {
        "typo name": [{"query": typo(b["customer_name"])} for b in picks],
        "order number prefix": [{"query": b["order_number"][: rng.randint(14, 17)]} for b in picks],
        "sku": [{"query": rng.choice(SKUS)[0], "limit": 20} for _ in picks],
        "email": [{"query": b["customer_email"]} for b in picks],
        "filters only": [
            {
                "status": rng.choice((["SHIPPED"], ["DELIVERED", "CANCELLED"], "PICKING")),
                "channel": rng.choice(CHANNELS),
                "from_date": f"2026-{rng.randint(8, 9):02d}-{rng.randint(1, 28):02d}",
                "min_amount": "20.00",
                "sort": rng.choice(("-created_at", "total_amount", "-total_amount")),
            }
            for _ in picks
        ],
        "name + filter, page 2": [
            {"query": b["customer_name"].split()[1], "fulfillment_type": "SHIP_TO_HOME", "page": 2}
            for b in picks
        ],
    }


class _Meter:
    """Bytes the compaction job reads and writes (wraps the repository it uses)."""

    def __init__(self) -> None:
        from oms.services import search_index

        self.repo = search_index.repository
        self.wu = self.ru = 0.0
        self.runs = 0
        read, save = self.repo.segments_between, self.repo.save_block

        def segments_between(*args: Any, **kwargs: Any) -> Any:
            found = read(*args, **kwargs)
            self.ru += math.ceil(sum(len(s.packed) + ITEM_OVERHEAD for s in found) / 4096) * 0.5
            return found

        def save_block(tenant_id: str, stamp: int, packed: bytes, count: int) -> None:
            self.wu += math.ceil((len(packed) + ITEM_OVERHEAD) / 1024)
            self.ru += math.ceil((len(packed) + ITEM_OVERHEAD) / 4096)  # it was read first
            save(tenant_id, stamp, packed, count)

        self.repo.segments_between = segments_between  # type: ignore[method-assign]
        self.repo.save_block = save_block  # type: ignore[method-assign]

    def close(self) -> None:
        for name in ("segments_between", "save_block"):
            self.repo.__dict__.pop(name, None)


def _write(records: list[tuple[float, OrderChange]]) -> tuple[list[float], _Meter, int]:
    """The stream, batch after batch, each written at its own time (the clock follows the
    records), and the compaction job at every hour, as the schedule runs it."""
    from oms.domain.clock import ManualClock, use_clock
    from oms.services import search_compaction, search_index

    batches = _batches(records, 100)
    apply_ms, meter = [], _Meter()
    clock = ManualClock(datetime.fromtimestamp(records[0][0], UTC))
    next_run = records[0][0] // 3600 * 3600 + 3600
    with use_clock(clock):
        ends = [records[min(i + 99, len(records) - 1)][0] for i in range(0, len(records), 100)]
        for batch, at in zip(batches, ends, strict=True):  # a batch is handled as its last record came
            while next_run <= at:
                clock.move_to(datetime.fromtimestamp(next_run, UTC))
                search_compaction.compact_tenant(TENANT, int(next_run * 1000))
                meter.runs += 1
                next_run += 3600
            clock.move_to(datetime.fromtimestamp(at + 0.5, UTC))
            t0 = time.perf_counter()
            search_index.apply(batch)
            apply_ms.append((time.perf_counter() - t0) * 1000)
    meter.close()
    return apply_ms, meter, len(batches)


def _measure_queries(stack: Any, bodies: list[dict[str, Any]]) -> tuple[dict[str, list[float]], list[float]]:
    from tests.component.apiclient import ApiClient
    from tests.component.conftest import _api_callable, _login

    def search_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(stack.invoke("SearchFunction", event).payload)

    token = _login(ApiClient(_api_callable(stack)), "admin@example.com", "admin123").token
    admin = ApiClient(search_function).with_token(str(token))
    assert admin.post("/search/orders", {"query": "warm up"}).status == 200
    latencies: dict[str, list[float]] = {}
    engine: list[float] = []
    for kind, queries in _queries(random.Random(11), bodies).items():  # noqa: S311 - test data
        for query in queries:
            request = dict(query)
            if request.pop("page", 1) == 2:
                first = admin.post("/search/orders", request).body
                request["cursor"] = first["next_cursor"]
            t0 = time.perf_counter()
            reply = admin.post("/search/orders", request)
            latencies.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            assert reply.status == 200, reply
            engine.append(reply.body["took_ms"])
            if kind in ("typo name", "email"):
                assert reply.body["total"] >= 1, (request, reply.body)
    for kind, values in latencies.items():
        p50, p99 = statistics.median(values), _pct(values, 0.99)
        print(f"    {kind:<24} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    return latencies, engine


def _cold_load() -> tuple[float, float]:
    """(ms, MB): a new process's first search, and the index it then holds."""
    from oms.services import search_index

    search_index.forget()
    gc.collect()
    times = []
    for _ in range(3):
        search_index.forget()
        t0 = time.perf_counter()
        with search_index.current(TENANT) as index:
            assert len(index) == N_ORDERS, len(index)
        times.append((time.perf_counter() - t0) * 1000)
    search_index.forget()
    gc.collect()
    tracemalloc.start()
    with search_index.current(TENANT):
        memory_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    return min(times), memory_mb


def run() -> list[dict[str, Any]]:
    from infra.local.testing import deployed_template
    from oms.domain.clock import ManualClock, use_clock

    records, bodies = generate(N_ORDERS)
    per_order = len(records) / N_ORDERS
    end = datetime.fromtimestamp(records[-1][0] + 60, UTC)
    with deployed_template(extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as stack:
        from oms.demo import seed_demo_data

        seed_demo_data()
        started = time.perf_counter()
        apply_ms, meter, segments = _write(records)
        print(f"  {len(records):,} stream records ({per_order:.1f} per order) -> {segments:,} segments,"
              f" {meter.runs:,} compaction runs, in {time.perf_counter() - started:.0f} s")  # fmt: skip
        with use_clock(ManualClock(end)):
            cold_ms, memory_mb = _cold_load()
            latencies, engine = _measure_queries(stack, bodies)
    every = [v for values in latencies.values() for v in values]

    sample = records[: len(records) // 5]  # 20,000 orders' records, in time order
    units = {size: segment_units(sample, size, N_ORDERS // 5) for size in SIZES}
    c_wu, c_ru = compaction_units(records, 1_000_000 // 730, 48)
    per_record_ms = statistics.mean(apply_ms) / 100

    def run_cost(size: int) -> float:
        """The index's share of the projection's run time per order (256 MB): its records' work
        and one PutItem's network time (6 ms, as bench_cost) per batch."""
        return per_order / size * (6.0 + per_record_ms * size) / 1000 * 0.25 * LAMBDA_GB_S

    upkeep = {size: ((u + c_wu) * WU + c_ru * RU + run_cost(size)) * 1e6 for size, u in units.items()}
    for size, u in units.items():
        cost = upkeep[size]
        print(
            f"  segments of {size:>3} records: {u:5.2f} WU an order, upkeep ${cost:.2f} per 1M: {SIZES[size]}"
        )
    print(f"  compaction, modelled at 1M orders a month: {c_wu:.3f} WU + {c_ru:.3f} RU per order;"
          f" as run here ({N_ORDERS:,} orders in 90 days): {meter.wu / N_ORDERS:.3f} WU"
          f" + {meter.ru / N_ORDERS:.3f} RU per order")  # fmt: skip
    upkeep_figures = [
        figure(f"index upkeep per 1M orders, batches of {size}", cost, "$", note=SIZES[size])
        for size, cost in upkeep.items()
    ]
    upkeep_figures[2]["target"], upkeep_figures[2]["higher_is_better"] = 1.5, False  # the mapping's
    return [
        figure("search p50 (mixed, 100k orders)", statistics.median(every), "ms"),
        figure("search p99 (mixed, 100k orders)", _pct(every, 0.99), "ms", target=200),
        figure("search engine time p99 (took_ms)", _pct(engine, 0.99), "ms"),
        figure("index cold load (100k orders)", cold_ms, "ms", note="marker, blocks, last hour's segments"),
        figure("index memory (100k orders)", memory_mb, "MB", note="tracemalloc, after a cold load"),
        *(figure(f"segment WU per order, batches of {size}", u, "WU") for size, u in units.items()),
        *upkeep_figures,
    ]
