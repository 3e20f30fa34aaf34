"""Where our Function URLs are, to tell a merchant what to paste into a channel's admin."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings

SHOPIFY_WEBHOOK_LOGICAL_ID = "ShopifyWebhookFunction"


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("lambda", region_name=settings().region)


@lru_cache(maxsize=4)
def _function_url(name: str) -> str | None:
    try:
        return str(_client().get_function_url_config(FunctionName=name)["FunctionUrl"])
    except (ClientError, BotoCoreError, KeyError):
        return None


def reset() -> None:
    _client.cache_clear()
    _function_url.cache_clear()


def shopify_webhook_base() -> str | None:
    cfg = settings()
    if cfg.local_function_url_base:
        return f"{cfg.local_function_url_base.rstrip('/')}/{SHOPIFY_WEBHOOK_LOGICAL_ID}"
    return _function_url(cfg.shopify_webhook_function) if cfg.shopify_webhook_function else None
