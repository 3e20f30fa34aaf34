"""The outbox: turn the orders table's stream into domain events, each sent to the queues of the
consumers that act on it (ADR 0022):

- the webhook dispatcher, when the order's tenant has an active endpoint subscribed to the event
  type (the tenant's endpoints are read once per batch);
- the connector worker, for a shipment of an order a channel owns (the header item says so);
- the learning queue, for the events that end an order's delivery (its labelling job, hourly);
- the actions queue, one message per action of a status an event entered (the tenant's workflow,
  ADR 0035; the workflow is read through the per-process cache of services/workflows).

An event nobody acts on goes nowhere: no queue request, no consumer invocation."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from oms.adapters import event_fanout, queues
from oms.config import settings
from oms.data.keys import ORDER_SK
from oms.data.stream import channel_linked, header_from_image, order_number_from_image
from oms.domain.errors import TransientStoreError
from oms.domain.events import LABELLING_EVENTS, DomainEvent, events_from_change, for_channel
from oms.domain.webhooks import subscribed
from oms.domain.workflow_actions import action_messages, event_messages
from oms.services import workflows
from oms.services.context import repos

log = logging.getLogger(__name__)
_CHUNK = 10  # events per send (SendMessageBatch)


class _Router:
    """The consumer queues of an event; endpoint lists are cached for one batch."""

    def __init__(self) -> None:
        cfg = settings()
        self.webhook_queue, self.connector_queue = cfg.webhook_queue_url, cfg.connector_queue_url
        self.learning_queue = cfg.learning_queue_url
        self.actions_queue = cfg.actions_queue_url
        self._endpoints: dict[str, list[dict[str, Any]]] = {}

    def queues(self, event: DomainEvent, linked: bool) -> list[str]:
        found = []
        if self.webhook_queue:
            if event.tenant_id not in self._endpoints:
                self._endpoints[event.tenant_id] = repos.webhooks.all(event.tenant_id)
            if any(subscribed(e, event.type) for e in self._endpoints[event.tenant_id]):
                found.append(self.webhook_queue)
        if self.connector_queue and for_channel(event.type, linked):
            found.append(self.connector_queue)
        if self.learning_queue and event.type in LABELLING_EVENTS:
            found.append(self.learning_queue)
        return found

    def actions(self, event: DomainEvent) -> list[str]:
        """The action messages of the status the event entered, and the emails its type sends
        (the return events); none without a queue."""
        if not self.actions_queue:
            return []
        found = event_messages(event)
        if event.to_code:
            found += action_messages(event, workflows.current(event.tenant_id))
        return found


def publish_changes(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Publish the events of a batch of stream records, in order, 10 per request (per queue,
    across records). Returns the sequence number of the first record whose events could not all
    be sent (the stream resumes there, so per-order order holds; events sent before it may be
    sent again, with the same ids), or None when everything was sent."""
    router = _Router()
    pending: dict[str, list[tuple[str, dict[str, Any] | None]]] = {}  # per queue, not sent yet
    first: dict[str, tuple[int, str]] = {}  # per queue: (position, sequence) of its oldest record

    def flush(url: str) -> bool:
        try:
            queues.send_messages(url, pending[url])
        except TransientStoreError as exc:
            log.warning("publishing stopped at %s: %s", first[url][1], exc)
            return False
        del pending[url], first[url]
        return True

    def resume_at(position: int, sequence: str) -> str:
        return min([*first.values(), (position, sequence)])[1]

    for position, record in enumerate(records):
        change = record.get("dynamodb") or {}
        sequence = str(change.get("SequenceNumber"))
        if (change.get("Keys") or {}).get("sk", {}).get("S") != ORDER_SK:
            continue  # bodies and decision trails (the mapping's filter drops them already)
        new_image = change.get("NewImage")
        old, new = header_from_image(change.get("OldImage")), header_from_image(new_image)
        linked = channel_linked(new_image)
        try:
            routed: list[tuple[tuple[str, dict[str, Any] | None], list[str]]] = []
            for event in events_from_change(old, new, order_number_from_image(new_image)):
                routed.append((event_fanout.message(event), router.queues(event, linked)))
                routed += [((body, None), [str(router.actions_queue)]) for body in router.actions(event)]
        except TransientStoreError as exc:  # the endpoints could not be read
            log.warning("publishing stopped at %s: %s", sequence, exc)
            return resume_at(position, sequence)
        for message, urls in routed:
            for url in urls:
                pending.setdefault(url, []).append(message)
                first.setdefault(url, (position, sequence))
                if len(pending[url]) == _CHUNK and not flush(url):
                    return resume_at(position, sequence)
    for url in list(pending):
        if not flush(url):
            return resume_at(len(records), "")
    return None
