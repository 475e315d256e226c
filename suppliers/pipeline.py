"""The onboarding pipeline of a product offer, declared once.

UI buttons, the API's transition endpoint, history and notifications all read
``TRANSITIONS``. ``suppliers.services.offer_transition`` performs one.

The review's stages belong to ``certification``, an app above this one: their rows await
a guard, a record or an input (``awaits``) that ``certification.pipeline`` attaches when
the app is ready; ``suppliers.checks`` refuses to start while one is missing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role
from roadmap_portal.exceptions import TransitionNotAllowed
from roadmap_portal.fsm import Machine, Transition

from .choices import OfferStatus as S
from .choices import VerificationStatus

SUPPLIER = (Role.SUPPLIER,)
REGION = (Role.REGION_STAFF,)
REVIEWER = (Role.REVIEWER,)
OFFICER = (Role.OFFICER,)

GUARD = ("guard",)
RECORD = ("record",)
RECORD_INPUT = ("record", "input")


def guard_supplier_verified(*, offer: Any, user: Any, data: dict[str, Any]) -> None:
    """An offer is forwarded to the corporation only for a verified supplier."""
    supplier = offer.supplier
    if supplier.verification_status != VerificationStatus.VERIFIED:
        raise TransitionNotAllowed(
            _("%(supplier)s is not verified yet: verify the supplier before forwarding.")
            % {"supplier": supplier.name}
        )


def _step(
    action: str, source: str, target: str, roles: tuple[str, ...], label: Any, **kw: Any
) -> Transition:
    return Transition(action, (source,), target, label, roles, **kw)


OFFERS = Machine(
    "offer",
    (
        _step("submit", S.DRAFT, S.SUBMITTED, SUPPLIER, _("Submit")),
        _step(
            "withdraw",
            S.SUBMITTED,
            S.WITHDRAWN,
            SUPPLIER,
            _("Withdraw"),
            style="secondary",
        ),
        _step(
            "return",
            S.SUBMITTED,
            S.DRAFT,
            REGION,
            _("Return for changes"),
            comment_required=True,
            style="warning",
        ),
        _step(
            "forward",
            S.SUBMITTED,
            S.FORWARDED,
            REGION,
            _("Forward to the corporation"),
            guard=guard_supplier_verified,
        ),
        _step(
            "accept",
            S.FORWARDED,
            S.REQUIREMENTS_MET,
            REVIEWER,
            _("Requirements met"),
            awaits=RECORD_INPUT,
        ),
        _step(
            "reject",
            S.FORWARDED,
            S.REJECTED,
            REVIEWER,
            _("Reject"),
            comment_required=True,
            style="danger",
            awaits=RECORD_INPUT,
        ),
        _step(
            "confirm_readiness",
            S.REQUIREMENTS_MET,
            S.READINESS_CONFIRMED,
            REVIEWER,
            _("Confirm readiness for mass production"),
            awaits=RECORD_INPUT,
        ),
        _step(
            "reject",
            S.REQUIREMENTS_MET,
            S.REJECTED,
            REVIEWER,
            _("Reject"),
            comment_required=True,
            style="danger",
        ),
        _step(
            "pass_tests",
            S.READINESS_CONFIRMED,
            S.TESTED,
            REVIEWER,
            _("Tests passed"),
            awaits=RECORD_INPUT,
        ),
        _step(
            "fail_tests",
            S.READINESS_CONFIRMED,
            S.REJECTED,
            REVIEWER,
            _("Tests failed"),
            comment_required=True,
            style="danger",
            awaits=RECORD_INPUT,
        ),
        _step(
            "certify",
            S.TESTED,
            S.CERTIFIED,
            OFFICER,
            _("Certify"),
            awaits=(*GUARD, *RECORD_INPUT),
        ),
        _step(
            "register",
            S.TESTED,
            S.REGISTERED,
            REVIEWER,
            _("Include in the register"),
            awaits=(*GUARD, *RECORD),
        ),
        _step(
            "register",
            S.CERTIFIED,
            S.REGISTERED,
            REVIEWER,
            _("Include in the register"),
            awaits=RECORD,
        ),
        _step(
            "exclude",
            S.REGISTERED,
            S.EXCLUDED,
            REVIEWER,
            _("Exclude from the register"),
            comment_required=True,
            style="danger",
            awaits=RECORD,
        ),
        _step(
            "reinstate",
            S.EXCLUDED,
            S.REGISTERED,
            REVIEWER,
            _("Reinstate in the register"),
            awaits=RECORD,
        ),
    ),
)
# The table, iterated in declaration order (with what the apps above attached).
TRANSITIONS = OFFERS
ACTIONS = OFFERS.actions


def attach(action: str, source: str | None = None, **slots: Any) -> None:
    """An app above attaches the guard, record or input a row awaits (``Machine.attach``)."""
    OFFERS.attach(action, source, **slots)


def find(action: str, source: str) -> Transition | None:
    """The transition for ``action`` from ``source``, or None when not allowed from there."""
    return OFFERS.find(action, source)


def transitions_from(status: str) -> list[Transition]:
    return OFFERS.from_state(status)


def roles_of(action: str) -> set[str]:
    return {role for t in OFFERS.of_action(action) for role in t.roles}


def sources_of(action: str) -> list[str]:
    return [t.source for t in OFFERS.of_action(action)]


def comment_required(action: str) -> bool:
    """Whether ``action`` needs a comment from every state it is taken from."""
    steps = OFFERS.of_action(action)
    return bool(steps) and all(t.comment_required for t in steps)


def input_fields(action: str) -> set[str]:
    """The names of the stage record's fields ``action`` takes from any state."""
    return {name for t in OFFERS.of_action(action) if t.input for name in t.input().fields}


