"""The app's dependencies form one chain (ledger -> actor -> tenancy -> waiter) for every route.

Litestar resolves the providers of one level of a route's dependency graph together, in an anyio
task group; one provider a level is simply awaited. The group cost about 55 µs of an API worker's
CPU per request (docs/PROFILE.md, "Framework costs"), so a provider added beside another, not
after it, brings it back. This test names the route and the level."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient


def levels(dependencies: dict[str, Any]) -> list[set[str]]:
    """The route's providers by level: a provider comes after every provider it takes."""
    after = {
        name: {p for p in provide.parsed_fn_signature.parameters if p in dependencies}
        for name, provide in dependencies.items()
    }
    found: list[set[str]] = []
    while after:
        level = {name for name, needs in after.items() if not needs}
        assert level, f"a cycle among {sorted(after)}"
        found.append(level)
        after = {name: needs - level for name, needs in after.items() if name not in level}
    return found


def test_every_route_resolves_its_dependencies_one_at_a_time(client: TestClient[Any]) -> None:
    app: Litestar = client.app
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    checked = 0
    for route in routes:
        for handler in route.route_handlers:
            for level in levels(handler.resolve_dependencies()):
                assert len(level) == 1, f"{route.path}: {sorted(level)} resolve side by side"
            checked += 1

    assert checked > 40  # every handler, the views' (all four providers) among them


def test_the_chain_is_ledger_actor_tenancy_waiter(client: TestClient[Any]) -> None:
    app: Litestar = client.app
    [search] = [r for r in app.routes if r.path == "/cases" and isinstance(r, HTTPRoute)]
    [get] = [h for h in search.route_handlers if "GET" in h.http_methods]

    assert levels(get.resolve_dependencies()) == [{"ledger"}, {"actor"}, {"tenancy"}, {"waiter"}]
