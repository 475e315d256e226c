"""When a certificate supports an offer: the one rule, over facts.

A certificate supports an offer on a day ``on`` (and through a later day ``through``, a
tender's deadline) when, checked in this order:

1. ``OTHER_BODY``: it is issued by the body the offer's corporation group requires;
2. ``OTHER_SUPPLIER``: it belongs to the offer's supplier;
3. ``NOT_COVERING``: it covers the offer;
4. ``NOT_VALID``: its status is valid (not suspended, revoked or expired);
5. ``EXPIRED``: it has not expired on ``through`` (``on`` when not given);
6. ``NOT_YET``: it was issued on or before ``on``.

The first check that fails is the problem. The functions here read no database: the
callers read the facts (one certificate, or thousands of rows in a fixed number of
queries) and decide with them. Certificates are read by the fields ``pk``, ``number``,
``body_id``, ``supplier_id``, ``status``, ``issued_on`` and ``valid_until`` (a
``Certificate`` or any object with them); offers as ``OfferFacts``.

The message catalogue of the problems is here too: the officer's wording about one
certificate (``problem_message``) and the tender's wording about the best certificate an
offer has (``TENDER_MESSAGES``). The messages are marked for translation and translated
by the caller (eligibility translates each once per language).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.utils.translation import gettext, gettext_noop

from .choices import CertificateStatus

OTHER_BODY = "other_body"
OTHER_SUPPLIER = "other_supplier"
NOT_COVERING = "not_covering"
NOT_VALID = "not_valid"
EXPIRED = "expired"
NOT_YET = "not_yet"


class CertificateLike(Protocol):
    pk: Any
    number: str
    body_id: Any
    supplier_id: Any
    status: str
    issued_on: datetime.date
    valid_until: datetime.date


C = TypeVar("C", bound=CertificateLike)


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the rule reads of an offer: its supplier and the body its group requires
    (None: the group requires no certification)."""

    supplier_id: int
    required_body_id: int | None

    @classmethod
    def of(cls, offer: Any) -> OfferFacts:
        """The facts of an ``Offer`` (its roadmap's corporation is the group)."""
        return cls(offer.supplier_id, offer.roadmap.corporation.required_body_id)


def in_force(certificate: CertificateLike, *, on: datetime.date) -> bool:
    """Valid and within its term on ``on``, whoever it is for."""
    return (
        certificate.status == CertificateStatus.VALID
        and certificate.issued_on <= on <= certificate.valid_until
    )


def lapsed(certificate: CertificateLike, *, on: datetime.date) -> bool:
    """Still marked valid although its term ended before ``on``: it is to become expired."""
    return certificate.status == CertificateStatus.VALID and certificate.valid_until < on


def certificate_problem(
    certificate: CertificateLike,
    offer: OfferFacts,
    *,
    on: datetime.date,
    through: datetime.date | None = None,
    covers: bool = True,
) -> str | None:
    """Why ``certificate`` cannot support ``offer`` on ``on`` (through ``through``), as one
    of the problem codes above, or None when it can. ``covers``: the certificate covers the
    offer (callers that read certificates through their offers know it does)."""
    if offer.required_body_id and certificate.body_id != offer.required_body_id:
        return OTHER_BODY
    if certificate.supplier_id != offer.supplier_id:
        return OTHER_SUPPLIER
    if not covers:
        return NOT_COVERING
    if certificate.status != CertificateStatus.VALID:
        return NOT_VALID
    if certificate.valid_until < (through or on):
        return EXPIRED
    if certificate.issued_on > on:
        return NOT_YET
    return None


def usable(
    certificates: Iterable[C],
    offer: OfferFacts,
    *,
    on: datetime.date,
    through: datetime.date | None = None,
) -> list[C]:
    """The certificates (each covering the offer) that support it, in the given order."""
    return [
        c for c in certificates if certificate_problem(c, offer, on=on, through=through) is None
    ]


# --- messages ------------------------------------------------------------------------------

# About one certificate, to the officer who chose it (dates in ISO form).
OFFICER_MESSAGES = {
    OTHER_BODY: gettext_noop(
        "Certificate %(number)s is issued by %(body)s, not by the required body."
    ),
    OTHER_SUPPLIER: gettext_noop("Certificate %(number)s belongs to another supplier."),
    NOT_COVERING: gettext_noop("Certificate %(number)s does not cover this offer."),
    NOT_VALID: gettext_noop("Certificate %(number)s is %(status)s."),
    EXPIRED: gettext_noop("Certificate %(number)s expired on %(date)s."),
    NOT_YET: gettext_noop("Certificate %(number)s is valid only from %(date)s."),
}

# About the best certificate of the required body among a supplier's offers in a tender's
# categories: a status, an end before the deadline, or (any other problem) not in force.
TENDER_MESSAGES = {
    "no_offer": gettext_noop("No offer to check: no certificate of %(body)s applies."),
    "none_of_body": gettext_noop("No certificate of %(body)s covers “%(offer)s”."),
    NOT_VALID: gettext_noop("Certificate № %(number)s for “%(offer)s” is %(status)s."),
    EXPIRED: gettext_noop(
        "Certificate № %(number)s for “%(offer)s” expires on %(until)s, "
        "before the deadline %(deadline)s."
    ),
    NOT_YET: gettext_noop("Certificate № %(number)s for “%(offer)s” is not yet in force."),
}


def problem_message(problem: str, certificate: Any) -> str:
    """The officer's wording of ``problem`` about ``certificate`` (a ``Certificate``)."""
    names = {"number": certificate.number}
    if problem == OTHER_BODY:
        names["body"] = certificate.body
    elif problem == NOT_VALID:
        names["status"] = certificate.get_status_display()
    elif problem == EXPIRED:
        names["date"] = certificate.valid_until.isoformat()
    elif problem == NOT_YET:
        names["date"] = certificate.issued_on.isoformat()
    return gettext(OFFICER_MESSAGES[problem]) % names
