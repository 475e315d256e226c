"""A certificate's life, declared once: which action moves a certificate from where to where.

The officers of the issuing body suspend, revoke and reinstate a certificate
(``services.certificate_set_status``); a certificate past its ``valid_until`` expires by
itself (``services.lapse_certificates``). A revoked or expired certificate is final. Both
take a step through ``services._certificate_step``, which writes the step's event
(``EVENTS``) to the certificate's history.
"""

from __future__ import annotations

from roadmap_portal.choices import Role
from roadmap_portal.fsm import Machine, Transition

from .choices import CertificateEventKind as E
from .choices import CertificateStatus as S

OFFICER = (Role.OFFICER,)
CHANGEABLE = (S.VALID, S.SUSPENDED)

CERTIFICATES = Machine(
    "certificate",
    (
        Transition(
            "suspend",
            CHANGEABLE,
            S.SUSPENDED,
            E.SUSPENDED.label,
            OFFICER,
            "warning",
            comment_required=True,
        ),
        Transition(
            "revoke",
            CHANGEABLE,
            S.REVOKED,
            E.REVOKED.label,
            OFFICER,
            "danger",
            comment_required=True,
        ),
        Transition("reinstate", CHANGEABLE, S.VALID, E.REINSTATED.label, OFFICER, "success"),
        Transition("expire", (S.VALID,), S.EXPIRED, E.EXPIRED.label),
    ),
)


# The event each step writes to the certificate's history (``CertificateEvent.kind``).
EVENTS: dict[str, str] = {
    "suspend": E.SUSPENDED,
    "revoke": E.REVOKED,
    "reinstate": E.REINSTATED,
    "expire": E.EXPIRED,
}


def officer_step(target: str) -> Transition | None:
    """The officer's action that leads to status ``target``, or None for any other status."""
    return next((t for t in CERTIFICATES if t.roles and t.target == target), None)
