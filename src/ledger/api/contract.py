"""The honest contract: what the OpenAPI document says each operation may answer, and which query
parameters each takes.

`Contract` sees every route as it is registered. For each operation it records the query
parameters the handler declares (`opt["query_parameters"]`, which `edge.check_request` holds
requests to: an unknown one is a 400) and lists every error status the operation can answer, each
as `application/problem+json` with the one shared `Problem` schema. The statuses follow from what
the handler takes, the same way the handlers and `errors.py` choose them:

| status | when | the operation |
|---|---|---|
| 400 | a field, parameter, header or body it cannot accept | every one (unknown parameters) |
| 401, 403 | no valid token; a role that may not | takes `actor` (or says so in `opt["problems"]`) |
| 404 | no such case, exception, leaf, tile or checkpoint | has path parameters (or `opt`) |
| 409, 422 | concurrent write or Idempotency-Key reuse; a rule refused it | takes a body |
| 410 | the data subject's raw personal data was erased | says so in `opt["problems"]` |
| 412 | `If-Match` is stale | takes `If-Match` |
| 413, 415 | body over `max_body_bytes`; not `application/json` | takes a body |
| 503 | the view or log not caught up; the database not answering | uses the ledger |

`also_answering(...)` is the `operation_class` of an operation that negotiates its media type by
`Accept` (a checkpoint as a signed note or JSON; indicators as JSON or CSV): its success response
lists each.

`CentreSchema` lists the configured centres (`ledger.rules.time_limits.Policies.centres`) as the
enum of `centre` in `POST /cases`, so clients and the schema fuzzer see which ones exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.base import ReceiveRoutePlugin
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from ledger.api.errors import PROBLEM_JSON
from ledger.api.reads import PRIMARY, REPLICA
from ledger.api.schemas.fields import ConfiguredCentre
from ledger.api.schemas.problems import Problem
from ledger.config.settings import Settings
from ledger.rules.time_limits import Policies

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.routes import BaseRoute

QUERY_PARAMETERS = "query_parameters"
"""`opt` key: the names of the query parameters a handler declares (aliases, e.g. `from`)."""
PROBLEMS = "problems"
"""`opt` key a handler may set: error statuses it answers beyond those its signature implies."""
ROUTED = "routed_read"
"""`opt` key of a read that `reads.read_routed` may send to a replica but that takes no
`min_position` (those that take it are routed reads): it documents `Ledger-Served-By`."""

DESCRIPTIONS = {
    400: "Malformed: a field, query parameter, header or body the API cannot accept "
    "(`field` names it)",
    401: "No valid bearer token (missing, forged, expired, revoked, or lacking its centres)",
    403: "The token's roles may not do this (`rule`: auth.role_not_permitted), or the request "
    "names a centre outside the token's (`rule`: auth.centre_not_in_scope)",
    404: "No such case, exception, leaf, tile or checkpoint",
    409: "A concurrent write won, or the Idempotency-Key was used with another body "
    "(`current_version`)",
    412: "If-Match does not match the case's version (`current_version`)",
    413: "The body is larger than the server's limit",
    415: "The body is not `application/json` (UTF-8)",
    410: "Gone for good: the data subject's raw personal data was erased (`rule`: "
    "personal_data.erased, `erased_at`)",
    422: "A rule refused it (`rule` names it)",
    503: "Not caught up, or the database does not answer: retry after `Retry-After`",
}


SERVED_BY = ResponseHeader(
    name="Ledger-Served-By",
    value=PRIMARY,
    documentation_only=True,  # set per request by `reads.served_by`, when the request read
    description=f"Which server answered the reads: `{PRIMARY}`, or `{REPLICA}` (a hot standby "
    "that had replayed past the position the request asked for, `ledger serve --replica-url`)",
)


def problem_statuses(route: HTTPRoute, handler: Any) -> list[int]:
    """The error statuses `handler` (on `route`) can answer; see the module's table."""
    takes = set(handler.parsed_fn_signature.parameters)
    statuses = {400, *handler.opt.get(PROBLEMS, ())}
    if "actor" in takes:
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    if "data" in takes:
        statuses |= {409, 413, 415, 422}
    if "if_match" in takes:
        statuses.add(412)
    if takes & {"ledger", "waiter"}:
        statuses.add(503)
    return sorted(statuses)


def problem_responses(statuses: Iterable[int]) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=DESCRIPTIONS[status],
            generate_examples=False,
        )
        for status in statuses
    }


def also_answering(*media_types: str) -> type[Operation]:
    """An `operation_class` whose success responses also list `media_types` (text, as strings)."""

    @dataclass
    class Negotiated(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
                    response.content = {**(response.content or {})}
                    for media_type in media_types:
                        response.content.setdefault(media_type, text)

    return Negotiated


class Contract(ReceiveRoutePlugin):
    """Records each operation's query parameters and lists its problem responses."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs_model in route.route_handler_map.values():
            if not handler.resolve_include_in_schema():  # the docs pages: not the API
                continue
            handler.opt[QUERY_PARAMETERS] = frozenset(
                p.field_alias for p in kwargs_model.expected_query_params
            )
            if "query" in kwargs_model.expected_reserved_kwargs:  # takes any query parameter
                handler.opt.pop(QUERY_PARAMETERS)
            handler.responses = {
                **problem_responses(problem_statuses(route, handler)),
                **(handler.responses or {}),
            }
            if handler.opt.get(ROUTED) or "min_position" in handler.parsed_fn_signature.parameters:
                handler.response_headers = [*(handler.response_headers or ()), SERVED_BY]


class CentreSchema(OpenAPISchemaPlugin):
    """`centre` of a registration: a string, one of the configured centres."""

    def __init__(self, centres: Iterable[str]) -> None:
        self.centres = sorted(centres)

    @classmethod
    def configured(cls, settings: Settings) -> CentreSchema:
        """The centres `settings.policy_dir`'s policy files list."""
        return cls(Policies(settings.policy_dir).centres)

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return any(isinstance(m, ConfiguredCentre) for m in field_definition.metadata)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            enum=list(self.centres),
            description="A configured centre: one a policy file lists "
            "(policies/time-limits/*.toml `centres`); any other is 422 `centre.unknown`",
        )
