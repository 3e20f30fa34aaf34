"""Keep local data across restarts of the local cloud: DynamoDB items, pending SQS messages, and
the key material of KMS keys (what the items hold sealed must still open after a restart).

moto keeps everything in memory, and its backends cannot be pickled (they hold threads, locks and
executions), so the state is written as plain JSON per *logical id* - physical names may change when
the template does - into a state directory (default ``<repo>/.local/state``)::

    dynamodb/<TableLogicalId>.json   {"items": [<item in DynamoDB JSON, as the API returns it>]}
    sqs/<QueueLogicalId>.json        {"messages": [{"body", "attributes", "group_id", ...}]}
    kms/<KeyLogicalId>.json          {"ids": [<key ids it had>], "material": <base64>}
    meta.json                        {"saved_at", "template_digest", "tables", "queues"}

Items are read under the DynamoDB lock (a consistent snapshot) and written back through moto's
backend ``put_item`` (the same call the API makes). Restored messages are sent again: they get new
ids and receive counts start over. Each file is replaced atomically. A table or queue that left the
template is ignored; items that no longer fit a changed key schema are skipped with a warning.
A restored KMS key gets its old material back and answers to its old ids too (moto's ciphertexts
name the key id), so data keys wrapped before the restart still unwrap.

:class:`Persister` saves periodically (default every 30 s) when ``moto_patches.change_counter()``
moved, and once more on shutdown.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local import moto_patches
from infra.local.stack import StackResources

log = logging.getLogger("infra.local.persistence")

__all__ = ["Persister", "RestoreReport", "StateStore"]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


@dataclass
class RestoreReport:
    items: int = 0
    skipped_items: int = 0
    messages: int = 0
    tables: int = 0
    queues: int = 0

    def __str__(self) -> str:
        text = f"{self.items} items in {self.tables} tables, {self.messages} messages in {self.queues} queues"
        return text + (f" ({self.skipped_items} items skipped)" if self.skipped_items else "")


class StateStore:
    """Reads and writes the state directory for one deployed stack."""

    def __init__(self, state_dir: str | os.PathLike[str], stack: StackResources, digest: str = "") -> None:
        self.state_dir = Path(state_dir)
        self.stack = stack
        self.digest = digest

    # ----------------------------------------------------------------- helpers
    def _dynamodb(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[self.stack.account_id][self.stack.region]

    def _sqs(self) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.stack.account_id][self.stack.region]

    def _tables(self) -> dict[str, str]:
        return {
            lid: str(r.physical_id)
            for lid, r in self.stack.resources.items()
            if r.type == "AWS::DynamoDB::Table" and r.served_by == "moto" and r.physical_id
        }

    def _kms(self) -> Any:
        from moto.kms.models import kms_backends

        return kms_backends[self.stack.account_id][self.stack.region]

    def _keys(self) -> dict[str, str]:
        return {
            lid: str(r.physical_id)
            for lid, r in self.stack.resources.items()
            if r.type == "AWS::KMS::Key" and r.served_by == "moto" and r.physical_id
        }

    def _queues(self) -> dict[str, str]:
        return {
            lid: str(r.physical_id).rstrip("/").rsplit("/", 1)[-1]
            for lid, r in self.stack.resources.items()
            if r.type == "AWS::SQS::Queue" and r.served_by == "moto" and r.physical_id
        }

    @staticmethod
    def wipe(state_dir: str | os.PathLike[str]) -> None:
        path = Path(state_dir)
        for sub in ("dynamodb", "sqs", "kms"):
            shutil.rmtree(path / sub, ignore_errors=True)
        (path / "meta.json").unlink(missing_ok=True)

    def has_state(self) -> bool:
        return (self.state_dir / "meta.json").exists()

    # ----------------------------------------------------------------- save
    def save(self) -> dict[str, int]:
        """Write every table and queue; return counts by logical id."""
        from moto.dynamodb.models.utilities import dynamo_json_dump

        counts: dict[str, int] = {}
        backend = self._dynamodb()
        for logical_id, name in self._tables().items():
            with moto_patches.DYNAMODB_LOCK:
                table = backend.tables.get(name)
                items = [item.to_json()["Attributes"] for item in table.all_items()] if table else []
                text = dynamo_json_dump({"table": name, "items": items})
            path = self.state_dir / "dynamodb" / f"{logical_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            counts[logical_id] = len(items)

        sqs = self._sqs()
        for logical_id, name in self._queues().items():
            queue = sqs.queues.get(name)
            if queue is None:
                continue
            with queue._messages_lock:
                messages = list(queue._messages)
            data = [
                {
                    "body": m.body,
                    "message_attributes": _encode(m.message_attributes),
                    "system_attributes": _encode(m.system_attributes),
                    "group_id": m.group_id,
                    "deduplication_id": m.deduplication_id,
                }
                for m in messages
            ]
            _write_json(self.state_dir / "sqs" / f"{logical_id}.json", {"queue": name, "messages": data})
            counts[logical_id] = len(data)

        kms = self._kms()
        for logical_id, key_id in self._keys().items():
            key = kms.keys.get(key_id)
            if key is None:
                continue
            ids = [key.id, *(k for k, v in kms.keys.items() if v is key and k != key.id)]
            _write_json(
                self.state_dir / "kms" / f"{logical_id}.json",
                {"ids": ids, "material": base64.b64encode(key.key_material).decode("ascii")},
            )

        _write_json(
            self.state_dir / "meta.json",
            {"saved_at": time.time(), "template_digest": self.digest, "counts": counts},
        )
        return counts

    # ----------------------------------------------------------------- restore
    def restore(self) -> RestoreReport:
        report = RestoreReport()
        if not self.has_state():
            return report
        backend = self._dynamodb()
        for logical_id, name in self._tables().items():
            path = self.state_dir / "dynamodb" / f"{logical_id}.json"
            if not path.exists():
                continue
            items = json.loads(path.read_text(encoding="utf-8")).get("items", [])
            report.tables += 1
            with moto_patches.DYNAMODB_LOCK:
                table = backend.get_table(name)
                shard, table.stream_shard = table.stream_shard, None  # restoring is not a change
                try:
                    for item in items:
                        try:
                            backend.put_item(name, item)
                            report.items += 1
                        except Exception as exc:
                            report.skipped_items += 1
                            log.debug("skipped an item of %s: %s", logical_id, exc)
                finally:
                    table.stream_shard = shard
        if report.skipped_items:
            log.warning(
                "%d stored items did not fit the current tables and were skipped", report.skipped_items
            )

        kms = self._kms()
        for logical_id, key_id in self._keys().items():
            path = self.state_dir / "kms" / f"{logical_id}.json"
            key = kms.keys.get(key_id)
            if not path.exists() or key is None:
                continue
            saved = json.loads(path.read_text(encoding="utf-8"))
            key.key_material = base64.b64decode(saved["material"])
            for old_id in saved.get("ids", []):
                kms.keys.setdefault(old_id, key)  # ciphertexts from before name the old id

        sqs = self._sqs()
        for logical_id, name in self._queues().items():
            path = self.state_dir / "sqs" / f"{logical_id}.json"
            if not path.exists():
                continue
            messages = json.loads(path.read_text(encoding="utf-8")).get("messages", [])
            report.queues += 1
            for message in messages:
                try:
                    sqs.send_message(
                        name,
                        message["body"],
                        message_attributes=_decode(message.get("message_attributes")) or None,
                        delay_seconds=0,
                        deduplication_id=message.get("deduplication_id"),
                        group_id=message.get("group_id"),
                        system_attributes=_decode(message.get("system_attributes")) or None,
                    )
                    report.messages += 1
                except Exception as exc:
                    log.warning("could not restore a message of %s: %s", logical_id, exc)
        return report


class Persister:
    """Saves the state periodically when something changed, and on ``stop()``."""

    def __init__(self, store: StateStore, interval: float = 30.0) -> None:
        self.store = store
        self.interval = interval
        self._saved_at_change = moto_patches.change_counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.saves = 0

    def save_if_changed(self, force: bool = False) -> bool:
        with self._lock:
            current = moto_patches.change_counter()
            if not force and current == self._saved_at_change:
                return False
            self.store.save()
            self._saved_at_change = current
            self.saves += 1
            return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save_if_changed()
            except Exception:
                log.exception("saving local state failed")

    def start(self) -> Persister:
        self._thread = threading.Thread(target=self._loop, name="local-persistence", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.save_if_changed(force=True)
