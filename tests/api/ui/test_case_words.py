"""The case page's vocabulary: every event a case can record has a Chinese name, and another
jurisdiction's event is shown as where it is, never as its proof's bytes."""

from __future__ import annotations

import typing
from uuid import UUID

from ledger.api.schemas.append import AppendEventRequest
from ledger.api.ui.case_words import EVENT_NAMES, shown
from ledger.domain.handoffs.records import LogReference


def test_every_event_a_client_can_append_has_a_chinese_name() -> None:
    appendable = {kind.__struct_config__.tag for kind in typing.get_args(AppendEventRequest)}
    assert appendable, "the wire union is empty?"
    assert appendable - EVENT_NAMES.keys() == set()


def test_a_reference_to_another_log_is_a_line_without_its_proof() -> None:
    reference = LogReference(
        origin="ledger.hebei.example/log",
        case_id=UUID(int=7),
        case_no="HEBEI-2026-000001",
        version=3,
        leaf_index=41,
        position=42,
        tree_size=64,
        entry=b"case-ledger/leaf/v1 \x00\x01",
        audit_path=[b"\x11" * 32],
        checkpoint="ledger.hebei.example/log\n64\nAAAA\n",
    )
    line = shown(reference)
    assert line.startswith("ledger.hebei.example/log 案件 HEBEI-2026-000001 第 3 版")
    assert "日志第 41 条" in line
    assert "AAAA" not in line and "\\x" not in line
