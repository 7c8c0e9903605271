"""The seed-000 path through the real HTTP app, end to end."""

from __future__ import annotations

from tests.conftest import registration


def test_registered_case_reads_back_with_its_etag(client, token_for) -> None:
    clerk = token_for("clerk-007", "clerk", unit="人社")
    created = client.post("/cases", json=registration(), headers=clerk)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    read = client.get(f"/cases/{case_id}", headers=clerk)

    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json()["state"]["applicant"]["id_number"]["masked"] == "3415**********0020"
