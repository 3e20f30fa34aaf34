"""API entry point: the Chalice app object is the Lambda handler (template: Handler app.app)."""

from oms.runtime import init

init()

from oms.api.app import app  # noqa: E402

__all__ = ["app"]
