"""`HotlineCommands`, the 12345 group `Case` mixes in, composed of the dispatch, handling and
oversight groups; and the wire's table of its commands (`COMMANDS`, `TIMED`).

The parts' events are redefined on `Case` like every group's (`CaseCommands.__init_subclass__`),
so their stored topics stay `ledger.domain.case:Case.<Name>` whichever part declares them.
"""

from __future__ import annotations

from ledger.domain.hotline.dispatch import DispatchCommands
from ledger.domain.hotline.handling import HandlingCommands
from ledger.domain.hotline.oversight import OversightCommands


class HotlineCommands(DispatchCommands, HandlingCommands, OversightCommands):
    """12345 work orders (工单) on a case: intake, dispatch rounds, sign-for, 退单, handling, reply
    review, 回访, 重办, 并单 and 督办 (domain brief §1)."""


COMMANDS: dict[str, tuple[str, str | None]] = {
    "HotlineEscalationReceived": ("receive_escalation", "ticket_id"),
    "HotlineDispatched": ("dispatch_ticket", None),
    "HotlineSignedFor": ("sign_for_ticket", None),
    "HotlineReturnRequested": ("request_ticket_return", None),
    "HotlineReturnDecided": ("decide_ticket_return", None),
    "HotlineApplicantContacted": ("contact_applicant", None),
    "HotlineExtensionRequested": ("request_ticket_extension", None),
    "HotlineExtensionDecided": ("decide_ticket_extension", None),
    "HotlineReplied": ("reply_ticket", None),
    "HotlineReplyReviewed": ("review_ticket_reply", None),
    "HotlineClosed": ("close_ticket", None),
    "HotlineFollowedUp": ("follow_up_ticket", None),
    "HotlineReopened": ("reopen_ticket", None),
    "HotlineMerged": ("merge_ticket", None),
    "HotlineSupervised": ("supervise_ticket", None),
}
TIMED = frozenset(
    {
        "HotlineDispatched",
        "HotlineReturnRequested",
        "HotlineExtensionDecided",
        "HotlineReplyReviewed",
        "HotlineClosed",
        "HotlineReopened",
        "HotlineSupervised",
    }
)
