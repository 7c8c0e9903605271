"""`GET /cases/{case_id}/personal-data?purpose=`: a case's raw identifiers, decrypted from the
personal-data vault (`ledger.store.vault`) for the people who serve the applicant.

Who may: the front line (clerk, window lead, department head), the centre director and the duty
officer: they call the applicant back, fill another system's form, or check an identity at the
window. Not the dashboard (projections only), not the auditor (an auditor verifies the log, which
needs no raw value; an investigation that does goes through the DPO), not the hotline operator
(12345 works from its own ticket), not the admin or the timers. `purpose` is required: every
request that passes the token is recorded in the vault's access log (who, roles, unit, case,
subject, kinds disclosed, purpose, request id, outcome) in the transaction that reads the values,
a refusal by role included, and logged as `pi.read`. An erased subject answers 410.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger.api.access_log import note
from ledger.api.contract import PROBLEMS
from ledger.api.errors import BadRequest
from ledger.api.schemas.fields import PLAIN
from ledger.api.schemas.personal_data import PersonalDataResponse
from ledger.application.service import Ledger
from ledger.domain.errors import NotPermitted
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, Role
from ledger.store.vault import Vault, subject_of
from ledger.store.vault_records import Reader

READ_PERSONAL_DATA_ROLES = frozenset(
    {
        Role.CLERK,
        Role.WINDOW_LEAD,
        Role.DEPARTMENT_HEAD,
        Role.CENTRE_DIRECTOR,
        Role.DUTY_OFFICER,
    }
)
"""Who may read raw identifiers: the people who serve the applicant (the module says why)."""

Purpose = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=500,
        pattern=PLAIN,
        description="Why the raw values are needed (e.g. 回电核实 / call the applicant back); "
        "recorded with the read",
    ),
]


@get(
    "/cases/{case_id:uuid}/personal-data",
    sync_to_thread=True,
    tags=["cases"],
    summary="The applicant's raw identifiers (read is recorded)",
    description="Decrypts the case's raw 身份证号, phone, bank card and name from the "
    "personal-data vault. `purpose` is required and recorded, with the reader, in the vault's "
    "access log (an auditor lists it with `ledger pi reads`). 404 `personal_data.none` when the "
    "vault holds no raw values for the case; 410 `personal_data.erased` once the data subject "
    "was erased (`ledger pi erase`): the case itself, with its masked values, still reads.",
    opt={PROBLEMS: (410,)},
)
def personal_data(
    request: Request[Any, Any, Any],
    case_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    purpose: Purpose,
) -> Response[PersonalDataResponse]:
    if not purpose.strip():
        raise BadRequest("purpose", "purpose must say why the raw values are needed")
    note(request, case_id=str(case_id))
    vault = Vault(ledger.store.datastore.get_connection, ledger.settings.vault_key)
    reader = Reader(
        actor_id=actor.id,
        roles=tuple(str(r) for r in actor.roles),
        unit=actor.unit,
        purpose=purpose,
        request_id=request.scope["state"].get("request_id"),
    )
    if not READ_PERSONAL_DATA_ROLES.intersection(actor.roles):
        vault.refuse(case_id, reader)
        allowed = tuple(sorted(str(r) for r in READ_PERSONAL_DATA_ROLES))
        raise NotPermitted("read raw personal data", reader.roles, allowed)
    registered = ledger.get_case(case_id, actor, version=1, scope=tenancy)
    disclosure = vault.disclose(case_id, subject_of(registered.state.applicant), reader)
    values = disclosure.values
    body = PersonalDataResponse(
        case_id=case_id,
        subject=disclosure.subject,
        name=values.get("name"),
        id_number=values.get("id_number"),
        phone=values.get("phone"),
        bank_card=values.get("bank_card"),
        other_id_number=values.get("other_id_number"),
        recorded_at=disclosure.recorded_at,
        read_id=disclosure.read_id,
        read_at=disclosure.read_at,
        purpose=purpose,
    )
    return Response(body, headers={"Cache-Control": "no-store"})
