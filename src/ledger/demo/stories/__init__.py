"""The five seed reports (../shared/seeds/) as cases, told with the event types the API has today.
One module per report and one for the 示例 12345 orders, told in `steps`; imports only `demo.plan`.

Each case keeps what its report says: who acted, in what order, and the dates the report gives
(or, where it gives none, a plausible working day in 2025-2026; its year is moved to 2026 when the
report is older). Nothing the report does not tell is added as a step: where the ledger needs a
step or a field the report leaves out (who asked for an exception, which matter), the case's
comment says so and takes the least invented form. A step's Idempotency-Key is its index, so a
database loaded by a demo whose stories have since changed is reloaded afresh (the loader says so
when keys meet another version's requests).

The seeds' exceptions are told as their reports tell them. A 破例 done with nobody's approval
(李女士's bound card, 000; 老李's 抚恤金 and 赵先生's wife's photograph, 004) is recorded after
the fact, for the centre's layers to ratify; no approver is invented, so those ratifications wait
(GET /approvals). A 延时服务 the report says who arranged (王女士's, 000) is approved by them.

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