# Actions taken on many offers at once from a list: they need no stage record of each offer
# (a comment, where one is needed, is the same for all). The register's actions on its
# entries are "exclude" and "reinstate" (certification.services.register_entries_bulk_transition).
BULK_ACTIONS = ("submit", "withdraw", "forward", "return")
REGISTER_BULK_ACTIONS = ("exclude", "reinstate")


def declared(action: str) -> Transition:
    """The first transition that declares ``action``: its label and style are the action's."""
    return OFFERS.of_action(action)[0]


def label_of(action: str) -> Any:
    """The button label of ``action``."""
    return declared(action).label


# --- status groups and who acts next ---------------------------------------------------------
# Each group of stages is named here once; selectors, queues, notifications, reports and
# pages import it instead of spelling the stages again.

# Stages a reviewer's queue works on.
REVIEW_STAGES = (S.FORWARDED, S.REQUIREMENTS_MET, S.READINESS_CONFIRMED, S.TESTED, S.CERTIFIED)
# Submitted and not yet decided: what a supplier counts as "under review".
UNDER_REVIEW = (S.SUBMITTED, *REVIEW_STAGES)
# Still or already in the pipeline: neither a draft nor withdrawn, rejected or excluded. An
# offer in these stages can answer a demand; the funnel counts them in this order.
IN_PIPELINE = (*UNDER_REVIEW, S.REGISTERED)
FUNNEL = IN_PIPELINE
# Not given up: every stage but withdrawn and rejected.
ALIVE = tuple(s for s in S if s not in (S.WITHDRAWN, S.REJECTED))
# Before these, an offer is the supplier's and the region's business only; from forwarding
# on, the corporation's reviewers see it (the rejected ones included).
CORPORATE = (*REVIEW_STAGES, S.REGISTERED, S.EXCLUDED, S.REJECTED)
# From testing on: the stages a certification body's officers see.
CERTIFICATION = (S.TESTED, S.CERTIFIED, S.REGISTERED, S.EXCLUDED)
# Stages an officer may issue a certificate for.
CERTIFIABLE = (S.TESTED, S.CERTIFIED, S.REGISTERED)
# Stages whose review page asks for a register decision (certify, include, exclude, reinstate).
DECISION_STAGES = CERTIFICATION
# What partners see of offers: the stages the register publishes. The one definition of
# "public" for offers, their history and everything that embeds them.
PUBLIC = (S.REGISTERED, S.EXCLUDED)

# Who waits for an offer in each stage. A tested offer waits for the required body's officers
# when its corporation requires certification, else for the reviewers (``waiting_role``).
WAITING_FOR = {
    S.SUBMITTED: Role.REGION_STAFF,
    S.FORWARDED: Role.REVIEWER,
    S.REQUIREMENTS_MET: Role.REVIEWER,
    S.READINESS_CONFIRMED: Role.REVIEWER,
    S.CERTIFIED: Role.REVIEWER,
}


def waiting_role(
    offer_or_status: Any, *, certification_required: bool | None = None
) -> Role | None:
    """The role that acts next on an offer, or None when nobody waits for it.

    Given an offer, whether its corporation requires certification is read from
    ``offer.roadmap.corporation``; given a status, a tested offer waits for someone only
    when ``certification_required`` says whether the officers or the reviewers act."""
    status = getattr(offer_or_status, "status", offer_or_status)
    if status == S.TESTED:
        if certification_required is None and hasattr(offer_or_status, "roadmap"):
            certification_required = (
                offer_or_status.roadmap.corporation.required_body_id is not None
            )
        if certification_required is None:
            return None
        return Role.OFFICER if certification_required else Role.REVIEWER
    return WAITING_FOR.get(status)


def q_waiting_for(role: str, prefix: str = "") -> Q:
    """Q for the offers (through ``prefix``, e.g. ``"offer__"``) waiting for ``role``."""
    statuses = [status for status, waiting in WAITING_FOR.items() if waiting == role]
    conditions = [Q(**{f"{prefix}status__in": statuses})] if statuses else []
    if role in (Role.OFFICER, Role.REVIEWER):
        tested = {
            f"{prefix}status": S.TESTED,
            f"{prefix}roadmap__corporation__required_body__isnull": role == Role.REVIEWER,
        }
        conditions.append(Q(**tested))
    if not conditions:
        return Q(pk__in=[])
    q = conditions[0]
    for condition in conditions[1:]:
        q |= condition
    return q
