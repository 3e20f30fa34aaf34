"""pynamodb records. Several record types share a table (single-table per bounded context);
every partition key starts with the tenant (``T#<tenant>#...``) so one tenant can never read
another's rows by construction.

Money and other exact values are stored as strings (pynamodb's NumberAttribute is float).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class _KeysOnly(GlobalSecondaryIndex[Any]):
    class Meta:
        projection = KeysOnlyProjection()


# ---------------------------------------------------------------- OrdersTable
class OrdersByTenant(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_tenant"

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class OrdersByStatus(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_status"

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class OrdersByEmail(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_email"

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class OrdersByNumber(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_number"

    gsi4pk = UnicodeAttribute(hash_key=True)


class OrdersByCustomer(_KeysOnly):
    """Sparse: only orders a CUSTOMER placed (issue 12) carry gsi5pk = T#<tenant>#C#<user id>."""

    class Meta(_KeysOnly.Meta):
        index_name = "by_customer"

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class OrderRecord(Model):
    """An order is two items under pk=T#<tenant>#O#<order id>: sk=BODY holds what never changes
    (customer, lines, address, totals; written once, guarded by the request fingerprint) and
    sk=ORDER the header that every change rewrites (status, version, allocations, shipments,
    the current block of the audit trail), so a status change pays for the small part only.
    Status and version sit beside the header document because every write is conditioned on them.
    sk=CALLBACKS (same record type: `doc` and `version`) is the order's callback ledger.
    The body is stored compressed too (`packed`; `doc` in bodies written before that)."""

    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    doc = JSONAttribute(null=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)  # the header, compressed (codec.py)
    order_id = UnicodeAttribute(null=True)
    fingerprint = UnicodeAttribute(null=True)
    # on the header of an order a channel owns: its connector id, so the outbox (which sees only
    # headers) knows who to tell about its shipments (ADR 0022)
    linked_connector = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    by_tenant = OrdersByTenant()
    by_status = OrdersByStatus()
    by_email = OrdersByEmail()
    by_number = OrdersByNumber()
    by_customer = OrdersByCustomer()


class DecisionRecord(Model):
    """pk=T#<tenant>#O#<order id>, sk=SOURCING#<time>: a sourcing decision trail (candidates,
    scores, reasons), kept out of the order document, which is rewritten on every change. It is
    stored zlib-compressed (`packed`): a trail is write-once and read rarely, and its repetitive
    JSON shrinks about 4x, which is 3 of its 4 write units at 8 candidates."""

    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)


class TrailRecord(Model):
    """pk=T#<tenant>#O#<order id>, sk=TRAIL#<first seq>: a complete block of the order's audit
    trail, written once it left the header (ADR 0018); the same bytes whoever writes it."""

    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)


class RejectedCallbackRecord(Model):
    """pk=T#<tenant>#O#<order id>, sk=REJECTED#<day>#<n>: a callback the order refused, kept for
    the first few of each day (the ledger item counts them all); expires (table TTL)."""

    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


