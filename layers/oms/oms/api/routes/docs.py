"""The API's own description: the OpenAPI document and a Swagger UI page to browse and try it.

Both are public. The document is built on the first request, not at import (the API function's
cold start does not pay for it); the Swagger UI files come from the `swagger-ui-bundle-v2` package
in the layer and are served from here, so the page loads nothing from another origin (ADR 0019).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from chalice import Response

from oms.api.http import current_request, route
from oms.api.instance import app
from oms.api.openapi import produces
from oms.domain.errors import NotFound

# Only these files are served; each with its media type.
ASSETS: dict[str, str] = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
}
# The page runs only same-origin scripts (no inline script); Swagger UI sets inline styles.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
# Loaded after swagger-ui-bundle.js; finds /openapi.json relative to itself (works under any prefix).
DOCS_JS = """\
(function () {
  "use strict";
  var here = document.currentScript.src;
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: new URL("../../openapi.json", here).href,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      defaultModelsExpandDepth: 0,
      validatorUrl: null,
      tryItOutEnabled: false
    });
  });
})();
"""
PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cirrus OMS API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}swagger-ui.css?v={version}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js?v={version}"></script>
<script src="{assets}docs.js?v={version}"></script>
</body>
</html>
"""


@functools.cache
def _document() -> str:
    from oms.api.openapi import document_json

    return document_json(app)


def _swagger_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path  # the vendored Swagger UI dist folder

    return Path(str(swagger_ui_path))


@functools.cache
def _asset(name: str) -> str:
    if name == "docs.js":
        return DOCS_JS
    return (_swagger_dir() / name).read_text(encoding="utf-8")


@functools.cache
def _swagger_version() -> str:
    return _swagger_dir().name.rsplit("-", 1)[-1]


@route(app, "/openapi.json", ["GET"], role=None)
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return Response(
        body=_document(),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-cache"},
    )


@route(app, "/docs", ["GET"], role=None)
@produces("text/html")
def docs_page() -> Response:
    """Swagger UI over the OpenAPI document."""
    # relative links, so the page works behind any path prefix; "/docs/" is one folder deeper
    path = str(current_request(app).context.get("path") or "/docs")
    assets = "assets/" if path.endswith("/") else "docs/assets/"
    return Response(
        body=PAGE.format(assets=assets, version=_swagger_version()),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": PAGE_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


@route(app, "/docs/assets/{name}", ["GET"], role=None)
@produces("text/css", "text/javascript")
def docs_asset(name: str) -> Any:
    """A file of the docs page (Swagger UI's script and stylesheet)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no docs asset {name!r}")
    return Response(
        body=_asset(name),
        status_code=200,
        headers={
            "Content-Type": media_type,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=86400",
        },
    )
