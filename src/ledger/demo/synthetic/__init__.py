"""A synthetic month of cases across five centres, so the views have ordinary traffic to show.
One concept a module (below); imports only `demo.plan`, `domain.calendar`, `rules.calendars`.

`centres` is the fixed world, `calendar` the working days and office hours, `draw` one case from
its stream, `scenarios` its story after registration, and `pushback` the public's answer to it.

Each case is drawn from its own random stream (`draw`), so case n is the same whatever `--cases`
says and a run with more cases replays the first ones and adds the rest. Window traffic keeps to
working days and office hours (`calendar`); online submissions arrive on any day.
"""

from __future__ import annotations

from ledger.demo.plan import CasePlan
from ledger.demo.synthetic.calendar import WorkingDays
from ledger.demo.synthetic.draw import CaseDraw


def month_plans(month: str, seed: int, count: int, days: WorkingDays) -> list[CasePlan]:
    return [CaseDraw(month, seed, n, days).plan() for n in range(count)]
