"""The API docs pages work with no internet: every script, stylesheet and icon they load is served
by the ledger itself (Swagger UI from the swagger-ui-py package), none from a CDN."""

from __future__ import annotations

import re

import pytest

DOCS_PAGES = ["/schema", "/schema/swagger"]
ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", DOCS_PAGES)
def test_every_asset_of_a_docs_page_is_served_by_the_ledger(client, page) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle(" in html

    assets = ASSET.findall(html)
    assert len(assets) >= 4, assets  # the css, the bundle, the preset, the icon
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        served = client.get(url)
        assert served.status_code == 200, url
        expected = CONTENT_TYPES[url[url.rindex(".") :]]
        assert served.headers["content-type"].startswith(expected), (url, served.headers)
        assert len(served.content) > 500, url
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"https?://[^\s\"'<>]*\.(?:js|css|png|ico|svg|woff2?)\b", html, re.I)


def test_the_docs_assets_are_an_allow_list_not_the_package_directory(client) -> None:
    assert client.get("/schema/static/swagger-ui-bundle.js").status_code == 200
    for name in ["swagger-editor-bundle.js", "LICENSE", "..%2Fstatic%2Fswagger-ui.css"]:
        assert client.get(f"/schema/static/{name}").status_code == 404, name


def test_the_openapi_document_is_still_served_as_json(client) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Case Ledger"
