"""Small, targeted fixes to moto so it behaves like AWS under the load of a local run.

moto is the engine of both the embedded local cloud and the in-process component tests, so the same
patches are applied in both places (``apply()`` is idempotent). Each patch fixes one measured
problem; each says why in one line:

1. DynamoDB serialisation - moto checks a condition and then writes, without a lock, so two threads
   can both pass ``attribute_not_exists`` (real DynamoDB makes each conditional write atomic). One
   re-entrant lock serialises every DynamoDB request; reads take it too, because a scan iterating a
   table while another thread inserts raises "dictionary changed size during iteration".
2. TransactWriteItems snapshot - moto deep-copies every *whole table* named in a transaction before
   applying it (O(table size): 5 transactions/s at 5,000 items). We snapshot only the items the
   transaction touches and restore exactly those on cancellation; the rest of moto's semantics
   (per-item ``CancellationReasons``, ``ReturnValuesOnConditionCheckFailure``, validation errors)
   are unchanged.
3. Step Functions via CloudFormation - moto's CFN model always creates state machines in the
   non-executing backend and ignores ``StateMachineType``, ``Definition`` (object),
   ``DefinitionSubstitutions`` and ``LoggingConfiguration``; we route them to the backend the
   configuration selects (the executing one when ``execute_state_machine`` is on) and honour those
   properties (substitution values arrive already resolved by moto's intrinsic-function parser).
4. Step Functions SDK clients - the ASL interpreter builds a new boto3 client from the default
   session for every task (not thread-safe under concurrent executions, ~5 ms a task) aimed at
   ``localhost:$MOTO_PORT``; clients are cached per (region, service, endpoint), built from private
   sessions, and aimed at ``AWS_ENDPOINT_URL`` when the application uses one.
5. SQS delete race - ``Queue.delete_message`` rebuilds the message list while ``add_message`` appends
   to it from another thread, silently losing messages; the rebuild now holds the queue's own lock.
6. State machine parse cache - every execution re-parses its definition with ANTLR (about 10 % of
   the CPU of a busy local run); the parsed program is not changed by evaluation (all execution state
   lives in the per-execution environment), so it is cached per definition text, with each
   component's lazily assigned heap key fixed up front so concurrent executions agree on it.
7. JSONPath parse cache - ``jsonpath_ng`` rebuilds its PLY parser for every path it parses (several
   per state, about 9 % of the CPU); parsed paths are immutable and cached per path text.
8. Server routing cache - moto's server lists its own package directory and tries hundreds of URL
   patterns to route *every* request; the answer depends only on the Host header, so it is memoised.
9. TCP_NODELAY on the server's sockets - a response is written as headers then body; with Nagle's
   algorithm and delayed ACKs a keep-alive client can wait ~40 ms for the second segment.
10. Query without a table scan - moto answers every ``Query`` (base table *and* indexes) by walking
    all items of the table, so a long demo slows down as tables grow (a third of the CPU after a few
    thousand orders). Queries now start from the items with the requested partition key: the base
    table's own dict, or a per-table map "index partition value -> primary keys" kept up to date by
    marking keys dirty on every write path (put, delete, update, transaction rollback) and refreshed
    lazily. moto's own query code still runs on those candidates, so conditions, sort order,
    pagination and filters behave as before.
11. DynamoDB data-plane responses as plain JSON - moto 5.2 passes every response through a generic,
    model-driven serializer that visits each attribute value's ten possible members; it took about
    60 % of the CPU of a busy local run (~20 ms per call). For item operations the result is
    already DynamoDB JSON, so it is written with ``json.dumps`` (as moto did before 5.x).
12. Asynchronous Lambda invocations - moto runs ``InvocationType=Event`` invokes synchronously, so
    the caller waits for the whole function (an inventory receipt would wait for the backorder job
    it triggers). They now run on a small background pool and the call returns 202 at once, as on
    AWS; a failed invocation is tried twice more (after 1 and 2 s; AWS waits 1 and 2 minutes), then
    logged and dropped (AWS would drop it too, or send it to an on-failure target).
13. SQS scans - ``ReceiveMessage`` checks every message it hands out against the queue's retention
    period by asking for the queue's attributes, and moto builds *all* of them to answer (so does
    every ``SendMessage``), counting every message of the queue three times (visible, in flight,
    delayed) with a ``datetime`` clock read per message - twice per attribute asked. With a backlog
    of a few hundred messages that was a third of the CPU of a run. The retention check now reads
    the one attribute it needs, a lookup of named attributes builds the map once, and a message's
    visibility is compared with ``time.time()`` (the same clock, without the datetime arithmetic).

``change_counter()`` exposes a number that grows with every DynamoDB or SQS mutation, so the local
cloud can persist its state only when something changed.

The patches reach into moto's internals, so they hold for one moto release: ``apply()`` refuses to
run on any other (:class:`MotoVersionMismatch`) rather than half-patch it. To move moto: change the
pin in pyproject.toml and :data:`PINNED_MOTO_VERSION` together, and re-check each patch against the
new source (tests/local_cloud/test_moto_patches.py has a test per patch that fails without it).
"""

