"""Two jurisdictions, two ledgers, one case handed from one to the other (issue 16 item 4).

张家口's city ledger and Hebei's provincial ledger run on two databases, each with its own log
origin, notary key and token secret, as docs/SCALING.md lays out. 老李's 抚恤金 (seed 004) goes
from the city's 办不成事反映窗口 to the 省社保服务中心 by HTTP calls a client makes to both APIs:
`HandedOffAcross` in the city's log; `HandOffReceived` in the province's, carrying the city's
event with its leaf, inclusion proof and signed checkpoint; `HandOffAcknowledged` back in the
city's, carrying the province's. Each side's bundle verifies with its own key, and each side's
reference proves the other's event with only the other's pinned key.
"""

from __future__ import annotations

import base64
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.cli.main import main
from ledger.config.settings import Settings
from ledger.domain.handoffs.records import LogReference
from ledger.domain.values import Role
from ledger.log.handoff_refs import verify_reference
from ledger.log.keys import load_signer
from ledger.log.merkle.proofs import verify_consistency
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier, generate_key, parse_checkpoint, split_note
from ledger.log.verify import verify_bundle
from ledger.rules.calendars import POLICY_ROOT
from ledger.store.database import Database
from tests.conftest import registration

CITY = "zhangjiakou.example.gov.cn/case-ledger"
PROVINCE = "hebei.example.gov.cn/case-ledger"
PROVINCE_CENTRE = "hebei-sbzx"
PROVINCE_POLICY = f"""# 河北省社会保险事业服务中心: the second jurisdiction's centre.
version = "hebei-2026.1"
jurisdiction = "he-province"
extends = "cn"
title = "河北省社会保险事业服务中心 时限 (test)"
centres = ["{PROVINCE_CENTRE}"]
"""


@dataclass
class Jurisdiction:
    """One jurisdiction's ledger: its own database, origin, key, token secret and API."""

    settings: Settings
    ledger: Ledger
    http: TestClient[Any]
    notary: Notary
    database: Database

    def token(self, actor: str, role: Role, unit: str, centre: str) -> dict[str, str]:
        token = create_token(self.settings.token_secret, actor, [role], unit, 600, centres=[centre])
        return {"Authorization": f"Bearer {token}"}

    def seal(self) -> None:
        self.notary.catch_up()

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.http.get("/audit/public-key").text.strip())

    def reference(self, case_id: str, position: int, headers: dict[str, str]) -> dict[str, Any]:
        """The reference to the event at `position` that the other side records: what this
        ledger's API serves about it, as a client copies it."""
        self.seal()
        proof = self.http.get("/audit/proofs/inclusion", params={"position": position})
        assert proof.status_code == 200, proof.text
        leaf_index = proof.json()["leaf_index"]
        leaf = self.http.get(f"/audit/leaves/{leaf_index}", headers=headers)
        assert leaf.status_code == 200, leaf.text
        case = self.http.get(f"/cases/{case_id}", headers=headers).json()
        return {
            "origin": self.settings.origin,
            "case_id": case_id,
            "case_no": case["state"]["case_no"],
            "version": leaf.json()["version"],
            "position": position,
            "leaf_index": leaf_index,
            "tree_size": proof.json()["tree_size"],
            "entry": leaf.json()["entry"],
            "audit_path": proof.json()["audit_path"],
            "checkpoint": proof.json()["checkpoint"],
        }

    def bundle(self, case_id: str, headers: dict[str, str]) -> bytes:
        self.seal()
        response = self.http.get(f"/cases/{case_id}/bundle", headers=headers)
        assert response.status_code == 200, response.text
        return response.content


@pytest.fixture(scope="module")
def jurisdictions(
    database_factory: Callable[[], Database], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Jurisdiction, Jurisdiction]]:
    # The province has its own rule files: the national ones and its own centre.
    province_policies = tmp_path_factory.mktemp("province-policies")
    shutil.copytree(POLICY_ROOT, province_policies, dirs_exist_ok=True)
    (province_policies / "time-limits" / "he-province.toml").write_text(PROVINCE_POLICY)
    made: list[Jurisdiction] = []
    for origin, policy_dir in ((CITY, POLICY_ROOT), (PROVINCE, province_policies)):
        settings = Settings(
            database_url=None,
            data_dir=Path(tmp_path_factory.mktemp("jurisdiction")),
            token_secret=secrets.token_bytes(32),
            pii_key=secrets.token_bytes(32),
            origin=origin,
            policy_dir=policy_dir,
            local_witness=False,
        )
        database = database_factory()  # a database of its own, migrated
        ledger = Ledger(settings, database)
        signer = load_signer(settings.notary_key_path, origin)
        notary = Notary(database.notary_conninfo, signer, origin, checkpoint_every=0)
        http = TestClient(create_app(settings, ledger, run_projections=True)).__enter__()
        made.append(Jurisdiction(settings, ledger, http, notary, database))
    yield made[0], made[1]
    for j in made:
        j.http.__exit__(None, None, None)
        j.notary.close()
        j.ledger.close()


