"""The dashboard's files, served by a function from its own package (ADR 0027).

The built single-page app (``web/dist``, Vite ``base: '/app/'``) is copied into the dashboard
function's folder at build time; :class:`StaticSite` answers the HTTP API's events for it:

* ``GET /`` redirects (302) to ``/app/``; ``GET /app`` and ``GET /app/`` are ``index.html``;
* ``GET /portal`` and ``GET /portal/<anything>`` (the customer portal, ADR 0037: a customer mode of
  the same app) are ``index.html`` too; its files are the app's, under ``/app/assets/``, so a path
  there that looks like a file is a 404;
* ``GET /app/<file>`` is that file, with its media type, gzip when the client accepts it, an ETag
  (``If-None-Match`` gives 304), ``Cache-Control: public, max-age=31536000, immutable`` for the
  content-hashed files under ``assets/`` and ``no-cache`` for everything else (``index.html`` names
  the current hashes, so it must be revalidated);
* a path that is no file: under ``assets/`` or with a static file's extension, 404 (JSON, in the
  API's error shape); anything else is a client-side route, answered with ``index.html``;
* only files found when the site was loaded can be served: a request path is a key into that
  index, never joined to a directory, and a path with ``..``/``.``/empty segments, a backslash or
  a NUL is refused before the lookup, so no request reaches outside the bundle;
* every answer carries the security headers (a strict Content-Security-Policy, nosniff, no
  referrer, no framing).

Works with payload format 2.0 (``rawPath``, ``requestContext.http.method``) and 1.0 events. Uses
only the standard library: the function needs no AWS access.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

log = logging.getLogger("oms.static_site")

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MAX_FILE_BYTES",
    "SECURITY_HEADERS",
    "StaticSite",
]

PREFIX = "/app"
# Client-side routes of the same single-page app outside its prefix (the customer portal, ADR 0037).
APP_ROUTE_PREFIXES = ("/portal",)
ASSETS_DIR = "assets"  # Vite's assetsDir: every file in it has a content hash in its name
INDEX = "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A Lambda response is at most 6 MB, and base64 makes a body 4/3 larger: larger files are not served.
MAX_FILE_BYTES = 4 * 1024 * 1024
MIN_GZIP_BYTES = 256

# Everything from this origin only; no inline script, no eval, no framing, no plugins, no <base>.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",  # a tenant's logo (branding logo_url) is an https URL
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}

# Media types by extension; files of other types are served as application/octet-stream.
CONTENT_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".geojson": "application/geo+json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".pbf": "application/x-protobuf",
}
# Already compressed formats are sent as they are.
INCOMPRESSIBLE = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2"})


@dataclass(frozen=True)
class _File:
    path: Path
    content_type: str
    cache_control: str
    compressible: bool


@dataclass(frozen=True)
class _Body:
    data: bytes
    etag: str


class StaticSite:
    """The files under ``root`` (the built bundle), answering API Gateway proxy events."""

    def __init__(self, root: str | os.PathLike[str], *, prefix: str = PREFIX) -> None:
        self.root = Path(root)
        self.prefix = "/" + prefix.strip("/")
        self._stamp = _stamp(self.root / INDEX)
        self.files = _index(self.root)

    @property
    def built(self) -> bool:
        return INDEX in self.files

    def _refresh(self) -> None:
        """Index again when the bundle was rebuilt (a new index.html) since it was indexed."""
        stamp = _stamp(self.root / INDEX)
        if stamp != self._stamp:
            self._stamp = stamp
            self.files = _index(self.root)

    # ----------------------------------------------------------------- requests
    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        method, path, headers = _request(event)
        self._refresh()
        if method not in ("GET", "HEAD"):
            return _error(405, "method_not_allowed", f"{method} is not allowed here", {"Allow": "GET, HEAD"})
        if path in ("", "/"):
            return _response(302, headers={"Location": self.prefix + "/", "Cache-Control": REVALIDATE})
        if path == self.prefix:
            return self._serve(INDEX, headers, method)
        for other in APP_ROUTE_PREFIXES:
            if path == other or path.startswith(other + "/"):
                rest = path[len(other) + 1 :]
                if rest and (not _safe(rest.rstrip("/")) or _is_file_request(rest)):
                    return _error(404, "not_found", "No such file")
                return self._serve(INDEX, headers, method)  # the portal's routes: the app decides
        if not path.startswith(self.prefix + "/"):
            return _error(404, "not_found", "No such file")
        relative = path[len(self.prefix) + 1 :]
        if not relative:
            return self._serve(INDEX, headers, method)
        if not _safe(relative):
            return _error(404, "not_found", "No such file")
        if relative in self.files:
            return self._serve(relative, headers, method)
        if _is_file_request(relative):
            return _error(404, "not_found", "No such file")
        return self._serve(INDEX, headers, method)  # a client-side route: the app decides

    def _serve(self, name: str, request_headers: Mapping[str, str], method: str) -> dict[str, Any]:
        entry = self.files.get(name)
        if entry is None:  # only index.html can be missing here: the bundle was never built
            return _error(
                503,
                "dashboard_not_built",
                "The dashboard has not been built: run `make web` (needs Node.js and npm)",
            )
        gzipped = entry.compressible and _accepts_gzip(request_headers.get("accept-encoding", ""))
        try:
            version = _stamp(entry.path)
            body = _gzip_body(entry.path, version) if gzipped else None
            if body is None:
                gzipped = False
                body = _plain_body(entry.path, version)
        except OSError:  # removed since it was indexed (a rebuild in progress)
            return _error(404, "not_found", "No such file")
        headers = {
            "Content-Type": entry.content_type,
            "Cache-Control": entry.cache_control,
            "ETag": body.etag,
        }
        if entry.compressible:
            headers["Vary"] = "Accept-Encoding"
        if _matches(request_headers.get("if-none-match", ""), body.etag):
            return _response(304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body.data))
        return _response(200, body=b"" if method == "HEAD" else body.data, headers=headers)


# --------------------------------------------------------------------------- the bundle


def _index(root: Path) -> dict[str, _File]:
    """Every regular file under ``root`` by its posix relative path; symbolic links and hidden
    files (the build's own stamps) are left out."""
    files: dict[str, _File] = {}
    if not root.is_dir():
        log.warning("no dashboard bundle at %s", root)
        return files
    for directory, subdirs, names in os.walk(root, followlinks=False):
        here = Path(directory)
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            if path.stat().st_size > MAX_FILE_BYTES:
                log.warning("%s is larger than %d bytes: not served", relative, MAX_FILE_BYTES)
                continue
            suffix = PurePosixPath(relative).suffix.lower()
            hashed = relative.startswith(ASSETS_DIR + "/")
            files[relative] = _File(
                path=path,
                content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
                cache_control=IMMUTABLE if hashed else REVALIDATE,
                compressible=suffix in CONTENT_TYPES and suffix not in INCOMPRESSIBLE,
            )
    return files


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=256)
def _plain_body(path: Path, version: tuple[int, int] | None) -> _Body:
    data = path.read_bytes()
    return _Body(data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')


@functools.lru_cache(maxsize=256)
def _gzip_body(path: Path, version: tuple[int, int] | None) -> _Body | None:
    """The gzip encoding of a file (mtime 0: the same bytes every time), or None if not smaller."""
    plain = _plain_body(path, version)
    if len(plain.data) < MIN_GZIP_BYTES:
        return None
    data = gzip.compress(plain.data, compresslevel=9, mtime=0)
    if len(data) >= len(plain.data):
        return None
    return _Body(data, plain.etag[:-1] + '-gzip"')


# --------------------------------------------------------------------------- request parsing


def _request(event: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """(method, decoded path, lower-case headers) of a payload 2.0 or 1.0 event."""
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0" or "rawPath" in event:
        method = str((context.get("http") or {}).get("method") or "GET")
        raw = str(event.get("rawPath") or "/")
    else:
        method = str(event.get("httpMethod") or context.get("httpMethod") or "GET")
        raw = str(event.get("path") or "/")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    return method.upper(), unquote(raw), headers


def _safe(relative: str) -> bool:
    """A relative path made of plain names: no empty, ``.`` or ``..`` segment, no backslash or NUL."""
    if "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in relative.split("/"))


def _is_file_request(relative: str) -> bool:
    """A missing hashed asset or static file is a 404, never the app's page."""
    return relative.startswith(ASSETS_DIR + "/") or PurePosixPath(relative).suffix.lower() in CONTENT_TYPES


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = params.strip()
        if quality.lower().startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


# --------------------------------------------------------------------------- responses


def _response(status: int, *, body: bytes = b"", headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **(headers or {})},
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    extra = {"Content-Type": "application/json", "Cache-Control": REVALIDATE, **(headers or {})}
    return _response(status, body=body, headers=extra)
