"""Which projections a process runs: the built-in `ledger.projections.PROJECTIONS`, plus any
named `module:Class` in LEDGER_EXTRA_PROJECTIONS, as instances with unique names."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.projections import PROJECTIONS
from ledger.projections.base import Projection

EXTRA_PROJECTIONS_ENV = "LEDGER_EXTRA_PROJECTIONS"
"""Comma-separated `module:Class` projections to run besides `ledger.projections.PROJECTIONS`."""


def configured_projections(environ: Mapping[str, str] | None = None) -> tuple[Projection, ...]:
    """`ledger.projections.PROJECTIONS`, plus any named in LEDGER_EXTRA_PROJECTIONS."""
    env = os.environ if environ is None else environ
    extra = [p.strip() for p in env.get(EXTRA_PROJECTIONS_ENV, "").split(",") if p.strip()]
    return instances([*PROJECTIONS, *(_import(path) for path in extra)])


def instances(projections: Iterable[Projection | type[Projection]]) -> tuple[Projection, ...]:
    """Projection instances (classes are instantiated without arguments), names unique."""
    made = tuple(p() if isinstance(p, type) else p for p in projections)
    names = [p.name for p in made]
    if len(set(names)) != len(names):
        raise ValueError(f"projection names must be unique: {names}")
    return made


def _import(path: str) -> Any:
    module, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"{EXTRA_PROJECTIONS_ENV}: expected module:Class, got {path!r}")
    return getattr(importlib.import_module(module), attribute)
