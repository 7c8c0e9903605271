"""Fixtures of the HTTP API tests, beside the suite's own (tests/conftest.py)."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Iterator

import pytest

from ledger.application.service import Ledger
from ledger.rules.time_limits import Policies

TEST_POLICY = """\
version = "api-tests"
jurisdiction = "api-tests"
extends = "cn"
title = "Centres the API tests open, one per test, on the national policy"
centres = {centres}
"""


@pytest.fixture(scope="module")
def new_centre(
    ledger: Ledger, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """`new_centre("floor")`: a centre of the test's own, so its board, registers and search hold
    only that test's cases, configured as a deployment configures one (registration refuses any
    other, 422 centre.unknown): a policy file, in a copy of the policies, claims it. The module's
    `ledger` reads that copy until the module ends."""
    configured = ledger.policies
    root = tmp_path_factory.mktemp("policies")
    shutil.copytree(configured.root, root, dirs_exist_ok=True)
    names: list[str] = []

    def make(prefix: str) -> str:
        names.append(f"{prefix}-{secrets.token_hex(4)}")
        policy = TEST_POLICY.format(centres=json.dumps(names))
        (root / "time-limits" / "api-tests.toml").write_text(policy, encoding="utf-8")
        ledger.policies = Policies(root)
        return names[-1]

    yield make
    ledger.policies = configured
