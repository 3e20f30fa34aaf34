"""Repositories shared by the use cases (created once per process, after configuration), and
the retry loop of optimistic read-change-write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from oms.data.ai_budget import AiBudgetRepository, AiCacheRepository, DynamoTokenBudget
from oms.data.api_keys import ApiKeyRepository
from oms.data.busy import transient_when_busy
from oms.data.callbacks import CallbackRepository
from oms.data.categories import CategoryRepository
from oms.data.connectors import ConnectorRepository
from oms.data.directory import DirectoryRepository
from oms.data.documents import (
    ExperimentRepository,
    ProposalRepository,
    RuleRepository,
    VersionedDocuments,
)
from oms.data.exceptions import ExceptionRepository
from oms.data.learning import LearningRepository
from oms.data.leases import JobLeaseRepository
from oms.data.logs import LogRepository
from oms.data.nodes import NodeRepository
from oms.data.orders import OrderRepository
from oms.data.product_stock import ProductStockRepository
from oms.data.products import ProductRepository
from oms.data.returns import ReturnRepository
from oms.data.stock import StockRepository
from oms.data.tenancy import TenancyRepository
from oms.data.throttle import LoginThrottleRepository
from oms.data.webhooks import NotificationSettings, WebhookRepository
from oms.data.workflows import WorkflowRepository
from oms.domain.errors import Conflict


@dataclass
class Repos:
    orders: OrderRepository = field(default_factory=OrderRepository)
    callbacks: CallbackRepository = field(default_factory=CallbackRepository)
    nodes: NodeRepository = field(default_factory=NodeRepository)
    products: ProductRepository = field(default_factory=ProductRepository)
    categories: CategoryRepository = field(default_factory=CategoryRepository)
    product_stock: ProductStockRepository = field(default_factory=ProductStockRepository)
    rules: RuleRepository = field(default_factory=RuleRepository)
    stock: StockRepository = field(default_factory=StockRepository)
    directory: DirectoryRepository = field(default_factory=DirectoryRepository)
    webhooks: WebhookRepository = field(default_factory=WebhookRepository)
    connectors: ConnectorRepository = field(default_factory=ConnectorRepository)
    logs: LogRepository = field(default_factory=LogRepository)
    leases: JobLeaseRepository = field(default_factory=JobLeaseRepository)
    api_keys: ApiKeyRepository = field(default_factory=ApiKeyRepository)
    login_throttle: LoginThrottleRepository = field(default_factory=LoginThrottleRepository)
    learning: LearningRepository = field(default_factory=LearningRepository)
    ai_budget: AiBudgetRepository = field(default_factory=AiBudgetRepository)
    ai_cache: AiCacheRepository = field(default_factory=AiCacheRepository)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    experiments: ExperimentRepository = field(default_factory=ExperimentRepository)
    proposals: ProposalRepository = field(default_factory=ProposalRepository)
    exceptions: ExceptionRepository = field(default_factory=ExceptionRepository)
    tenancy: TenancyRepository = field(default_factory=TenancyRepository)
    workflows: WorkflowRepository = field(default_factory=WorkflowRepository)
    returns: ReturnRepository = field(default_factory=ReturnRepository)


# A call DynamoDB still refuses after the SDK's retries is a TransientStoreError (data/busy.py):
# retried by the state machine, 503 at the API, never an unknown error that fails an order.
transient_when_busy(
    OrderRepository,
    CallbackRepository,
    NodeRepository,
    ProductRepository,
    CategoryRepository,
    ProductStockRepository,
    VersionedDocuments,
    RuleRepository,
    StockRepository,
    DirectoryRepository,
    WebhookRepository,
    ReturnRepository,
    ConnectorRepository,
    LogRepository,
    JobLeaseRepository,
    ApiKeyRepository,
    LoginThrottleRepository,
    LearningRepository,
    DynamoTokenBudget,
    ExceptionRepository,
    AiCacheRepository,
    TenancyRepository,
    WorkflowRepository,
)

repos = Repos()


R = TypeVar("R")
_OPTIMISTIC_TRIES = 5


def retry_lost_updates(attempt: Callable[[], R], what: str) -> R:
    """Run a read-change-conditional-write `attempt` again while its write loses to a concurrent
    change (`concurrent_update`); after a few tries, tell the caller to retry."""
    for _ in range(_OPTIMISTIC_TRIES):
        try:
            return attempt()
        except Conflict as exc:
            if exc.code != "concurrent_update":
                raise
    raise Conflict(f"the {what} is being changed by others; retry", code="concurrent_update")
