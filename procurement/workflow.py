"""The tender's life, declared once: which action moves a tender from where to where.

UI buttons, API actions and the transition service all read this table.
Every action is taken by the corporate reviewers of the customer's group.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role
from roadmap_portal.fsm import Machine, Transition

from .choices import TenderStatus as S

REVIEWER = (Role.REVIEWER,)

TENDERS = Machine(
    "tender",
    (
        Transition("open", (S.ANNOUNCED,), S.OPEN, _("Open for bids"), REVIEWER, "success"),
        Transition("close", (S.OPEN,), S.CLOSED, _("Close submissions"), REVIEWER, "secondary"),
        # "award" is taken with a bid: procurement.services.tender_award.
        Transition("award", (S.OPEN, S.CLOSED), S.AWARDED, _("Award"), REVIEWER, "success"),
        Transition(
            "cancel",
            (S.ANNOUNCED, S.OPEN, S.CLOSED),
            S.CANCELLED,
            _("Cancel tender"),
            REVIEWER,
            "danger",
        ),
    ),
)
TENDER_TRANSITIONS = TENDERS.transitions
ACTIONS = {t.action: t for t in TENDERS}


def transitions_from(status: str) -> list[Transition]:
    """The actions available from ``status``, in table order."""
    return TENDERS.from_state(status)