class _Received(msgspec.Struct):
    handoff_id: UUID
    sender: LogReference


class _Acknowledged(msgspec.Struct):
    handoff_id: UUID
    receiver: LogReference


def stored(bundle: bytes, event_type: str, shape: type[Any]) -> Any:
    """The one `event_type` event of a bundle, decoded from its payload as stored."""
    events = msgspec.json.decode(bundle)["events"]
    [payload] = [
        base64.b64decode(e["payload"]) for e in events if e["topic"].endswith("." + event_type)
    ]
    return msgspec.json.decode(payload, type=shape)


def test_a_case_handed_to_another_jurisdiction_is_an_event_in_both_logs_each_proving_the_other(
    jurisdictions: tuple[Jurisdiction, Jurisdiction], tmp_path: Path
) -> None:
    city, province = jurisdictions
    assert city.verifier.key != province.verifier.key
    lead = city.token("zjk-bbcs-lead-yang", Role.WINDOW_LEAD, "办不成事反映窗口", "zhangjiakou")
    clerk = province.token("hb-sbzx-clerk", Role.CLERK, "省社保服务中心", PROVINCE_CENTRE)

    # The city registers 老李's case and hands it to the provincial agency, in its own log.
    body = registration(
        centre="zhangjiakou",
        department="办不成事反映窗口",
        window="咨询服务台",
        matter={"code": "SI-SURVIVOR", "name": "参保人员死亡丧葬补助金、抚恤金申领"},
        applicant={"name": "李某", "id_number": "130702195503100795"},
        occurred_at="2026-01-07T09:30:00+08:00",
    )
    city_case = city.http.post("/cases", json=body, headers=lead).json()["case_id"]
    sent = city.http.post(
        f"/cases/{city_case}/events",
        headers=lead,
        json={
            "type": "HandedOffAcross",
            "to_origin": PROVINCE,
            "to_centre": PROVINCE_CENTRE,
            "to_department": "省社保服务中心",
            "reason": "死者生前在省属单位参保, 抚恤金由省级经办机构核发",
            "occurred_at": "2026-01-08T10:00:00+08:00",
        },
    )
    assert sent.status_code == 201, sent.text
    handoff_id = sent.json()["handoff_id"]
    # Within the city's ledger nobody signs for it: the province does, in its own.
    signed_here = city.http.post(
        f"/cases/{city_case}/events",
        headers=lead,
        json={"type": "HandOffSignedFor", "handoff_id": handoff_id},
    )
    assert signed_here.json()["rule"] == "handoff.across_signed_elsewhere", signed_here.text

    # Until the province's answer is recorded, the city's duty board shows it not signed for.
    duty = city.token("zjk-duty", Role.DUTY_OFFICER, "市社保服务中心", "zhangjiakou")
    board = city.http.get(
        "/boards/duty",
        params={"centre": "zhangjiakou", "min_position": sent.json()["position"]},
        headers=duty,
    )
    assert [(h["handoff_id"], h["to_department"]) for h in board.json()["handoffs_pending"]] == [
        (handoff_id, "省社保服务中心")
    ], board.text

    # The client carries the city's event, with its proof, to the province.
    [handed] = [
        e
        for e in city.http.get(f"/cases/{city_case}/events", headers=lead).json()["events"]
        if e["type"] == "HandedOffAcross"
    ]
    sender = city.reference(city_case, handed["position"], lead)
    province_case = province.http.post(
        "/cases",
        json=registration(
            centre=PROVINCE_CENTRE,
            department="省社保服务中心",
            window=None,
            matter=body["matter"],
            applicant=body["applicant"],
            occurred_at="2026-01-09T10:30:00+08:00",
        ),
        headers=clerk,
    ).json()["case_id"]
    receipt = {
        "type": "HandOffReceived",
        "handoff_id": handoff_id,
        "from_department": handed["data"]["from_department"],
        "from_window": handed["data"]["from_window"],
        "reason": handed["data"]["reason"],
        "handed_off_by": handed["actor"]["id"],
        "handed_off_at": handed["occurred_at"],
        "occurred_at": "2026-01-09T10:30:00+08:00",
    }
    tampered = {**sender, "entry": _flip_last_byte(sender["entry"])}
    refused = province.http.post(
        f"/cases/{province_case}/events", headers=clerk, json={**receipt, "sender": tampered}
    )
    assert refused.status_code == 400 and "audit_path" in refused.text, refused.text
    received = province.http.post(
        f"/cases/{province_case}/events", headers=clerk, json={**receipt, "sender": sender}
    )
    assert received.status_code == 201, received.text

    # And brings the province's event back to the city.
    receiver = province.reference(province_case, received.json()["position"], clerk)
    wrong_log = city.http.post(
        f"/cases/{city_case}/events",
        headers=lead,
        json={"type": "HandOffAcknowledged", "handoff_id": handoff_id, "receiver": sender},
    )
    assert wrong_log.json()["rule"] == "handoff.reference_wrong_log", wrong_log.text
    acknowledged = city.http.post(
        f"/cases/{city_case}/events",
        headers=lead,
        json={"type": "HandOffAcknowledged", "handoff_id": handoff_id, "receiver": receiver},
    )
    assert acknowledged.status_code == 201, acknowledged.text
    board = city.http.get(
        "/boards/duty",
        params={"centre": "zhangjiakou", "min_position": acknowledged.json()["position"]},
        headers=duty,
    )
    assert board.json()["handoffs_pending"] == [], board.text
    for step in (
        {"type": "Accepted", "occurred_at": "2026-01-09T11:00:00+08:00"},
        {"type": "Completed", "outcome": "granted", "occurred_at": "2026-02-06T15:00:00+08:00"},
    ):
        done = province.http.post(f"/cases/{province_case}/events", headers=clerk, json=step)
        assert done.status_code == 201, done.text

    # Both sides' bundles verify with their own keys, and only with them.
    city_bundle = city.bundle(city_case, lead)
    province_bundle = province.bundle(province_case, clerk)
    assert verify_bundle(city_bundle, city.verifier).ok
    assert verify_bundle(province_bundle, province.verifier).ok
    assert not verify_bundle(city_bundle, province.verifier).ok

    # The province's record proves the city's event, with only the city's pinned key ...
    in_province = stored(province_bundle, "HandOffReceived", _Received)
    assert in_province.sender.origin == CITY and str(in_province.sender.case_id) == city_case
    proven = verify_reference(
        in_province.sender,
        city.verifier,
        event_type="HandedOffAcross",
        handoff_id=UUID(handoff_id),
        counterpart_origin=PROVINCE,
    )
    assert proven.ok, proven.failures
    # ... and the city's log still holds that checkpoint's tree: it only grew since.
    _check_grew(city, in_province.sender)
    # A forger's reference, however coherent, fails against the city's pinned key.
    assert not verify_reference(
        in_province.sender,
        province.verifier,
        event_type="HandedOffAcross",
        handoff_id=UUID(handoff_id),
        counterpart_origin=PROVINCE,
    ).ok

    # And the city's record proves the province's, with only the province's key.
    in_city = stored(city_bundle, "HandOffAcknowledged", _Acknowledged)
    assert str(in_city.receiver.case_id) == province_case
    proven_back = verify_reference(
        in_city.receiver,
        province.verifier,
        event_type="HandOffReceived",
        handoff_id=UUID(handoff_id),
        counterpart_origin=CITY,
    )
    assert proven_back.ok, proven_back.failures
    _check_grew(province, in_city.receiver)
    # The reference must be the right event of the right hand-off, naming the right log.
    assert not verify_reference(
        in_city.receiver,
        province.verifier,
        event_type="HandedOffAcross",
        handoff_id=UUID(handoff_id),
        counterpart_origin=CITY,
    ).ok
    assert not verify_reference(
        in_city.receiver,
        province.verifier,
        event_type="HandOffReceived",
        handoff_id=UUID(int=1),
        counterpart_origin=CITY,
    ).ok

    # An auditor holding both logs' keys runs the same checks with `ledger verify --peer-key`.
    for bundle, own, peer, proves in (
        (province_bundle, province, city, "HandedOffAcross"),
        (city_bundle, city, province, "HandOffReceived"),
    ):
        held = tmp_path / f"{own.verifier.key_id:08x}.json"
        held.write_bytes(bundle)
        keys = ["verify", str(held), "--public-key", own.verifier.key]
        checked = CliRunner().invoke(main, [*keys, "--peer-key", peer.verifier.key])
        assert checked.exit_code == 0, checked.output
        assert f"{proves} of hand-off {handoff_id}" in checked.output, checked.output
        unchecked = CliRunner().invoke(main, keys)  # no key of the other log: said, not passed
        assert unchecked.exit_code == 0 and "not checked: no --peer-key" in unchecked.output
        impostor = generate_key(peer.verifier.name)[1]  # the other log's name, another key
        forged = CliRunner().invoke(main, [*keys, "--peer-key", impostor])
        assert forged.exit_code == 1, forged.output
        assert f": {peer.verifier.name}: checkpoint:" in forged.output, forged.output

        # The whole log, from its database, checks every hand-off's reference the same way.
        own.seal()
        env = {
            "LEDGER_DATABASE_URL": own.database.owner_conninfo,
            "LEDGER_DATA_DIR": str(own.settings.data_dir),
            "LEDGER_ORIGIN": own.settings.origin,
        }
        whole = ["verify", "--database", "--public-key", own.verifier.key]
        checked = CliRunner().invoke(main, [*whole, "--peer-key", peer.verifier.key], env=env)
        assert checked.exit_code == 0, checked.output
        assert f"{proves} of hand-off {handoff_id}" in checked.output, checked.output
        unchecked = CliRunner().invoke(main, whole, env=env)
        assert unchecked.exit_code == 0 and "not checked: no --peer-key" in unchecked.output
        forged = CliRunner().invoke(main, [*whole, "--peer-key", impostor], env=env)
        assert forged.exit_code == 1, forged.output
        assert f": {peer.verifier.name}: checkpoint:" in forged.output, forged.output

    # Each case's state shows the hand-off with its counterpart.
    city_state = city.http.get(f"/cases/{city_case}", headers=lead).json()["state"]
    [out] = city_state["handoffs"]
    assert (out["status"], out["to_origin"]) == ("signed_for", PROVINCE)
    assert out["counterpart"]["case_id"] == province_case
    assert city_state["department"] == "办不成事反映窗口"  # the city stays answerable
    province_state = province.http.get(f"/cases/{province_case}", headers=clerk).json()["state"]
    [into] = province_state["handoffs"]
    assert (into["from_origin"], into["counterpart"]["case_id"]) == (CITY, city_case)
    assert province_state["status"] == "completed"
    listed = province.http.get(
        "/cases",
        params={"centre": PROVINCE_CENTRE, "min_position": done.json()["position"]},
        headers=clerk,
    )
    assert [c["case_id"] for c in listed.json()["cases"]] == [province_case], listed.text


