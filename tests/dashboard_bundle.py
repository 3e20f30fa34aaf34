"""A small stand-in for the built dashboard (what `vite build` writes to web/dist), for the tests of
the serving function; the real bundle is served the same way."""

from __future__ import annotations

from pathlib import Path

INDEX_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cirrus OMS</title>
<script type="module" crossorigin src="/app/assets/index-3f2a1b9c.js"></script>
<link rel="stylesheet" crossorigin href="/app/assets/index-7d8e9f01.css">
</head><body><div id="root"></div></body></html>
"""
SCRIPT = "export const answer = 42;\n" + "console.log('cirrus dashboard');\n" * 200
STYLE = "body { margin: 0; font-family: sans-serif; }\n" * 50
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(300)


def write_bundle(root: Path) -> Path:
    """Write index.html, a hashed script and stylesheet, an image and a favicon under ``root``."""
    (root / "assets").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(INDEX_HTML, encoding="utf-8")
    (root / "assets" / "index-3f2a1b9c.js").write_text(SCRIPT, encoding="utf-8")
    (root / "assets" / "index-7d8e9f01.css").write_text(STYLE, encoding="utf-8")
    (root / "assets" / "logo-0a1b2c3d.png").write_bytes(PNG)
    (root / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    return root
