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
``Certificate`` or any object with them); offers as ``OfferFacts``. Where a caller needs
only the certificates that pass, ``usable_q`` states the same rule as a filter, so the
database answers them without reading the others.

The message catalogue of the problems is here too: the officer's wording about one
certificate (``problem_message``) and the tender's wording about the best certificate an
offer has (``TENDER_MESSAGES``). The messages are marked for translation and translated
by the caller (eligibility translates each once per language).

The rules of the corporate review's stages live here as well (the second part): what
accepting an offer, confirming its readiness for mass production and deciding its tests
need, and when a product test's record is whole. The stage inputs (``inputs``), the
records and ``services.product_test_record`` ask them and word the answers; the review
page's forms ask them too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from .choices import CertificateStatus, Outcome, TestKind, TestResult

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


def usable_q(offer: OfferFacts, *, on: datetime.date, through: datetime.date | None = None) -> Q:
    """``usable`` as a filter of ``Certificate`` rows: the certificates that support the
    offer on ``on`` (through ``through``), the checks of ``certificate_problem`` in SQL. Like
    ``usable`` it answers for certificates covering the offer: the caller restricts the
    rows to them (``offers=offer``), as it reads them through the offer."""
    q = Q(
        supplier_id=offer.supplier_id,
        status=CertificateStatus.VALID,
        valid_until__gte=through or on,
        issued_on__lte=on,
    )
    if offer.required_body_id:
        q &= Q(body_id=offer.required_body_id)
    return q


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


# --- the review's stages -------------------------------------------------------------------
#
# The problem codes are the codes of the ValidationErrors the inputs and the records raise:
# the review page's forms put each on its field by its code (``service_errors``).

FINDINGS_MISSING = "findings_missing"
CAPACITY_UNCONFIRMED = "capacity_unconfirmed"
NO_PASSED_TEST = "no_passed_test"
LATEST_TEST_FAILED = "latest_test_failed"
NO_FAILED_TEST = "no_failed_test"
# A product test's record, by the field each is about.
UNKNOWN_KIND = "unknown_kind"
UNKNOWN_RESULT = "unknown_result"
WRONG_RESULT = "wrong_result"
START_MISSING = "start_missing"
FINISHED_BEFORE_START = "finished_before_start"

# The wording of a test record's problems: the same for the API's stage input and for
# recording a test on its own (``product_test_message``).
TEST_MESSAGES = {
    UNKNOWN_KIND: gettext_noop("Test type must be one of %(values)s."),
    UNKNOWN_RESULT: gettext_noop("Result must be one of %(values)s."),
    WRONG_RESULT: gettext_noop("The test result must be “%(result)s” for this action."),
    START_MISSING: gettext_noop("Give the date the test started."),
    FINISHED_BEFORE_START: gettext_noop("A test cannot finish before it starts."),
}


class RequirementLike(Protocol):
    pk: Any
    code: str


R = TypeVar("R", bound=RequirementLike)


class ProductTestLike(Protocol):
    kind: str
    result: str


P = TypeVar("P", bound=ProductTestLike)


def unsettled_requirements(
    applicable: Iterable[R], outcomes: Mapping[Any, str | None]
) -> tuple[list[R], list[R]]:
    """Accepting an offer needs an outcome for each applicable requirement of its group and
    none of them “not met” (a reviewer who finds one not met rejects the offer). Answers
    the requirements without an outcome and those not met, each in the given order;
    accepting leaves neither. ``outcomes``: the outcome given per requirement's pk."""
    applicable = list(applicable)
    missing = [r for r in applicable if not outcomes.get(r.pk)]
    not_met = [r for r in applicable if outcomes.get(r.pk) == Outcome.NOT_MET]
    return missing, not_met


def readiness_problems(*, findings: str | None, capacity_confirmed: bool | None) -> list[str]:
    """Confirming readiness for mass production needs the reviewer's findings (not blank)
    and the production capacity confirmed. Answers every problem, findings first: the
    reviewer learns of both at once."""
    problems: list[str] = []
    if not (findings or "").strip():
        problems.append(FINDINGS_MISSING)
    if capacity_confirmed is not True:
        problems.append(CAPACITY_UNCONFIRMED)
    return problems


def finishes_before_start(started_on: datetime.date, finished_on: datetime.date | None) -> bool:
    """Whether a test ends (where its end is given) before it starts: no test can."""
    return finished_on is not None and finished_on < started_on


def product_test_problems(
    *,
    kind: str | None,
    result: str | None,
    started_on: datetime.date | None,
    finished_on: datetime.date | None,
    expected: str | None = None,
) -> dict[str, str]:
    """A product test's record is whole with a known type and result, a start date and no
    end before the start; given with a test decision, its result is the decision's
    (``expected``: passed with ``pass_tests``, failed with ``fail_tests``). Answers the
    problems by the field each is about, in the order of the fields."""
    problems: dict[str, str] = {}
    if kind not in TestKind.values:
        problems["kind"] = UNKNOWN_KIND
    if result not in TestResult.values:
        problems["result"] = UNKNOWN_RESULT
    elif expected is not None and result != expected:
        problems["result"] = WRONG_RESULT
    if started_on is None:
        problems["started_on"] = START_MISSING
    elif finishes_before_start(started_on, finished_on):
        problems["finished_on"] = FINISHED_BEFORE_START
    return problems


def product_test_message(problem: str, *, expected: str | None = None) -> str:
    """The wording of a test record's ``problem`` (``expected``: the decision's result)."""
    names = {
        UNKNOWN_KIND: {"values": ", ".join(TestKind.values)},
        UNKNOWN_RESULT: {"values": ", ".join(TestResult.values)},
        WRONG_RESULT: {"result": expected},
    }.get(problem)
    text = gettext(TEST_MESSAGES[problem])
    return text % names if names else text


def passing_tests_problem(tests: Iterable[P]) -> tuple[str, list[P]] | None:
    """Passing the tests needs a test on record and the latest test of each type passed: a
    failed test counts until a repeated test of the same type passes. ``tests``: the
    offer's tests in the order they were made (start date, then id). Answers None when the
    tests pass, else the problem with the latest tests that failed."""
    latest: dict[str, P] = {}
    for test in tests:
        latest[test.kind] = test
    if not latest:
        return NO_PASSED_TEST, []
    failed = [t for t in latest.values() if t.result != TestResult.PASSED]
    return (LATEST_TEST_FAILED, failed) if failed else None


def failing_tests_problem(tests: Iterable[ProductTestLike]) -> str | None:
    """Failing the tests needs a failed test on record (given with the decision or recorded
    before): None when there is one, else the problem."""
    return None if any(t.result == TestResult.FAILED for t in tests) else NO_FAILED_TEST
