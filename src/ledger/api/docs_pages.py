"""The API docs pages, offline: Swagger UI from the `swagger-ui-py` package, served by the ledger.

Litestar's render plugins load their scripts from a CDN, so on a machine without internet
`/schema` was a blank page. Swagger UI's own files ship in the `swagger-ui-py` wheel
(`swagger_ui/static/`); the ledger serves the few the page needs at `/schema/static/<file>` (an
allow-list, not the package's whole directory) and points the page at them, favicon included.
Scalar has no package to serve it from, so it is gone: `/schema` and `/schema/swagger` are both
Swagger UI, and `/schema/openapi.json` is unchanged.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.response import File

ASSETS = "/schema/static"
SWAGGER_UI = Path(str(files("swagger_ui") / "static"))
"""The wheel's copy of swagger-ui-dist (installed through the package registry, like any
dependency; nothing is copied into this repository)."""

SERVED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
CACHE = "public, max-age=86400"


def swagger_ui() -> SwaggerRenderPlugin:
    """The docs page (the default, so `/schema` too), with every asset from this server."""
    return SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f'<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">',
    )


@get(f"{ASSETS}/{{name:str}}", include_in_schema=False, sync_to_thread=False)
def docs_asset(name: FromPath[str]) -> File:
    """One of Swagger UI's files, from the installed package."""
    if name not in SERVED:
        raise NotFoundException(f"no docs asset {name!r}")
    return File(
        SWAGGER_UI / name,
        media_type=SERVED[name],
        content_disposition_type="inline",
        headers={"Cache-Control": CACHE},
    )
