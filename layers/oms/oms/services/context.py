"""Repositories shared by the use cases (created once per process, after configuration)."""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.data.store import (
    ConnectorRepository,
    DirectoryRepository,
    JobLeaseRepository,
    LogRepository,
    NodeRepository,
    OrderRepository,
    ProductRepository,
    RuleRepository,
    StockRepository,
    WebhookRepository,
)


@dataclass
class Repos:
    orders: OrderRepository = field(default_factory=OrderRepository)
    nodes: NodeRepository = field(default_factory=NodeRepository)
    products: ProductRepository = field(default_factory=ProductRepository)
    rules: RuleRepository = field(default_factory=RuleRepository)
    stock: StockRepository = field(default_factory=StockRepository)
    directory: DirectoryRepository = field(default_factory=DirectoryRepository)
    webhooks: WebhookRepository = field(default_factory=WebhookRepository)
    connectors: ConnectorRepository = field(default_factory=ConnectorRepository)
    logs: LogRepository = field(default_factory=LogRepository)
    leases: JobLeaseRepository = field(default_factory=JobLeaseRepository)


repos = Repos()
