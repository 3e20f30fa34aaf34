"""Amazon Selling Partner API: LWA token exchange, Orders v2026-01-01 `searchOrders` with paging
and throttling, and v0 `confirmShipment` (`requests` is imported on first use, off the API's cold
start)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from oms.domain import clock
from oms.domain.channels import AMAZON_ORDER_ID
from oms.domain.errors import TransientStoreError

TIMEOUT = (3.0, 15.0)
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}  # (client id, refresh token) -> (token, expiry)
_TOKENS_LOCK = threading.Lock()


class AmazonRejected(Exception):
    """SP-API answered with a client error that retrying will not fix."""


@dataclass
class SpApiClient:
    config: dict[str, Any]
    max_attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    throttled: int = field(default=0, init=False)  # 429s seen (for the task log)
    attempts: int = field(default=0, init=False)  # requests sent (each one spends rate budget)

    def access_token(self) -> str:
        key = (self.config["lwa_client_id"], self.config["refresh_token"])
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
            if cached and cached[1] > clock.epoch() + 60:
                return cached[0]
        import requests

        try:
            response = requests.post(
                self.config["token_url"],
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.config["refresh_token"],
                    "client_id": self.config["lwa_client_id"],
                    "client_secret": self.config["lwa_client_secret"],
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TransientStoreError(f"LWA unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise TransientStoreError(f"LWA answered {response.status_code}")
        if response.status_code != 200:
            raise AmazonRejected(
                f"LWA refused the refresh token ({response.status_code}): {response.text[:200]}"
            )
        body = response.json()
        token = str(body["access_token"])
        with _TOKENS_LOCK:
            _TOKENS[key] = (token, clock.epoch() + float(body.get("expires_in", 3600)))
        return token

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One SP-API call; 429 and 5xx wait and retry with exponential backoff (Retry-After when
        given), so a throttled poller slows down instead of failing."""
        import requests

        delay = 1.0
        for attempt in range(1, self.max_attempts + 1):
            self.attempts += 1
            try:
                response = requests.request(
                    method,
                    f"{self.config['endpoint'].rstrip('/')}{path}",
                    headers={"x-amz-access-token": self.access_token(), "Accept": "application/json"},
                    timeout=TIMEOUT,
                    **kwargs,
                )
            except requests.RequestException as exc:
                if attempt == self.max_attempts:
                    raise TransientStoreError(f"SP-API unreachable: {type(exc).__name__}") from exc
                self.sleep(delay)
                delay *= 2
                continue
            if response.status_code == 429 or response.status_code >= 500:
                self.throttled += response.status_code == 429
                if attempt == self.max_attempts:
                    raise TransientStoreError(f"SP-API answered {response.status_code} {attempt} times")
                retry_after = response.headers.get("Retry-After")
                self.sleep(
                    float(retry_after) if retry_after and retry_after.replace(".", "").isdigit() else delay
                )
                delay = min(delay * 2, 60.0)
                continue
            if response.status_code >= 400:
                raise AmazonRejected(f"SP-API {path} answered {response.status_code}: {response.text[:300]}")
            return response
        raise TransientStoreError("SP-API: no attempts left")  # pragma: no cover (loop returns or raises)

    def search_orders(
        self, last_updated_after: str, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {
            "marketplaceIds": ",".join(self.config["marketplace_ids"]),
            "maxResultsPerPage": 100,
        }
        if token:
            params["paginationToken"] = token
        else:
            params["lastUpdatedAfter"] = last_updated_after
        body = self._call("GET", "/orders/2026-01-01/orders", params=params).json()
        orders = list(body.get("orders") or [])
        next_token = (body.get("pagination") or {}).get("nextToken")
        return orders, (str(next_token) if next_token else None)

    def get_order(self, order_id: str) -> dict[str, Any]:
        body = self._call("GET", f"/orders/2026-01-01/orders/{_segment(order_id)}").json()
        return dict(body.get("order") or body)

    def confirm_shipment(self, order_id: str, payload: dict[str, Any]) -> None:
        self._call("POST", f"/orders/v0/orders/{_segment(order_id)}/shipmentConfirmation", json=payload)


def _segment(order_id: str) -> str:
    """An Amazon order id as a URL path segment: checked against Amazon's form, then encoded."""
    if not AMAZON_ORDER_ID.fullmatch(order_id):
        raise AmazonRejected("not an Amazon order id")
    return quote(order_id, safe="")
