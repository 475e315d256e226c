"""The tender's life, declared once: which action moves a tender from where to where.

UI buttons, API actions and the transition service all read this table.
Every action is taken by the corporate reviewers of the customer's group.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import TenderStatus as S


@dataclass(frozen=True)
class TenderTransition:
    action: str
    sources: tuple
    target: str
    label: str
    style: str = "primary"


TENDER_TRANSITIONS = (
    TenderTransition("open", (S.ANNOUNCED,), S.OPEN, _("Open for bids"), "success"),
    TenderTransition("close", (S.OPEN,), S.CLOSED, _("Close submissions"), "secondary"),
    # "award" is taken with a bid: procurement.services.tender_award.
    TenderTransition("award", (S.OPEN, S.CLOSED), S.AWARDED, _("Award"), "success"),
    TenderTransition(
        "cancel", (S.ANNOUNCED, S.OPEN, S.CLOSED), S.CANCELLED, _("Cancel tender"), "danger"
    ),
)
ACTIONS = {t.action: t for t in TENDER_TRANSITIONS}


def transitions_from(status):
    """The actions available from ``status``, in table order."""
    return [t for t in TENDER_TRANSITIONS if status in t.sources]