# ---------------------------------------------------------------- InventoryTable
class InventoryBySku(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_sku"

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class InventoryByGroup(_KeysOnly):
    class Meta(_KeysOnly.Meta):
        index_name = "by_group"

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class NodeRecord(Model):
    """pk=T#<tenant>#NODES, sk=N#<node id> (one query lists a tenant's nodes); code guards:
    sk=CODE#<code>."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    node_id = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)


class NodeCapacityRecord(Model):
    """pk=T#<tenant>#NODES, sk=CAP#<day>#<node id>: orders sourced to the node that UTC day. It is
    a separate item so the reserve transaction can count atomically (ADD under `orders < cap`)
    without touching the node document an admin edits; the node listing query reads it too."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    node_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    orders = NumberAttribute(null=True)


class RuleRecord(Model):
    """pk=T#<tenant>#RULES, sk=R#<rule id>: sourcing rules (the rules engine reads them all)."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)


class JobLeaseRecord(Model):
    """pk=T#<tenant>#JOBS, sk=<job>: who runs a tenant's job now (until `expires_at`, epoch s), and
    whether another run was asked for meanwhile (`rerun`)."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    rerun = NumberAttribute(null=True)


class ProductRecord(Model):
    """pk=T#<tenant>#PRODUCTS, sk=<sku>: a catalog entry. `doc` is the whole product; what order
    pricing reads (price as a string Decimal, currency, sellable) sits beside it, so the pricing
    BatchGetItem needs no document. Rows written before `doc` existed hold name and price only."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    price = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    sellable = BooleanAttribute(null=True)
    version = NumberAttribute(null=True)
    doc = JSONAttribute(null=True)


class CategoryRecord(Model):
    """pk=T#<tenant>#CATEGORIES, sk=C#<name>: a product category (`doc`, versioned); sk=#COUNT
    counts them (`total`), changed in the same transaction as a new one, under the limit."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    total = NumberAttribute(null=True)


class StockRecord(Model):
    """pk=T#<tenant>#I#<item id>, sk=ITEM. Its adjustment log (sk=ADJ#...) and its reservations
    (sk=RES#<order id>) live in the same item collection, so one query reconciles an item."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_id = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)
    node_id = UnicodeAttribute(null=True)
    sku = UnicodeAttribute(null=True)
    product_name = UnicodeAttribute(null=True)
    on_hand = NumberAttribute(null=True)
    reserved = NumberAttribute(null=True)
    available = NumberAttribute(null=True)
    reorder_level = NumberAttribute(null=True)
    reorder_quantity = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_sku = InventoryBySku()
    by_group = InventoryByGroup()


class AdjustmentRecord(Model):
    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)


class ReservationRecord(Model):
    """sk=RES#<order id> in the stock item's collection: the sweep that reconciles an item reads
    its reservations with the same query and expires the stale ones."""

    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute(null=True)
    item_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    node_id = UnicodeAttribute(null=True)
    sku = UnicodeAttribute(null=True)
    quantity = NumberAttribute(null=True)
    state = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # set when shipped: the sale as an adjustment (before/after), so no separate log record
    commit = JSONAttribute(null=True)


# ---------------------------------------------------------------- IntegrationsTable
class WebhookEndpointRecord(Model):
    """pk=T#<tenant>#WEBHOOKS, sk=EP#<endpoint id>: a subscriber (one query lists a tenant's)."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)


class CounterRecord(Model):
    """A count kept beside the items it counts (pk=T#<tenant>#WEBHOOKS, sk=#COUNT: a tenant's
    webhook endpoints), changed in the same transaction as they are, under a limit."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    total = NumberAttribute(null=True)


class DeliveryRecord(Model):
    """pk=T#<tenant>#DELIVERIES, sk=D#<delivery id>: one event to one endpoint, with its attempts.
    The id starts with the event's time, so the log reads newest first from one query; it ends
    with a hash of (event, endpoint), so a redelivered event cannot create a second delivery."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    endpoint_id = UnicodeAttribute(null=True)
    attempt_count = NumberAttribute(null=True)
    doc = JSONAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)  # table TTL: the log keeps 30 days


class ConnectorRecord(Model):
    """pk=T#<tenant>#CONNECTORS, sk=C#<connector id>: a sales channel's configuration (secrets
    included; the API only ever shows them masked) and its health."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)


class ConnectorIndexRecord(Model):
    """pk=CONNECTOR#<connector id>, sk=OWNER: which tenant a connector id belongs to, for the
    public webhook receiver, which has no token to take the tenant from (data/connectors.py)."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()


class LogRecord(Model):
    """Append-only log entries: a connector's events (pk=T#<tenant>#CONNLOG#<connector id>) and
    worker executions (pk=TASKS#<day>), sk=<time>#<id>; kept 30 days (table TTL)."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class ClaimRecord(Model):
    """pk=T#<tenant>#SEEN#<connector id>, sk=<channel event id>: an inbound event claimed once by a
    conditional put (duplicates find it); `state` becomes DONE when its effect is stored."""

    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class SearchIndexRecord(Model):
    """The order search index in the insights table (ADR 0028; layout in data/search_index.py):
    segments (pk=T#<tenant>#SIDX#<hour>, sk=S#<stamp>#<sequences>: one stream batch's entries
    for one tenant, compressed, expiring after a week), blocks (pk=T#<tenant>#SIDX, sk=B#<stamp>:
    segments merged by the compaction job) and the marker (sk=M, `cutoff`)."""

    class Meta:
        table_name = "cirrus-insights"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)
    entries = NumberAttribute(null=True)
    cutoff = NumberAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class LearningRecord(Model):
    """The learning loop's items in the orders table (ADR 0023), all compressed JSON (`packed`):
    - pk=T#<tenant>#O#<order id>, sk=OUTCOME#<node id>: what a sourcing decision predicted for
      one node it used (features, cluster, strategy, scores, cost, experiment arm), written when
      the order is sourced, in the order's own partition (the labelling job finds them by its key);
    - pk=T#<tenant>#LEARN#<day>, sk=<order id>#<node id>: that outcome labelled, under the day
      it was sourced (the statistics jobs read the days of their window); expires after 90 days;
    - pk=T#<tenant>#LEARN, sk=MODEL#<part>: the patterns and node metrics the advisor is shown."""

    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)
    expires_at_epoch = NumberAttribute(null=True)


