"""The five seed reports (../shared/seeds/) as cases, told with the event types the API has today.
One module per report and one for the 示例 12345 orders, told in `steps`; imports only `demo.plan`.

Each case keeps what its report says: who acted, in what order, and the dates the report gives
(or, where it gives none, a plausible working day in 2025-2026; its year is moved to 2026 when the
report is older). Where a report describes a practice rather than a case, the case is marked
"示例" in a note. Each case's comment names the events it gains when exceptions, 12345 work
orders, 办不成事 reports and ratings arrive (issues 5 and 6): append them to the case's steps, so
its existing Idempotency-Keys (step indexes) stay as they are. The exceptions of issue 5 could not
all be appended: an exception is decided before the step that relies on it, so 李女士's case (000)
and 赵先生's wife's (004) have their later steps moved; a database loaded by an older demo is
reloaded afresh (the loader says so when keys meet another version's requests).

The three seed exceptions are told as their reports tell them; where a report names no approver,
the centre's policy chain is filled in with placeholder staff (窗口负责人 → 部门负责人 → 中心主任).

Seed 001 tells two centres' stories: 东花市 (谢先生, the 七旬 applicant) and 大兴区清源街道 (the
低保 case), so the latter is recorded at centre `qingyuan`.
"""

from __future__ import annotations

from ledger.demo.plan import CasePlan
from ledger.demo.stories import beijing, hotline, huoshan, jieyang, wuhai, zhangjiakou


def stories() -> list[CasePlan]:
    """Every seed case, in the order they happened."""
    plans = [
        huoshan.li(),
        huoshan.wang(),
        *hotline.orders(),
        beijing.xie(),
        beijing.elder(),
        beijing.dibao(),
        *jieyang.practices(),
        *wuhai.counters(),
        *zhangjiakou.cases(),
    ]
    return sorted(plans, key=lambda p: p.registered_at)
