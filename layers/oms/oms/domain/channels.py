"""Which sales channel an order came from: a server-owned link, never taken from a client.

An order a connector imported carries a `ChannelLink` (the connector, the channel, the account on
it and the channel's own order id), set by the import paths only. Everything that acts on the
channel for an order (pushing a shipment back) reads that link and nothing else: not the order's
tags, not its `external_order_id`, both of which an API client writes. The namespaces the import
paths write into tags and external ids (`connector:`, `shopify:`, `amazon:`, ...) are refused from
clients, so a client-made order can never look like a channel's either.

Identifiers that go into a channel's URLs or GraphQL ids are checked here against strict patterns.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ChannelKind = Literal["SHOPIFY", "AMAZON"]

# Shopify's REST/GraphQL numeric ids; Amazon order ids are 3-7-7 digits, sandbox ids vary a little.
SHOPIFY_ID = re.compile(r"^[0-9]{1,20}$")
SHOPIFY_FULFILLMENT_ORDER_GID = re.compile(r"^gid://shopify/FulfillmentOrder/[0-9]{1,20}$")
AMAZON_ORDER_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{4,39}$")

# Prefixes the import paths (and Shopify's global ids) write; a client may not use them in tags or
# external ids. Compared after Unicode folding, with whitespace and invisible characters removed.
RESERVED_PREFIXES = ("connector", "source", "channel", "shopify", "amazon", "gid")


class ChannelLink(BaseModel):
    """Set only by a connector's import; read by whatever talks back to the channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: ChannelKind
    connector_id: str = Field(min_length=1, max_length=64)
    account: str = Field(min_length=1, max_length=255)  # Shopify shop domain, Amazon seller id
    channel_order_id: str = Field(min_length=1, max_length=64)


def _folded(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Mn", "Me")
    )


def reserved_prefix(value: str) -> str | None:
    """The reserved namespace `value` falls in (`"Shopify :1"`, `"CONNECTOR:x"`, `"amazon\u200b:"`),
    or None. A prefix followed by a letter, digit, `-` or `_` is an ordinary word (`amazon-gift`)."""
    folded = _folded(value)
    for prefix in RESERVED_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            follower = folded[len(prefix)]
            if not (follower.isalnum() or follower in "-_"):
                return prefix
    return None


def legacy_link(created_by: str, tags: list[str], external_order_id: str | None) -> ChannelLink | None:
    """The link of an order imported before links were stored. Those imports were written with
    `created_by` = `user:connector:<connector id>` (no user's email has that form), the tag
    `connector:<id>` and `external_order_id` = `<channel>:<account>:<channel order id>`; all three
    must agree. Orders made through the API since cannot match: their tags and external ids may
    not use these namespaces."""
    if not created_by.startswith("user:connector:") or not external_order_id:
        return None
    connector_id = created_by.removeprefix("user:connector:")
    if not re.fullmatch(r"[0-9a-f\-]{36}", connector_id) or f"connector:{connector_id}" not in tags:
        return None
    kind, _, rest = external_order_id.partition(":")
    account, _, channel_order_id = rest.rpartition(":")
    if kind == "shopify" and SHOPIFY_ID.fullmatch(channel_order_id) and account:
        return ChannelLink(
            channel="SHOPIFY", connector_id=connector_id, account=account, channel_order_id=channel_order_id
        )
    if kind == "amazon" and AMAZON_ORDER_ID.fullmatch(channel_order_id) and account:
        return ChannelLink(
            channel="AMAZON", connector_id=connector_id, account=account, channel_order_id=channel_order_id
        )
    return None