class AnalyticsRecord(Model):
    """The analytics counters in the insights table (ADR 0029):
    - pk=T#<tenant>#AN, sk=D#<UTC day>: one day's counters of the orders placed that day, one
      number attribute per counter (named by data: oms.domain.analytics), `v` counts its writes;
    - pk=AN#BATCH#<first sequence number>, sk=MARK: how far a stream batch has been applied
      (`last`: its last record counted), so a retried batch is counted once; expires.
    Counters are named by data, so data/analytics.py reads and writes these items raw."""

    class Meta:
        table_name = "cirrus-insights"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    v = NumberAttribute(null=True)
    last = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class AiBudgetRecord(Model):
    """pk=T#<tenant>#AIBUDGET, sk=<day>: Claude tokens a tenant spent that day (ADR 0024); expires."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    spent = NumberAttribute(default=0)
    expires_at_epoch = NumberAttribute(null=True)


class AiCacheRecord(Model):
    """pk=T#<tenant>#AICACHE, sk=GENERATION: the tenant's AI cache generation (ADR 0033). The
    Claude analyst's and the sourcing advisor's cache keys carry it; a cache clear adds 1, so
    every container's cached answers stop matching."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    generation = NumberAttribute(default=0)


# The directory's people and workflows (issue 12), the SLA radar's and Invoice Guard's tables
# (issue 11) and email (ADR 0036) have their records in modules of their own.
from oms.data.records_alerts import StockAlertRecord  # noqa: E402  (ADR 0039)
from oms.data.records_directory import (  # noqa: E402
    ApiKeyRecord,
    OneTimeTokenRecord,
    PointerRecord,
    TenantRecord,
    ThrottleRecord,
    UserRecord,
    WorkflowRecord,
)
from oms.data.records_e2a import BillingRecord, DeadlineBucketRecord, ExceptionRecord, RadarRecord  # noqa: E402
from oms.data.records_email import EmailConfigRecord, EmailLogRecord  # noqa: E402  (ADR 0036)
from oms.data.records_returns import ReturnPolicyRecord, ReturnRecord  # noqa: E402  (ADR 0038)
from oms.data.records_stock_sync import StockSyncRecord  # noqa: E402  (ADR 0040)

ORDER_MODELS: tuple[type[Model], ...] = (
    OrderRecord,
    DecisionRecord,
    TrailRecord,
    RejectedCallbackRecord,
    LearningRecord,
    ReturnRecord,
)
INVENTORY_MODELS: tuple[type[Model], ...] = (
    NodeRecord,
    NodeCapacityRecord,
    JobLeaseRecord,
    RuleRecord,
    ProductRecord,
    CategoryRecord,
    StockRecord,
    AdjustmentRecord,
    ReservationRecord,
    StockAlertRecord,
)
DIRECTORY_MODELS: tuple[type[Model], ...] = (
    TenantRecord,
    UserRecord,
    PointerRecord,
    OneTimeTokenRecord,
    ApiKeyRecord,
    ThrottleRecord,
    AiBudgetRecord,
    AiCacheRecord,
    WorkflowRecord,
    EmailConfigRecord,
    ReturnPolicyRecord,
)
INTEGRATION_MODELS: tuple[type[Model], ...] = (
    WebhookEndpointRecord,
    CounterRecord,
    DeliveryRecord,
    ConnectorRecord,
    ConnectorIndexRecord,
    LogRecord,
    ClaimRecord,
    EmailLogRecord,
    StockSyncRecord,
)

# The read models kept from the orders stream (ADR 0028); their record types add themselves here.
INSIGHTS_MODELS: tuple[type[Model], ...] = (AnalyticsRecord, SearchIndexRecord)
RADAR_MODELS: tuple[type[Model], ...] = (RadarRecord, ExceptionRecord, DeadlineBucketRecord)
# Invoice Guard (ADR 0032): tariffs, the billing ledger, invoices and adjustments.
BILLING_MODELS: tuple[type[Model], ...] = (BillingRecord,)


def bind_tables(cfg: Any) -> None:
    """Point every record type at the configured physical table names and region."""
    for models, name in (
        (ORDER_MODELS, cfg.orders_table),
        (INVENTORY_MODELS, cfg.inventory_table),
        (DIRECTORY_MODELS, cfg.directory_table),
        (INTEGRATION_MODELS, cfg.integrations_table),
        (INSIGHTS_MODELS, cfg.insights_table),
        (RADAR_MODELS, cfg.radar_table),
        (BILLING_MODELS, cfg.billing_table),
    ):
        for model in models:
            model.Meta.table_name = name
            model.Meta.region = cfg.region
            model._connection = None
            for index in (v for v in vars(model).values() if isinstance(v, GlobalSecondaryIndex)):
                index._connection = None  # type: ignore[attr-defined]
