"""The embedded local cloud: ``template.yaml`` served offline from one Python process.

Entry points (see ``README.md`` next to this file):

* ``python -m infra.local run`` - what ``make run`` starts (:mod:`infra.local.__main__`);
* :class:`infra.local.cloud.LocalCloud` - the same, from Python (end-to-end tests);
* :func:`infra.local.testing.deployed_template` - the template inside ``moto.mock_aws`` for
  component tests (no server, no sockets);
* ``python -m infra.local.chaos_scenario`` - what ``make chaos`` runs: orders under injected
  faults (:mod:`infra.local.chaos`), then checks.

Attributes are imported lazily so ``import infra.local`` stays cheap (moto takes seconds to import).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalCloud", "deployed_template"]


def __getattr__(name: str) -> Any:
    if name == "LocalCloud":
        from infra.local.cloud import LocalCloud

        return LocalCloud
    if name == "deployed_template":
        from infra.local.testing import deployed_template

        return deployed_template
    raise AttributeError(name)