from __future__ import annotations

import base64
import copy
import functools
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "DYNAMODB_LOCK",
    "PINNED_MOTO_VERSION",
    "MotoVersionMismatch",
    "apply",
    "change_counter",
    "check_moto_version",
    "is_applied",
]

#: The moto release these patches were written against; pyproject.toml pins the same one.
PINNED_MOTO_VERSION = "5.2.5"

F = TypeVar("F", bound=Callable[..., Any])

#: The single lock that makes moto's DynamoDB behave like a linearizable store.
DYNAMODB_LOCK = threading.RLock()

_APPLY_LOCK = threading.Lock()
_log = logging.getLogger("infra.local.moto")
_changes = itertools.count(1)


class _State:
    applied = False
    last_change = 0


def _bump() -> None:
    _State.last_change = next(_changes)


def change_counter() -> int:
    """A value that increases whenever DynamoDB items or SQS messages change (0 = never)."""
    return _State.last_change


def is_applied() -> bool:
    return _State.applied


class MotoVersionMismatch(RuntimeError):
    """The installed moto is not the release these patches were written for."""


def check_moto_version(installed: str | None = None) -> None:
    """Raise :class:`MotoVersionMismatch` unless moto is :data:`PINNED_MOTO_VERSION`."""
    if installed is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("moto")
        except PackageNotFoundError:
            installed = "(not installed)"
    if installed != PINNED_MOTO_VERSION:
        raise MotoVersionMismatch(
            f"infra/local/moto_patches.py is written for moto {PINNED_MOTO_VERSION}, but moto "
            f"{installed} is installed. The patches replace moto internals, so on another release "
            "they may silently do nothing or break it. Reinstall the pinned one (BOOTSTRAP_FORCE=1 "
            "make bootstrap), or, to upgrade moto, re-check every patch against the new release and "
            "change PINNED_MOTO_VERSION together with the pin in pyproject.toml."
        )


def apply() -> None:
    """Apply every patch once per process (safe to call any number of times, from any thread).
    Raises :class:`MotoVersionMismatch` on a moto other than the pinned one."""
    with _APPLY_LOCK:
        if _State.applied:
            return
        check_moto_version()
        _patch_dynamodb_locking()
        _patch_transact_write_items()
        _patch_stepfunctions_cloudformation()
        _patch_stepfunctions_boto_clients()
        _patch_sqs_delete_race()
        _patch_state_machine_parse_cache()
        _patch_jsonpath_parse_cache()
        _patch_server_routing()
        _patch_query_candidates()
        _patch_dynamodb_fast_responses()
        _patch_lambda_async_invoke()
        _patch_sqs_scans()
        _State.applied = True


# --------------------------------------------------------------------------- 1. DynamoDB lock

_DYNAMODB_WRITE_ACTIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)
_DYNAMODB_READ_ACTIONS = ("get_item", "batch_get_item", "query", "scan", "transact_get_items")


def _locked(func: F, *, mutating: bool) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with DYNAMODB_LOCK:
            try:
                return func(*args, **kwargs)
            finally:
                if mutating:
                    _bump()

    wrapper.__cirrus_locked__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _patch_dynamodb_locking() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    # The handler level covers the whole request (responses read the old item before updating it
    # to build ReturnValues); the backend level covers callers that bypass HTTP (persistence).
    for cls, names, mutating in (
        (DynamoHandler, _DYNAMODB_WRITE_ACTIONS, True),
        (DynamoHandler, _DYNAMODB_READ_ACTIONS, False),
        (DynamoDBBackend, ("put_item", "update_item", "delete_item", "transact_write_items"), True),
        (DynamoDBBackend, ("get_item", "query", "scan"), False),
    ):
        for name in names:
            original = getattr(cls, name, None)
            if original is None or getattr(original, "__cirrus_locked__", False):
                continue
            setattr(cls, name, _locked(original, mutating=mutating))


