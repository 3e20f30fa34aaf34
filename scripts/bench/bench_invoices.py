"""Invoice Guard (ADR 0032): invoice generation time for 100,000 orders, and what Invoice Guard
costs per million orders.

Method: the real template in moto in-process. A tenant's day of 100,000 completed orders is
written to the billing ledger through the ledger's own write (BillingRepository.put_ledger_items,
what services.billing_ledger calls per stream batch), 100 orders per stream batch, with 2 % of
the batches written twice (a retried batch with a new first record: duplicates the generator
must drop). Then `generate_day` builds the invoice (one query of the day's ledger, deduplication,
the lines, one put) and is timed; a rerun (no write) too.

Cost: every DynamoDB call is metered as bench_cost does (1 KB write units, 4 KB read units,
eventual x0.5) while the ledger is written and the invoice generated. What the bench does not
run at this scale is added from the same unit rules, stated here:
- the projection reads the body of each order it bills: 1 eventual read (<= 4 KB) = 0.5 RU;
- validation reads, per night, the keys of the DONE/CLOSED orders created in its 7-day window
  (keys-only index, ~100 B each) and their headers (<= 4 KB: 0.5 RU each, 100 a BatchGetItem),
  then the day's bodies again (0.5 RU): 7 x 0.5 + 0.5 + 7 x 100 / 4096 RU per order;
- the learning function's run time: the measured generation time x 2 (validation) at 512 MB.
"""

from __future__ import annotations

import time
from typing import Any

from benchlib import figure

ORDERS = 100_000
PER_BATCH = 100
RETRIED_SHARE = 0.02
DAY = "2026-04-14"
PRICES = {
    "ddb_wu": 0.625 / 1e6,
    "ddb_ru": 0.125 / 1e6,
    "lambda_gb_s": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
}
TRUTH_WINDOW_DAYS = 7
KEY_BYTES = 100


def _facts(start: int, count: int) -> list[Any]:
    from oms.domain.billing import Fact

    out = []
    for n in range(start, start + count):
        lines = 1 + n % 4
        counts = (("order", 1), ("pick_line", lines), ("unit", lines + n % 3), ("pack", 1), ("label", 1))
        out.append(
            Fact(f"o-{n:08d}", "completed", f"{DAY}T{n % 24:02d}:00:00.000Z", counts, f"{DAY}T00:00:00.000Z")
        )
    return out


def run() -> list[dict[str, Any]]:
    import botocore.client
    from bench_cost import DynamoMeter

    from infra.local.testing import deployed_template

    with deployed_template(extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}):
        from oms.domain.billing import TariffFields
        from oms.domain.models import Principal, Role
        from oms.services import invoices, tariffs
        from oms.services.billing_ledger import ledger

        tenant = "bench"
        admin = Principal(user_id="b", email="b@bench.test", tenant_id=tenant, role=Role.SUPERADMIN)
        tariffs.create(
            admin, TariffFields(name="Bench", per_order="1.20", per_pick_line="0.25", per_unit="0.10")
        )
        tariff = tariffs.active_tariff(tenant)
        assert tariff is not None

        meter = DynamoMeter()
        original = botocore.client.BaseClient._make_api_call

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            targets = meter.snapshot(operation, params)
            response = original(client, operation, params)
            meter.account_write(targets, params)
            meter.account_read(operation, params, response)
            return response

        botocore.client.BaseClient._make_api_call = metered  # type: ignore[method-assign]
        try:
            batches = 0
            for start in range(0, ORDERS, PER_BATCH):
                facts = _facts(start, PER_BATCH)
                ledger.put_ledger_items([(tenant, DAY, f"{start:012d}", facts)], 2**31)
                batches += 1
                if start % int(PER_BATCH / RETRIED_SHARE) == 0:  # a retried batch, other boundaries
                    ledger.put_ledger_items([(tenant, DAY, f"{start:012d}r", facts[PER_BATCH // 2 :])], 2**31)
                    batches += 1
            ledger_wu, ledger_ru = meter.wu, meter.ru
            began = time.perf_counter()
            first = invoices.generate_day(tenant, DAY, tariff, dry_run=False)
            generate_s = time.perf_counter() - began
            began = time.perf_counter()
            again = invoices.generate_day(tenant, DAY, tariff, dry_run=False)
            rerun_s = time.perf_counter() - began
            job_wu, job_ru = meter.wu - ledger_wu, meter.ru - ledger_ru
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
        assert first["action"] == "created" and first["orders"] == ORDERS, first
        assert again["action"] == "unchanged", again

    body_ru = 0.5 * ORDERS
    truth_ru = (TRUTH_WINDOW_DAYS * (0.5 + KEY_BYTES / 4096) + 0.5) * ORDERS
    lambda_s = generate_s * 2
    per_order = (
        (ledger_wu + job_wu) * PRICES["ddb_wu"]
        + (ledger_ru + job_ru + body_ru + truth_ru) * PRICES["ddb_ru"]
        + lambda_s * 0.5 * PRICES["lambda_gb_s"]
        + 2 * PRICES["lambda_request"]
    ) / ORDERS
    print(
        f"  ledger: {batches} items, {ledger_wu / ORDERS:.3f} WU per order; generation:"
        f" {job_ru / ORDERS:.4f} RU, {job_wu:.0f} WU; modelled reads per order:"
        f" {body_ru / ORDERS:.1f} RU (bodies), {truth_ru / ORDERS:.2f} RU (validation)"
    )
    return [
        figure("invoice generation, 100,000 orders (moto in-process)", generate_s, "s", target=120.0),
        figure("invoice generation rerun (no write)", rerun_s, "s", target=120.0),
        figure("Invoice Guard cost per 1M orders", per_order * 1e6, "USD", target=2.5,
               note="ledger + generation metered; body and validation reads modelled (see module)"),
    ]  # fmt: skip