def test_a_reference_whose_checkpoint_is_another_logs_is_refused_by_rule(
    jurisdictions: tuple[Jurisdiction, Jurisdiction],
) -> None:
    city, province = jurisdictions
    lead = city.token("zjk-lead-2", Role.WINDOW_LEAD, "办不成事反映窗口", "zhangjiakou")
    clerk = province.token("hb-clerk-2", Role.CLERK, "省社保服务中心", PROVINCE_CENTRE)
    city_case = city.http.post(
        "/cases",
        json=registration(centre="zhangjiakou", department="办不成事反映窗口"),
        headers=lead,
    ).json()["case_id"]
    [registered] = city.http.get(f"/cases/{city_case}/events", headers=lead).json()["events"]
    sender = city.reference(city_case, registered["position"], lead)
    province_case = province.http.post(
        "/cases",
        json=registration(centre=PROVINCE_CENTRE, department="省社保服务中心"),
        headers=clerk,
    ).json()["case_id"]
    receipt = {
        "type": "HandOffReceived",
        "handoff_id": "00000000-0000-4000-8000-000000000001",
        "from_department": "办不成事反映窗口",
        "reason": "测试",
        "handed_off_by": "zjk-lead-2",
        "handed_off_at": "2026-01-08T10:00:00+08:00",
    }

    claimed = province.http.post(
        f"/cases/{province_case}/events",
        headers=clerk,
        json={**receipt, "sender": {**sender, "origin": PROVINCE}},
    )

    assert claimed.status_code == 422, claimed.text
    assert claimed.json()["rule"] == "handoff.reference_checkpoint_mismatch"


def _flip_last_byte(entry_b64: str) -> str:
    raw = bytearray(base64.b64decode(entry_b64))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _check_grew(side: Jurisdiction, reference: LogReference) -> None:
    """The side's latest checkpoint extends the one the reference carries (RFC 9162)."""
    latest = parse_checkpoint(side.verifier.verify(side.http.get("/audit/checkpoint").text))
    old = parse_checkpoint(split_note(reference.checkpoint)[0])
    proof = side.http.get(
        "/audit/proofs/consistency", params={"from": old.size, "to": latest.size}
    ).json()["proof"]
    assert verify_consistency(
        old.size, latest.size, old.root, latest.root, [bytes.fromhex(h) for h in proof]
    )
