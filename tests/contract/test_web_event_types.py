"""The dashboard's webhook form offers exactly the events an endpoint may subscribe to: a new
server event (returns, stock alerts, ...) that the form does not list could never be chosen."""

import re
from pathlib import Path

from oms.domain.events import SUBSCRIBABLE_EVENT_TYPES

FORM = Path(__file__).resolve().parents[2] / "web" / "src" / "pages" / "integrations" / "Webhooks.tsx"


def test_the_webhook_form_lists_every_subscribable_event() -> None:
    source = FORM.read_text(encoding="utf-8")
    block = re.search(r"const EVENT_TYPES = \[(.*?)\];", source, re.S)
    assert block, "EVENT_TYPES not found in Webhooks.tsx"
    offered = [e for e in re.findall(r"'([^']+)'", block.group(1)) if e != "*"]
    assert sorted(offered) == sorted(SUBSCRIBABLE_EVENT_TYPES)
    assert len(offered) == len(set(offered))