# --------------------------------------------------------------------------- 2. transactions


class _TouchedItems:
    """The pre-transaction state of just the items (and stream records) a transaction touches."""

    def __init__(self) -> None:
        self.items: dict[tuple[int, Any, Any], tuple[Any, Any, Any, Any]] = {}
        self.stream_lengths: dict[int, tuple[Any, int]] = {}

    def remember(self, table: Any, hash_value: Any, range_value: Any, current: Any) -> None:
        key = (id(table), hash_value, range_value)
        if key not in self.items:
            self.items[key] = (table, hash_value, range_value, copy.deepcopy(current))
        if table.stream_shard is not None and id(table) not in self.stream_lengths:
            self.stream_lengths[id(table)] = (table, len(table.stream_shard.items))

    def restore(self) -> None:
        for table, hash_value, range_value, _ in self.items.values():
            _mark_dirty(table, hash_value, range_value)
        for table, hash_value, range_value, item in self.items.values():
            if range_value is not None:
                bucket = table.items[hash_value]
                if item is None:
                    bucket.pop(range_value, None)
                    if not bucket:
                        table.items.pop(hash_value, None)
                else:
                    bucket[range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        for table, length in self.stream_lengths.values():
            shard = table.stream_shard
            if shard is not None and len(shard.items) >= length:
                del shard.items[length:]


def _transact_key(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _transact_one(
    backend: Any, op_type: str, op: dict[str, Any], key: dict[str, Any], touched: _TouchedItems
) -> None:
    """Check one operation's condition and apply it (moto's per-item logic, plus the snapshot)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed
    from moto.dynamodb.models.dynamo_type import DynamoType

    table_name = op["TableName"]
    condition = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")

    current = backend.get_item(table_name, key)
    # get_item validated the key: remember the item before anything can change it.
    table = backend.get_table(table_name)
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
    touched.remember(table, DynamoType(key[table.hash_key_attr]), range_value, current)

    if condition is not None and not get_filter_expression(condition, names, values).expr(current):
        old = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            old = current.to_json()["Attributes"]
        failure = ConditionalCheckFailed(item=old)
        failure.cirrus_old_item = old  # type: ignore[attr-defined]
        raise failure

    common = {
        "condition_expression": condition,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], **common)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, **common)
    elif op_type == "Update":
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **common)


def _patch_transact_write_items() -> None:
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        # Same algorithm and error semantics as moto 5.2's DynamoDBBackend.transact_write_items,
        # except the rollback state: touched items only, instead of deep copies of whole tables.
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        touched = _TouchedItems()
        target_items: set[tuple[str, str]] = set()
        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for item in transact_items:
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                key = _transact_key(self, op_type, op)
                unique = (str(op["TableName"]), str(dict(sorted(key.items()))))
                if unique in target_items:
                    raise MultipleTransactionsException()
                target_items.add(unique)
                _transact_one(self, op_type, op, key, touched)
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                touched.restore()
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), getattr(e, "cirrus_old_item", None)))
            except Exception as e:
                errors.append((type(e).__name__, str(e), None))

        if any(code is not None for code, _, _ in errors):
            touched.restore()
            raise TransactionCanceledException(errors)

    # Keep the lock wrapper from patch 1 on the outside.
    DynamoDBBackend.transact_write_items = _locked(  # type: ignore[method-assign]
        transact_write_items, mutating=True
    )


# --------------------------------------------------------------------------- 3. SFN via CFN


def _cfn_logging_to_api(logging: dict[str, Any] | None) -> dict[str, Any] | None:
    if not logging:
        return None
    destinations = []
    for dest in logging.get("Destinations") or []:
        group = (dest or {}).get("CloudWatchLogsLogGroup") or {}
        destinations.append({"cloudWatchLogsLogGroup": {"logGroupArn": group.get("LogGroupArn")}})
    api: dict[str, Any] = {"level": logging.get("Level", "OFF")}
    if "IncludeExecutionData" in logging:
        api["includeExecutionData"] = bool(logging["IncludeExecutionData"])
    if destinations:
        api["destinations"] = destinations
    return api


def fold_definition_substitutions(definition: str, substitutions: dict[str, Any] | None) -> str:
    """Replace ``${Name}`` tokens the way CloudFormation's ``DefinitionSubstitutions`` does."""
    for name, value in (substitutions or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    return definition


def _patch_stepfunctions_cloudformation() -> None:
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.responses import get_backend

    state_machine_cls = sfn_models.StateMachine

    def create_from_cloudformation_json(
        cls: type[Any],
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        name = properties.get("StateMachineName", resource_name)
        definition = properties.get("DefinitionString")
        if definition is None and "Definition" in properties:
            definition = json.dumps(properties["Definition"])
        definition = fold_definition_substitutions(
            definition or "", properties.get("DefinitionSubstitutions")
        )
        tags = sfn_models.cfn_to_api_tags(properties.get("Tags", []))
        tracing = properties.get("TracingConfiguration")
        backend = get_backend(account_id, region_name)
        return backend.create_state_machine(
            name,
            definition,
            properties.get("RoleArn", ""),
            tags=tags,
            loggingConfiguration=_cfn_logging_to_api(properties.get("LoggingConfiguration")),
            tracingConfiguration={"enabled": bool(tracing.get("Enabled"))} if tracing else None,
            sm_type=properties.get("StateMachineType") or "STANDARD",
        )

    def delete_from_cloudformation_json(
        cls: type[Any], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        get_backend(account_id, region_name).delete_state_machine(resource_name)

    state_machine_cls.create_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        create_from_cloudformation_json
    )
    state_machine_cls.delete_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        delete_from_cloudformation_json
    )


# --------------------------------------------------------------------------- 4. SFN clients


def _patch_stepfunctions_boto_clients() -> None:
    import importlib
    import os
    import pkgutil

    import boto3
    from botocore.config import Config
    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module

    original = boto_client_module.boto_client_for
    if getattr(original, "__cirrus_patched__", False):
        return
    cache: dict[tuple[str, str, str | None], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.settings import moto_server_port

        # Same client as moto builds, but pointed at the in-process server by the same address the
        # application uses (AWS_ENDPOINT_URL), built from a private session, and cached.
        endpoint = None
        if not botocore_stubber.enabled:
            endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://localhost:{moto_server_port()}"
        key = (region, service, endpoint)
        client = cache.get(key)
        if client is None:
            with lock:
                client = cache.get(key)
                if client is None:
                    session: Any = boto3.session.Session()
                    client = session.client(
                        service_name=service,
                        region_name=region,
                        aws_access_key_id="ak",
                        aws_secret_access_key="sk",
                        endpoint_url=endpoint,
                        config=Config(
                            parameter_validation=False,
                            retries={"max_attempts": 0, "total_max_attempts": 1},
                            connect_timeout=boto_client_module.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                            read_timeout=boto_client_module.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                            max_pool_connections=256,  # one per concurrently running task
                        ),
                    )
                    cache[key] = client
        return client

    boto_client_for.__cirrus_patched__ = True  # type: ignore[attr-defined]
    boto_client_module.boto_client_for = boto_client_for

    # Every interpreter module imported the function by name: rebind it in each of them.
    import moto.stepfunctions.parser as parser_pkg

    for info in pkgutil.walk_packages(parser_pkg.__path__, parser_pkg.__name__ + "."):
        if (
            "boto_client" not in info.name
            and "state_task" not in info.name
            and "resource_eval" not in info.name
        ):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:  # pragma: no cover - optional interpreter parts with missing deps
            logging.getLogger("infra.local").debug("not patching %s: %s", info.name, exc)
            continue
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- 5. SQS


def _patch_sqs_delete_race() -> None:
    from moto.sqs.models import Queue

    original_delete = Queue.delete_message
    original_add = Queue.add_message

    @functools.wraps(original_delete)
    def delete_message(self: Queue, receipt_handle: str) -> None:
        with self._messages_lock:
            original_delete(self, receipt_handle)
        _bump()

    @functools.wraps(original_add)
    def add_message(self: Queue, message: Any) -> None:
        original_add(self, message)
        _bump()

    Queue.delete_message = delete_message  # type: ignore[method-assign]
    Queue.add_message = add_message  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 6. ASL parse cache


def _fix_heap_keys(root: Any) -> None:
    """Assign every component's lazy ``heap_key`` now, single-threaded, before sharing the tree."""
    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, EvalComponent):
            _ = node.heap_key
        if isinstance(node, Component):
            stack.extend(vars(node).values())
        elif isinstance(node, list | tuple | set):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())


def _patch_state_machine_parse_cache() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_entrypoint
    if getattr(original, "__cirrus_patched__", False):
        return
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def _get_evaluation_entrypoint(self: Any) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        program = cache.get(definition)
        if program is None:
            with lock:
                program = cache.get(definition)
                if program is None:
                    program = AmazonStateLanguageParser.parse(definition)[0]
                    _fix_heap_keys(program)
                    if len(cache) >= 64:
                        cache.clear()
                    cache[definition] = program
        return program

    _get_evaluation_entrypoint.__cirrus_patched__ = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_entrypoint = _get_evaluation_entrypoint  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 7. JSONPath cache


def _patch_jsonpath_parse_cache() -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    modules: tuple[Any, ...] = (json_path, result_path)
    for module in modules:
        original = module.parse
        if getattr(original, "__cirrus_patched__", False):
            continue
        cached = functools.lru_cache(maxsize=4096)(original)
        cached.__cirrus_patched__ = True  # type: ignore[attr-defined]
        module.parse = cached


# --------------------------------------------------------------------------- 8 + 9. server


def _patch_server_routing() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

    MotoRequestHandler.disable_nagle_algorithm = True
    original = DomainDispatcherApplication.get_backend_for_host
    if getattr(original, "__cirrus_patched__", False):
        return
    cache: dict[str | None, Any] = {}

    @functools.wraps(original)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        try:
            return cache[host]
        except KeyError:
            backend = original(self, host)
            if len(cache) < 1024:
                cache[host] = backend
            return backend

    get_backend_for_host.__cirrus_patched__ = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 10. query candidates


class _PartitionIndex:
    """For one table: index partition-key value -> primary keys of the items carrying it."""

    def __init__(self, table: Any) -> None:
        self.attributes = sorted(
            {
                key["AttributeName"]
                for index in table.all_indexes()
                for key in index.schema
                if key["KeyType"] == "HASH"
            }
        )
        self.by_value: dict[str, dict[Any, dict[tuple[Any, Any], None]]] = {a: {} for a in self.attributes}
        self.values_of: dict[tuple[Any, Any], dict[str, Any]] = {}
        self.dirty: set[tuple[Any, Any]] = set()
        for item in table.all_items():
            self._add(item)

    def _add(self, item: Any) -> None:
        pk = (item.hash_key, item.range_key)
        values = {a: item.attrs[a] for a in self.attributes if a in item.attrs}
        if values:
            self.values_of[pk] = values
            for attribute, value in values.items():
                self.by_value[attribute].setdefault(value, {})[pk] = None

    def _remove(self, pk: tuple[Any, Any]) -> None:
        for attribute, value in self.values_of.pop(pk, {}).items():
            bucket = self.by_value[attribute].get(value)
            if bucket is not None:
                bucket.pop(pk, None)
                if not bucket:
                    del self.by_value[attribute][value]

    def refresh(self, table: Any) -> None:
        dirty, self.dirty = self.dirty, set()
        for pk in dirty:
            self._remove(pk)
            item = _lookup(table, *pk)
            if item is not None:
                self._add(item)

    def candidates(self, table: Any, attribute: str, value: Any) -> list[Any]:
        self.refresh(table)
        items = (_lookup(table, *pk) for pk in self.by_value.get(attribute, {}).get(value, {}))
        return [item for item in items if item is not None]


_partition_indexes: Any = None  # weakref.WeakKeyDictionary[Table, _PartitionIndex], set by the patch


def _lookup(table: Any, hash_value: Any, range_value: Any) -> Any:
    bucket = table.items.get(hash_value)
    if bucket is None:
        return None
    if table.range_key_attr is None:
        return bucket
    return bucket.get(range_value)


def _mark_dirty(table: Any, hash_value: Any, range_value: Any) -> None:
    if _partition_indexes is None:
        return
    index = _partition_indexes.get(table)
    if index is not None:
        index.dirty.add((hash_value, range_value))


def _query_candidates(
    table: Any, hash_key: Any, index_name: str | None, hash_conditions: Any
) -> list[Any] | None:
    """The items a query can return, or None to let moto scan (anything unusual)."""
    if not index_name:
        if hash_key is None:
            return None
        bucket = table.items.get(hash_key)
        if bucket is None:
            return []
        return list(bucket.values()) if table.range_key_attr is not None else [bucket]
    if not hash_conditions:
        return None
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None:
        return None  # moto raises the proper validation error
    first_hash = next((str(k["AttributeName"]) for k in index.schema if k["KeyType"] == "HASH"), None)
    expected = dict(hash_conditions).get(first_hash)
    if first_hash is None or expected is None or _partition_indexes is None:
        return None
    cache = _partition_indexes.get(table)
    if cache is None or first_hash not in cache.attributes:
        cache = _PartitionIndex(table)
        _partition_indexes[table] = cache
    return cache.candidates(table, first_hash, expected)


def _patch_query_candidates() -> None:
    import weakref

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    global _partition_indexes  # noqa: PLW0603 - set once, by apply()
    if getattr(Table.query, "__cirrus_patched__", False):
        return
    _partition_indexes = weakref.WeakKeyDictionary()

    original_query = Table.query
    original_put = Table.put_item
    original_delete = Table.delete_item
    original_update = DynamoDBBackend.update_item

    @functools.wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        candidates = _query_candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if candidates is None:
            return original_query(self, hash_key, *args, **kwargs)
        with DYNAMODB_LOCK:
            # moto's query walks self.all_items(): let it walk only the candidates, for this call.
            self.all_items = lambda: candidates
            try:
                return original_query(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    @functools.wraps(original_put)
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _mark_dirty(self, item.hash_key, item.range_key)
        return item

    @functools.wraps(original_delete)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        try:
            return original_delete(self, hash_key, range_key)
        finally:
            _mark_dirty(self, hash_key, range_key)

    @functools.wraps(original_update)
    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None and table.hash_key_attr in key:
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
                _mark_dirty(table, DynamoType(key[table.hash_key_attr]), range_value)

    patched: tuple[Any, ...] = (query, put_item, delete_item, update_item)
    for function in patched:
        function.__cirrus_patched__ = True
    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _locked(update_item, mutating=True)  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 11. fast DynamoDB JSON

# Operations whose results are DynamoDB JSON already (items, keys, counts, consumed capacity).
_DYNAMODB_DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "TransactGetItems",
    }
)


def _wire_default(value: Any) -> Any:
    """Binary attribute values travel base64-encoded, as the generic serializer writes them."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _patch_dynamodb_fast_responses() -> None:
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    generic = BaseResponse.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        if isinstance(action_result, DynamoResult) and isinstance(action_result.result, dict):
            action = self._get_action()
            if action in _DYNAMODB_DATA_PLANE:
                headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
                return 200, headers, json.dumps(action_result.result, default=_wire_default)
        return generic(self, action_result)

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 12. async Lambda invoke
_ASYNC_RETRY_WAITS = (0.0, 1.0, 2.0)  # before each attempt


def _patch_lambda_async_invoke() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from moto.awslambda.models import LambdaFunction

    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-async")

    sync_invoke = LambdaFunction.invoke

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if request_headers.get("x-amz-invocation-type") != "Event":
            return sync_invoke(self, body, request_headers, response_headers)
        event = json.loads(body) if body else {}

        def run() -> None:
            # Lambda retries a failed asynchronous invocation twice (after 1 and 2 minutes; here
            # after 1 and 2 seconds), then drops it.
            for attempt, wait in enumerate(_ASYNC_RETRY_WAITS):
                time.sleep(wait)
                try:
                    payload, errored, _logs = self._invoke_lambda(event=event)
                except Exception:
                    _log.exception("async invoke of %s failed", self.function_name)
                    return
                if not errored:
                    return
                _log.warning(
                    "async invoke of %s failed (attempt %d): %s",
                    self.function_name,
                    attempt + 1,
                    str(payload)[:500],
                )

        pool.submit(run)
        return ""

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 13. SQS scans
def _patch_sqs_scans() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.exceptions import InvalidAttributeName
    from moto.sqs.models import Message, SQSBackend

    # moto's unix_time_millis() is datetime arithmetic on utcnow(): the same instant as time.time()
    Message.visible = property(lambda self: time.time() * 1000 > self.visible_at)  # type: ignore[method-assign,assignment]
    Message.delayed = property(lambda self: time.time() * 1000 < self.delayed_until)  # type: ignore[method-assign,assignment]

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        if not attribute_names:
            return {}
        valid_names = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
        invalid_name = next((name for name in attribute_names if name not in valid_names), None)
        if invalid_name or invalid_name == "":
            raise InvalidAttributeName(invalid_name)
        everything = queue.attributes  # built once (moto built it twice per name asked)
        if "All" in attribute_names:
            return dict(everything)
        return {n: everything[n] for n in attribute_names if everything.get(n) is not None}

    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
    SQSBackend.get_queue_attributes = get_queue_attributes  # type: ignore[method-assign]
