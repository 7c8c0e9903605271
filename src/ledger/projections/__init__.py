"""Read models (DESIGN §5): one module per view; `ledger.projections.runtime` runs them.

`PROJECTIONS` is what `ledger serve` and `ledger worker` run and `ledger projections` knows:
classes (instantiated without arguments) or instances of `base.Projection`.
"""

from __future__ import annotations

from ledger.projections.base import Projection
from ledger.projections.cases import CasesProjection
from ledger.projections.exceptions import ExceptionsProjection
from ledger.projections.pushback import PushbackProjection

PROJECTIONS: tuple[Projection | type[Projection], ...] = (
    CasesProjection,
    ExceptionsProjection,
    PushbackProjection,
)
