"""Reading a tenant's documents (experiments, proposals, ...) as their pydantic models: the
stored ones that still validate, one by id or a 404, and the API view with its version."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from oms.data.documents import VersionedDocuments
from oms.domain.errors import NotFound

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def valid(model: type[M], docs: Iterable[dict[str, Any]], noun: str) -> list[M]:
    """The documents that still validate; one that does not (a strategy it names was removed) is
    skipped and logged rather than failing every reader."""
    found = []
    for doc in docs:
        try:
            found.append(model.model_validate(doc))
        except ValidationError as exc:
            log.warning("%s %s skipped: %s", noun, doc.get("id"), exc.errors()[:1])
    return found


def view(document: BaseModel, version: int | None = None) -> dict[str, Any]:
    shown = document.model_dump(mode="json")
    if version is not None:
        shown["version"] = version
    return shown


def require(
    repository: VersionedDocuments, model: type[M], tenant_id: str, doc_id: str, code: str
) -> tuple[M, int]:
    """The document and its version, or 404 `code` (another tenant's is not found either)."""
    found = repository.get(tenant_id, doc_id)
    if found is None:
        raise NotFound(f"{repository.noun} {doc_id} not found", code=code)
    doc, version = found
    return model.model_validate(doc), version
