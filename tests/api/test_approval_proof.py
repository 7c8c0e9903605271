"""GET /exceptions/{id}/proof: the 低保 story of 清源 (seed 001) through the API, its proof, and
`ledger verify` on the exported proof (intact, tampered, with a forged verdict)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from ledger.log.cosignature import generate_cosigner_key
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.log.proofs import verify_approval_proof
from ledger.log.signed_note import Verifier
from ledger.projections.projector import Projector
from ledger.projections.views.exceptions import ExceptionsProjection
from tests.api.support import append, assert_problem, register
from tests.e2e.test_cli import ledger_cmd

ATTENDEES = [
    {"id": "qy-mz-head", "role": "department_head", "unit": "民政"},
    {"id": "qy-sf-head", "role": "department_head", "unit": "司法"},
]


@pytest.fixture(scope="module")
def notary(settings: Any, database: Any) -> Iterator[Notary]:
    signer = load_signer(settings.notary_key_path, settings.origin)
    sealer = Notary(database.notary_conninfo, signer, settings.origin)
    yield sealer
    sealer.close()


@pytest.fixture(scope="module")
def verifier(notary: Notary) -> Verifier:
    return Verifier(notary.signer.verifier_key)


@pytest.fixture
def staff(token_for: Any) -> dict[str, dict[str, str]]:
    return {
        "clerk": token_for("qy-mz-clerk", "clerk", unit="民政"),
        "lead": token_for("qy-lead", "window_lead", unit="民政"),
        "head": token_for("qy-mz-head", "department_head", unit="民政"),
        "director": token_for("qy-director", "centre_director", unit="中心"),
        "auditor": token_for("qy-sj-head", "department_head", unit="审计"),
        "reader": token_for("auditor-1", "auditor"),
        "dashboard": token_for("board-1", "dashboard"),
    }


def dibao(client: Any, staff: dict[str, dict[str, str]], reject_at: int | None = None) -> tuple:
    case_id = register(
        client,
        staff["clerk"],
        centre="qingyuan",
        department="民政",
        window="综合窗口",
        matter={"code": "MZ-DIBAO", "name": "最低生活保障申请"},
    )
    exception_id = append(
        client,
        case_id,
        staff["clerk"],
        {
            "type": "ExceptionRequested",
            "kind": "special_handling",
            "rule_waived": "离婚协议书或法院离婚判决书(调解书)",
            "basis": "各部门负责人会商、层层把关",
            "justification": "前夫下落不明，离婚协议无法取得",
            "waived_items": ["离婚协议书或法院离婚判决书(调解书)"],
            "compensating_controls": ["入户核查", "村委会证明"],
        },
    )["exception_id"]
    layers = [
        ("lead", {}),
        ("head", {"attendees": ATTENDEES, "minutes_ref": "清源会纪〔2026〕3号"}),
        ("director", {}),
    ]
    for layer, (who, extra) in enumerate(layers, start=1):
        rejected = layer == reject_at
        append(
            client,
            case_id,
            staff[who],
            {
                "type": "ExceptionLayerDecided",
                "exception_id": exception_id,
                "layer": layer,
                "decision": "reject" if rejected else "approve",
                "opinion": "不同意" if rejected else "同意，按特事特办受理",
                **extra,
            },
        )
        if rejected:
            return case_id, exception_id
    append(client, case_id, staff["clerk"], {"type": "Accepted", "exception_id": exception_id})
    append(
        client,
        case_id,
        staff["auditor"],
        {
            "type": "ExceptionPostAudited",
            "exception_id": exception_id,
            "finding": "compliant",
            "note": "入户核查属实",
        },
    )
    return case_id, exception_id


def proof_of(client: Any, staff: Any, case_id: str, exception_id: str) -> Any:
    return client.get(
        f"/exceptions/{exception_id}/proof",
        params={"case_id": case_id},
        headers=staff["reader"],
    )


def test_the_dibao_exception_proof_passes_every_check_and_verifies_offline(
    client, staff, notary, verifier, tmp_path: Path
) -> None:
    case_id, exception_id = dibao(client, staff)
    notary.catch_up()

    response = proof_of(client, staff, case_id, exception_id)

    assert response.status_code == 200, response.text
    proof = response.json()
    assert proof["format"] == "case-ledger-approval-proof/2" and proof["passed"] is True
    assert all(c["passed"] for c in proof["checks"]), proof["checks"]
    names = {c["name"] for c in proof["checks"]}
    assert {"layer_order", "roles", "distinct_approvers", "no_self_approval"} <= names
    assert {"decided_before_use", "commitment_kept", "post_audit"} <= names
    exception = proof["exception"]
    assert exception["status"] == "granted" and exception["policy"]["version"] == "2026.1"
    assert [d["approver"] for d in exception["decisions"]] == [
        "qy-lead",
        "qy-mz-head",
        "qy-director",
    ]
    assert exception["decisions"][1]["minutes_ref"] == "清源会纪〔2026〕3号"
    assert [u["type"] for u in exception["uses"]] == ["Accepted"]
    assert exception["post_audit"] == "mandatory" and len(exception["audits"]) == 1
    assert proof["evidence"]["versions"] == list(range(2, 9))  # request .. post-audit
    assert len(proof["evidence"]["bundle"]["events"]) == 8

    exported = tmp_path / "proof.json"
    exported.write_bytes(response.content)
    key = tmp_path / "notary.pub"
    key.write_text(verifier_key(notary) + "\n")
    ok = ledger_cmd("verify", str(exported), "--public-key", str(key), env={})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("OK") and "check layer_order: passed" in ok.stdout
    # Pinning a witness that did not cosign the proof's checkpoint fails it, as for a bundle.
    stranger = generate_cosigner_key("witness.example/not-asked")[1]
    unwitnessed = ledger_cmd(
        "verify", str(exported), "--public-key", str(key), "--witness-key", stranger, env={}
    )
    assert unwitnessed.returncode == 1, unwitnessed.stdout + unwitnessed.stderr
    assert "cosigned by 0 of the 1 pinned witnesses, fewer than 1" in unwitnessed.stdout


def test_a_tampered_event_or_a_forged_verdict_is_reported(
    client, staff, notary, verifier, tmp_path: Path
) -> None:
    case_id, exception_id = dibao(client, staff)
    notary.catch_up()
    proof = proof_of(client, staff, case_id, exception_id).json()

    tampered = json.loads(json.dumps(proof))
    event = tampered["evidence"]["bundle"]["events"][3]  # version 4: layer 2's joint decision
    payload = bytearray(base64.b64decode(event["payload"]))
    payload[payload.index("清源会纪".encode())] ^= 0x01
    event["payload"] = base64.b64encode(bytes(payload)).decode()
    forged = json.loads(json.dumps(proof))
    roles = next(c for c in forged["checks"] if c["name"] == "roles")
    roles["passed"] = False

    altered = verify_approval_proof(json.dumps(tampered).encode(), verifier)
    lied = verify_approval_proof(json.dumps(forged).encode(), verifier)

    assert not altered.ok
    assert any(f.startswith("version 4 (leaf") and "sealed leaf" in f for f in altered.failures)
    assert not lied.ok and lied.checks and all(c.passed for c in lied.checks)
    assert any(f.startswith("check roles: the proof claims passed=False") for f in lied.failures)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    cli = ledger_cmd("verify", str(path), "--public-key", verifier_key(notary), env={})
    assert cli.returncode == 1 and "FAILED: check roles" in cli.stdout


def test_a_refused_exception_has_a_proof_with_its_status(client, staff, notary, verifier) -> None:
    case_id, exception_id = dibao(client, staff, reject_at=2)
    notary.catch_up()

    response = proof_of(client, staff, case_id, exception_id)

    assert response.status_code == 200, response.text
    proof = response.json()
    assert proof["exception"]["status"] == "refused"
    assert proof["exception"]["refused_at_layer"] == 2 and proof["passed"] is True
    assert verify_approval_proof(response.content, verifier).ok


def test_without_case_id_the_case_is_found_through_the_exceptions_view(
    client, staff, notary, database
) -> None:
    case_id, exception_id = dibao(client, staff)
    notary.catch_up()
    Projector(database.app_conninfo, ExceptionsProjection()).catch_up()

    response = client.get(f"/exceptions/{exception_id}/proof", headers=staff["reader"])

    assert response.status_code == 200, response.text
    assert response.json()["case_id"] == case_id and response.json()["passed"] is True


def test_unknown_exceptions_are_404_and_dashboards_are_refused(
    client, staff, notary, verifier
) -> None:
    case_id, _ = dibao(client, staff, reject_at=1)
    notary.catch_up()
    unknown = uuid4()

    assert_problem(proof_of(client, staff, case_id, str(unknown)), 404, slug="not-found")
    assert_problem(
        client.get(f"/exceptions/{unknown}/proof", headers=staff["reader"]), 404, slug="not-found"
    )
    assert_problem(
        client.get(
            f"/exceptions/{unknown}/proof",
            params={"case_id": case_id},
            headers=staff["dashboard"],
        ),
        403,
    )


def test_a_proof_waits_for_the_notary(client, staff, notary) -> None:
    notary.catch_up()
    case_id, exception_id = dibao(client, staff, reject_at=3)

    assert_problem(proof_of(client, staff, case_id, exception_id), 503, slug="not-sealed-yet")


def ratified(client: Any, staff: Any, token_for: Any) -> tuple[str, str]:
    """李女士's 破例 (seed 000) asked after the fact on the closed case, its first layer decided by
    a deputy standing in for the absent 窗口负责人 (AB岗), then ratified."""
    clerk = token_for("sw-clerk-sun", "clerk", unit="税务")
    deputy = token_for("sw-deputy", "window_lead", unit="税务")
    case_id = register(client, clerk, department="税务", occurred_at="2026-02-10T10:50:00+08:00")
    append(client, case_id, clerk, {"type": "Accepted", "occurred_at": "2026-02-10T15:05:00+08:00"})
    append(
        client,
        case_id,
        clerk,
        {"type": "Completed", "outcome": "granted", "occurred_at": "2026-02-11T09:30:00+08:00"},
    )
    exception_id = append(
        client,
        case_id,
        clerk,
        {
            "type": "ExceptionRatificationRequested",
            "kind": "special_handling",
            "rule_waived": "绑卡缴费须本人到窗口当面核对号码",
            "basis": "破例, 事前未经审批",
            "justification": "返程车票已买好",
            "executed_by": "sw-clerk-sun",
            "executed_at": "2026-02-10T15:05:00+08:00",
            "execution": "电话报号, 数据推送后代为绑卡",
            "occurred_at": "2026-02-11T09:35:00+08:00",
        },
    )["exception_id"]
    for layer, who, extra in (
        (1, deputy, {"acting_for": "sw-lead"}),
        (2, staff["head"], {}),
        (3, staff["director"], {}),
    ):
        append(
            client,
            case_id,
            who,
            {
                "type": "ExceptionLayerDecided",
                "exception_id": exception_id,
                "layer": layer,
                "decision": "approve",
                "opinion": "情况属实, 同意追认",
                **extra,
            },
        )
    return case_id, exception_id


def test_a_ratification_after_the_fact_has_a_proof_that_says_so(
    client, staff, notary, verifier, token_for
) -> None:
    """The ratification's proof: every check passes, and they say both the after-the-fact request
    and the deputy."""
    case_id, exception_id = ratified(client, staff, token_for)
    notary.catch_up()

    response = proof_of(client, staff, case_id, exception_id)

    assert response.status_code == 200, response.text
    proof = response.json()
    assert proof["passed"] is True, proof["checks"]
    reasons = {c["name"]: c["reason"] for c in proof["checks"]}
    assert reasons["after_the_fact"].startswith(
        "after the fact: executed by sw-clerk-sun at 2026-02-10T15:05:00+08:00"
    )
    assert reasons["after_the_fact"].endswith("; ratified by 3 layer(s)")
    assert reasons["acting_for"] == "layer 1: sw-deputy acting for sw-lead (AB岗)"
    exception = proof["exception"]
    assert (exception["status"], exception["after_the_fact"]) == ("ratified", True)
    assert exception["decisions"][0]["acting_for"] == "sw-lead"
    assert "acting_for" not in exception["decisions"][1]  # left out when nobody stood in
    assert verify_approval_proof(response.content, verifier).ok


def verifier_key(notary: Notary) -> str:
    return str(notary.signer.verifier_key)


def test_a_ratification_relabelled_as_a_release_0_1_0_proof_is_refused(
    client, staff, notary, verifier, token_for
) -> None:
    """Format /1 is what release 0.1.0 wrote: ten checks, no ratification, no deputy. A proof of
    either cannot pass as /1, which would drop the checks that judge them."""
    case_id, exception_id = ratified(client, staff, token_for)
    notary.catch_up()
    proof = proof_of(client, staff, case_id, exception_id).json()
    proof["format"] = "case-ledger-approval-proof/1"
    proof["checks"] = proof["checks"][:10]

    report = verify_approval_proof(json.dumps(proof).encode(), verifier)

    assert not report.ok
    assert any("/1" in f and "after the fact" in f for f in report.failures), report.failures
