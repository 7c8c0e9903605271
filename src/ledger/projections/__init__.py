"""The read models: the built-in view list `PROJECTIONS`, the runtime that feeds them, indicators.
May import the log, store, config, rules and domain; never the application, API or CLI.

`PROJECTIONS` is what `ledger serve` and `ledger worker` run and `ledger projections` knows:
classes (instantiated without arguments) or instances of `base.Projection`. The views live in
`views/`, the arithmetic over their rows in `indicators/`; here, the runtime: `projector` (the
live batches), `rebuild` (a new generation beside the live one, then a swap), `status`,
`configured` (which projections run), `worker` (one thread each) and `waiter` (read-your-writes).
"""

from __future__ import annotations

from ledger.projections.base import Projection
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.exceptions import ExceptionsProjection
from ledger.projections.views.pushback import PushbackProjection

PROJECTIONS: tuple[Projection | type[Projection], ...] = (
    CasesProjection,
    ExceptionsProjection,
    PushbackProjection,
)
