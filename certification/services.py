"""Writes of the corporate review, certification and the register.

The ``record_*`` and ``guard_*`` functions are the stage records and guards that
``certification.pipeline`` attaches to ``suppliers.pipeline``; they run inside the offer
transition's transaction and receive the stage's ``data`` cleaned by its input
(``certification.inputs``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap_portal import bulk, okpd2
from roadmap_portal.api.exceptions import django_validation_detail
from roadmap_portal.choices import Role
from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed
from roadmap_portal.models import CertificationBody, Corporation
from roadmap_portal.scope import Actor, has_role, require, scope_of
from suppliers import pipeline
from suppliers.choices import OfferStatus
from suppliers.models import Offer, OfferTransition, Supplier
from suppliers.selectors import offers_visible_to
from suppliers.services import bulk_transition_request, offer_transition, offer_transition_system
from suppliers.validators import validate_pdf_upload

from . import lifecycle, rules
from .choices import (
    CertificateEventKind,
    CertificateStatus,
    RegisterEventKind,
)
from .models import (
    Certificate,
    CertificateEvent,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    RegisterEntryEvent,
    Requirement,
    RequirementCheck,
)
from .selectors import certificates_visible_to, register_visible_to, requirements_visible_to

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.base import File


def _group_of(offer: Offer) -> Corporation:
    return offer.roadmap.corporation


def _certificate_event(
    certificate: Certificate,
    kind: str,
    *,
    actor: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> CertificateEvent:
    """The certificate's append-only record of what happened to it, with its status after."""
    return CertificateEvent.objects.create(
        certificate=certificate,
        kind=kind,
        status=certificate.status,
        reason=reason or "",
        data=data or {},
        actor=actor,
    )


def _register_events(
    entry_ids: list[int],
    kind: str,
    *,
    actor: Any,
    certificate_id: int | None = None,
    reason: str = "",
    transition: Any = None,
) -> None:
    """The register's append-only record: one event per entry."""
    RegisterEntryEvent.objects.bulk_create(
        RegisterEntryEvent(
            entry_id=entry_id,
            kind=kind,
            certificate_id=certificate_id,
            reason=reason or "",
            transition=transition,
            actor=actor,
        )
        for entry_id in entry_ids
    )


def applicable_requirements(offer: Offer) -> list[Requirement]:
    """The group's active requirements whose categories cover the offer's OKPD2 code."""
    reqs = Requirement.objects.filter(corporation_id=_group_of(offer).pk, active=True)
    return [r for r in reqs if r.applies_to(offer.okpd2)]


def _save_outcomes(
    offer: Offer, user: Any, transition: OfferTransition, parsed: list[tuple[Requirement, str, str]]
) -> dict[str, Any]:
    RequirementCheck.objects.bulk_create(
        RequirementCheck(
            offer=offer,
            transition=transition,
            requirement=req,
            outcome=outcome,
            remarks=remarks,
            checked_by=user,
        )
        for req, outcome, remarks in parsed
    )
    return {
        "requirements": [
            {"requirement": req.pk, "code": req.code, "outcome": outcome, "remarks": remarks}
            for req, outcome, remarks in parsed
        ]
    }


def record_requirements_check(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Accepting stores an outcome for every applicable requirement, none of them “not met”
    (``rules.unsettled_requirements``, which ``inputs.RequirementsCheckInput`` asks)."""
    return _save_outcomes(offer, user, transition, data["outcomes"])


def record_requirements_check_optional(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """A rejection may carry the outcomes that led to it."""
    return _save_outcomes(offer, user, transition, data["outcomes"])


def record_readiness(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Readiness for mass production needs findings and confirmed production capacity
    (``rules.readiness_problems``, which the stage's input ``inputs.ReadinessInput`` asks)."""
    visit = data["site_visit_on"]
    ReadinessEvaluation.objects.create(
        offer=offer,
        transition=transition,
        capacity_confirmed=True,
        site_visit_on=visit,
        findings=data["findings"],
        evaluated_by=user,
    )
    return {
        "capacity_confirmed": True,
        "site_visit_on": visit.isoformat() if visit else None,
        "findings": data["findings"],
    }


def _record_test(
    offer: Offer, user: Any, transition: OfferTransition, test: dict[str, Any] | None
) -> ProductTest | None:
    """The test given with the decision (``inputs.ProductTestInput``), where one is."""
    if test is None:
        return None
    return ProductTest.objects.create(
        offer=offer,
        transition=transition,
        kind=test["kind"],
        started_on=test["started_on"],
        finished_on=test["finished_on"],
        result=test["result"],
        remarks=test["remarks"],
        recorded_by=user,
    )


def _tests_of(offer: Offer) -> list[ProductTest]:
    """The offer's tests in the order they were made."""
    return list(ProductTest.objects.filter(offer=offer).order_by("started_on", "id"))


def _tests_summary(tests: list[ProductTest]) -> dict[str, Any]:
    return {
        "tests": [
            {
                "id": t.pk,
                "kind": t.kind,
                "started_on": t.started_on.isoformat(),
                "finished_on": t.finished_on.isoformat() if t.finished_on else None,
                "result": t.result,
            }
            for t in tests
        ]
    }


def record_tests_passed(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Tests pass when a passed test is recorded and the latest test of each type passed
    (``rules.passing_tests_problem``: a failed test counts until a repeated test of the same
    type passes)."""
    _record_test(offer, user, transition, data["test"])
    tests = _tests_of(offer)
    found = rules.passing_tests_problem(tests)
    if found is None:
        return _tests_summary(tests)
    problem, failed = found
    if problem == rules.NO_PASSED_TEST:
        raise ValidationError(
            {
                "data": ValidationError(
                    _("No passed test is recorded: record a test (“test”) with its result."),
                    code=rules.NO_PASSED_TEST,
                )
            }
        )
    kinds = ", ".join(str(t.get_kind_display()) for t in failed)
    raise ValidationError(
        {
            "data": ValidationError(
                _("The latest %(kinds)s failed: use “fail_tests” or record a repeated test.")
                % {"kinds": kinds},
                code=rules.LATEST_TEST_FAILED,
                params={"kinds": kinds},
            )
        }
    )


def record_tests_failed(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Failing needs a failed test on record, given now or recorded before
    (``rules.failing_tests_problem``)."""
    _record_test(offer, user, transition, data["test"])
    tests = _tests_of(offer)
    if rules.failing_tests_problem(tests) is not None:
        raise ValidationError(
            {
                "data": ValidationError(
                    _("No failed test is recorded: give the failed “test”."),
                    code=rules.NO_FAILED_TEST,
                )
            }
        )
    return _tests_summary(tests)


def guard_certification_required(*, offer: Offer, user: Any, data: dict[str, Any]) -> None:
    corporation = Corporation.objects.get(pk=_group_of(offer).pk)
    if corporation.required_body_id is None:
        raise TransitionNotAllowed(
            _("%(corp)s requires no certification: the offer goes straight to the register.")
            % {"corp": corporation.short_name}
        )


def guard_no_certification_required(*, offer: Offer, user: Any, data: dict[str, Any]) -> None:
    corporation = Corporation.objects.get(pk=_group_of(offer).pk)
    if corporation.required_body_id is not None:
        raise TransitionNotAllowed(
            _("%(corp)s requires a certificate of %(body)s before the register.")
            % {"corp": corporation.short_name, "body": corporation.required_body}
        )


def certificate_problem(
    certificate: Certificate, offer: Offer, *, on: datetime.date | None = None
) -> str | None:
    """Why ``certificate`` cannot support ``offer`` on a day, or None when it can
    (``rules.certificate_problem`` in the officer's words)."""
    facts = rules.OfferFacts.of(offer)
    problem = rules.certificate_problem(
        certificate,
        facts,
        on=on or timezone.localdate(),
        covers=certificate.offers.filter(pk=offer.pk).exists(),
    )
    return rules.problem_message(problem, certificate) if problem else None


def record_certification(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Certify needs a valid certificate of the required body covering the offer (the
    officer's own, ``inputs.CertificationInput``)."""
    certificate = data["certificate"]
    problem = certificate_problem(certificate, offer)
    if problem:
        raise ValidationError({"data": problem})
    return {"certificate": certificate.pk, "number": certificate.number}


def current_certificate(offer: Offer, *, on: datetime.date | None = None) -> Certificate | None:
    """The certificate of the required body that supports the offer (``rules``), the one
    valid longest first; None when the group requires no certification. One query (the
    rule in SQL, ``rules.usable_q``) answering one row at most."""
    facts = rules.OfferFacts.of(offer)
    if facts.required_body_id is None:
        return None
    return (
        Certificate.objects.filter(rules.usable_q(facts, on=on or timezone.localdate()))
        .filter(offers=offer)
        .order_by("-valid_until", "-id")
        .first()
    )


def record_register_inclusion(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """Inclusion (or reinstatement) takes the next entry number of the corporation's register;
    where the corporation requires certification, a valid certificate must cover the offer."""
    corporation = Corporation.objects.select_for_update().get(pk=_group_of(offer).pk)
    certificate = None
    if corporation.required_body_id:
        certificate = current_certificate(offer)
        if certificate is None:
            raise ValidationError(
                {
                    "data": _("No valid certificate of %(body)s covers this offer.")
                    % {"body": corporation.required_body}
                }
            )
    last = RegisterEntry.objects.filter(corporation=corporation).aggregate(n=Max("number"))["n"]
    entry = RegisterEntry.objects.create(
        corporation=corporation,
        number=(last or 0) + 1,
        offer=offer,
        supplier_id=offer.supplier_id,
        okpd2=offer.okpd2,
        certificate=certificate,
        included_on=timezone.localdate(),
    )
    _register_events(
        [entry.pk],
        RegisterEventKind.INCLUDED,
        actor=user,
        certificate_id=certificate.pk if certificate else None,
        transition=transition,
    )
    return {"register_entry": entry.pk, "number": entry.number}


def record_register_exclusion(
    *, offer: Offer, user: Any, data: dict[str, Any], transition: OfferTransition, comment: str
) -> dict[str, Any]:
    """The offer's entries in force are excluded (once: an excluded entry is final)."""
    entries = list(
        RegisterEntry.objects.filter(offer=offer, excluded_on__isnull=True)
        .order_by("id")
        .values_list("pk", "number")
    )
    RegisterEntry.objects.filter(pk__in=[pk for pk, _n in entries]).update(
        excluded_on=timezone.localdate(), exclusion_reason=comment, updated=timezone.now()
    )
    _register_events(
        [pk for pk, _n in entries],
        RegisterEventKind.EXCLUDED,
        actor=user,
        reason=comment,
        transition=transition,
    )
    return {"excluded_entries": [number for _pk, number in entries]}


@transaction.atomic
def register_entries_bulk_transition(
    *, user: Actor, action: str, ids: Iterable[Any], comment: str | None = ""
) -> list[bulk.RowResult]:
    """Exclude (one reason for all) or reinstate many register entries: each entry's offer
    takes the pipeline's ``exclude`` or ``reinstate`` through ``offer_transition``, in a
    transaction of its own, so each entry is excluded or reinstated exactly as on the
    offer's review page. The ids are the entries' ids, read through the user's register
    (``register_visible_to``); an entry whose offer the user may not move (another group's)
    answers "not found" like an unknown id. An entry already excluded is not excluded again,
    even when its offer has since a newer entry in force. The action, the ids and the
    reason are checked once for the whole request (ValidationError, RoleNotAllowed)."""
    checked, comment = bulk_transition_request(
        user=user,
        action=action,
        actions=pipeline.REGISTER_BULK_ACTIONS,
        ids=ids,
        comment=comment,
    )
    entries = {
        entry.pk: entry
        for entry in register_visible_to(user)
        .select_related(None)
        .select_related("offer")
        .filter(pk__in=checked)
    }
    names = {
        pk: _("№ %(number)s, %(product)s") % {"number": e.number, "product": e.offer.name}
        for pk, e in entries.items()
    }

    def act(pk: int) -> bulk.RowResult:
        entry = entries.get(pk)
        if entry is None:
            raise RegisterEntry.DoesNotExist
        if action == "exclude" and entry.excluded_on is not None:
            raise TransitionNotAllowed(
                _("Entry № %(number)s is already excluded.") % {"number": entry.number}
            )
        offer, _history = offer_transition(
            offer_id=entry.offer_id, user=user, action=action, comment=comment
        )
        return bulk.RowResult(
            pk,
            bulk.DONE,
            _("Done: the offer is now %(status)s.") % {"status": offer.get_status_display()},
            status=offer.status,
            status_display=offer.get_status_display(),
        )

    return bulk.run_each(checked, act, names=names)


def _certificate_step(
    certificate: Certificate, action: str, *, actor: User | None, reason: str
) -> Certificate:
    """Move the locked ``certificate`` along ``lifecycle.CERTIFICATES`` by ``action``: its
    status becomes the transition's target, with the reason, and the certificate's history
    gets the transition's event. Every status change of a certificate takes this path.
    TransitionNotAllowed where the table has no such step from the current status."""
    step = lifecycle.CERTIFICATES.find(action, certificate.status)
    if step is None:
        raise TransitionNotAllowed(
            _("Certificate %(number)s is %(status)s and cannot change.")
            % {"number": certificate.number, "status": certificate.get_status_display()}
        )
    certificate.status = step.target
    certificate.status_reason = reason
    certificate.save(update_fields=["status", "status_reason"])
    _certificate_event(certificate, lifecycle.EVENTS[step.action], actor=actor, reason=reason)
    return certificate


@transaction.atomic
def certificate_set_status(
    *, certificate_id: int, user: Any, status: str, reason: str
) -> Certificate:
    """Suspend, revoke or reinstate a certificate along ``lifecycle.CERTIFICATES``; its
    registered offers leave the register at once."""
    certificate = (
        certificates_visible_to(user).select_for_update(of=("self",)).get(pk=certificate_id)
    )
    if not has_role(user, Role.OFFICER):
        raise RoleNotAllowed(_("Only the certification body's officers change a certificate."))
    step = lifecycle.officer_step(status)
    if step is None:
        raise ValidationError({"status": _("Unknown status.")})
    if not (reason or "").strip() and step.comment_required:
        raise ValidationError({"reason": _("Give the reason.")})
    _certificate_step(certificate, step.action, actor=user, reason=reason or "")
    if status != CertificateStatus.VALID:
        exclude_offers_of_certificate(certificate=certificate, reason=reason, actor=user)
    return certificate


def exclude_offers_of_certificate(
    *,
    certificate: Certificate,
    reason: str,
    actor: User | None = None,
    on: datetime.date | None = None,
) -> list[int]:
    """Registered offers whose register entry rests on ``certificate`` are excluded."""
    entries = (
        RegisterEntry.objects.filter(certificate=certificate, excluded_on__isnull=True)
        .filter(offer__status=OfferStatus.REGISTERED)
        .select_related("offer", "offer__roadmap", "offer__roadmap__corporation")
        .order_by("id")
    )
    offer_ids = []
    for entry in entries:
        # A renewal (or another valid certificate of the required body) keeps the offer in.
        successor = current_certificate(entry.offer, on=on)
        if successor is not None and successor.pk != certificate.pk:
            RegisterEntry.objects.filter(pk=entry.pk).update(
                certificate=successor, updated=timezone.now()
            )
            _register_events(
                [entry.pk],
                RegisterEventKind.CERTIFICATE_REPLACED,
                actor=actor,
                certificate_id=successor.pk,
                reason=reason,
            )
            continue
        offer_ids.append(entry.offer_id)
    for offer_id in offer_ids:
        offer_transition_system(
            offer_id=offer_id,
            action="exclude",
            comment=_("Certificate %(number)s: %(reason)s")
            % {"number": certificate.number, "reason": reason},
        )
    return offer_ids


def lapse_certificates(*, on: datetime.date | None = None) -> dict[str, int]:
    """Certificates past ``valid_until`` become expired (the lifecycle's ``expire``, with
    its event) and their offers leave the register. Running it twice for the same day
    changes nothing more."""
    on = on or timezone.localdate()
    lapsed = 0
    excluded = 0
    ids = list(
        Certificate.objects.filter(status=CertificateStatus.VALID, valid_until__lt=on).values_list(
            "pk", flat=True
        )
    )
    for cert_id in ids:
        with transaction.atomic():
            certificate = Certificate.objects.select_for_update().get(pk=cert_id)
            if not rules.lapsed(certificate, on=on):
                continue  # expired (or changed) since it was read: nothing more to do
            reason = _("Expired on %(date)s.") % {"date": certificate.valid_until.isoformat()}
            _certificate_step(certificate, "expire", actor=None, reason=reason)
            excluded += len(
                exclude_offers_of_certificate(
                    certificate=certificate, reason=certificate.status_reason, on=on
                )
            )
            lapsed += 1
    return {"lapsed": lapsed, "excluded": excluded}


# --- uploads -------------------------------------------------------------------------------


# --- corporate requirements ------------------------------------------------------------------


def parse_categories(raw: Any) -> list[str]:
    """OKPD2 prefixes from a list or from text separated by commas, spaces or new lines."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        items = raw.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",")
    elif isinstance(raw, list | tuple):
        items = [str(item) for item in raw]
    else:
        raise ValidationError({"categories": _("Give the categories as a list of OKPD2 codes.")})
    categories = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            okpd2.validate(item)
        except ValidationError as exc:
            raise ValidationError({"categories": exc.messages}) from exc
        if item not in categories:
            categories.append(item)
    return categories


def _requirement_group(user: Actor, corporation: Corporation | None) -> Corporation:
    scope = scope_of(user)
    if scope.is_admin:
        if corporation is None:
            raise ValidationError({"corporation": _("Choose the corporation group.")})
        if corporation.parent_id:
            raise ValidationError(
                {"corporation": _("Requirements belong to the group's head corporation.")}
            )
        return corporation
    require(
        user, "requirement.keep", message=_("Only the group's reviewers keep its requirements.")
    )
    if corporation is not None and corporation.pk != scope.group_id:
        raise ValidationError(
            {"corporation": _("You keep the requirements of your own corporation group only.")}
        )
    # A reviewer's profile always names a group (Profile.clean).
    return Corporation.objects.get(pk=scope.group_id)  # type: ignore[misc]


def requirement_save(
    *,
    user: Actor,
    code: str | None,
    title: str | None,
    categories: Any,
    active: bool = True,
    requirement: Requirement | None = None,
    corporation: Corporation | None = None,
) -> Requirement:
    """Reviewers keep their group's requirements; a code is unique within the group."""
    if requirement is not None:
        corporation = requirement.corporation
    group = _requirement_group(user, corporation)
    if requirement is not None and requirement.corporation_id != group.pk:
        raise Requirement.DoesNotExist
    code = (code or "").strip()
    title = (title or "").strip()
    errors = {}
    if not code:
        errors["code"] = _("Give the requirement's code.")
    if not title:
        errors["title"] = _("Give the requirement's title.")
    if errors:
        raise ValidationError(errors)
    categories = parse_categories(categories)
    clash = Requirement.objects.filter(corporation=group, code=code)
    if requirement is not None:
        clash = clash.exclude(pk=requirement.pk)
    if clash.exists():
        raise ValidationError(
            {
                "code": _("%(corp)s already has a requirement %(code)s.")
                % {"corp": group, "code": code}
            }
        )
    requirement = requirement or Requirement(corporation=group)
    requirement.code, requirement.title = code, title
    requirement.categories, requirement.active = categories, bool(active)
    try:
        with transaction.atomic():
            requirement.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "code": _("%(corp)s already has a requirement %(code)s.")
                % {"corp": group, "code": code}
            }
        ) from exc
    return requirement


def requirement_set_active(*, requirement_id: int, user: Actor, active: bool) -> Requirement:
    """A requirement is deactivated, never deleted: past checks keep pointing at it."""
    requirement = requirements_visible_to(user).get(pk=requirement_id)
    _requirement_group(user, requirement.corporation)
    Requirement.objects.filter(pk=requirement.pk).update(active=bool(active))
    requirement.active = bool(active)
    return requirement


# --- product tests -------------------------------------------------------------------------


def product_test_record(
    *,
    offer_id: int,
    user: User,
    kind: str,
    started_on: datetime.date | None,
    result: str,
    finished_on: datetime.date | None = None,
    remarks: str | None = "",
    protocol: File | None = None,
) -> ProductTest:
    """A test is recorded by the group's reviewer while the offer awaits its tests
    (readiness confirmed); several tests per offer, each with an optional PDF protocol, each
    record whole (``rules.product_test_problems``)."""
    with transaction.atomic():
        offer = offers_visible_to(user).select_for_update(of=("self",)).get(pk=offer_id)
        if not has_role(user, Role.REVIEWER):
            raise RoleNotAllowed(_("Only the corporation's reviewers record tests."))
        if offer.status != OfferStatus.READINESS_CONFIRMED:
            raise TransitionNotAllowed(
                _("Tests are recorded after readiness is confirmed; the offer is %(status)s.")
                % {"status": offer.get_status_display()},
                current=offer.status,
            )
        problems = rules.product_test_problems(
            kind=kind, result=result, started_on=started_on, finished_on=finished_on
        )
        if problems:
            raise ValidationError(
                {field: rules.product_test_message(code) for field, code in problems.items()}
            )
        assert started_on is not None  # refused above
        if protocol is not None:
            validate_pdf_upload(protocol, field="protocol")
        test = ProductTest(
            offer=offer,
            kind=kind,
            started_on=started_on,
            finished_on=finished_on,
            result=result,
            remarks=(remarks or "").strip(),
            recorded_by=user,
        )
        if protocol is not None:
            test.protocol.save("protocol.pdf", protocol, save=False)
        test.save()
    return test


# --- certificates --------------------------------------------------------------------------


def _officer_body(user: Actor, body: CertificationBody | None) -> CertificationBody:
    scope = scope_of(user)
    if scope.is_admin:
        if body is None:
            raise ValidationError({"body": _("Choose the certification body.")})
        return body
    require(
        user,
        "certificate.issue",
        message=_("Only the certification body's officers issue certificates."),
    )
    if body is not None and body.pk != scope.body_id:
        raise ValidationError({"body": _("You issue certificates of your own body only.")})
    # An officer's profile always names a body (Profile.clean).
    return CertificationBody.objects.get(pk=scope.body_id)  # type: ignore[misc]


def certificate_issue(
    *,
    user: User,
    number: str | None,
    supplier: Supplier | None,
    offers: Iterable[Offer] | None,
    issued_on: datetime.date | None,
    valid_until: datetime.date | None,
    body: CertificationBody | None = None,
    status: str = CertificateStatus.VALID,
    scan: File | None = None,
    renews: Certificate | None = None,
) -> Certificate:
    """An officer issues a certificate of their body to ONE supplier for offers of that
    supplier in their work; the number is unique per body, the term ends after it begins."""
    body = _officer_body(user, body)
    number = (number or "").strip()
    errors: dict[str, str | list[str]] = {}
    if not number:
        errors["number"] = _("Give the certificate's number.")
    elif Certificate.objects.filter(body=body, number=number).exists():
        errors["number"] = _("%(body)s already issued a certificate № %(number)s.") % {
            "body": body,
            "number": number,
        }
    if status != CertificateStatus.VALID:
        errors["status"] = _("A new certificate is valid; suspend or revoke it afterwards.")
    if issued_on is None:
        errors["issued_on"] = _("Give the date of issue.")
    if valid_until is None:
        errors["valid_until"] = _("Give the date the certificate is valid until.")
    elif issued_on is not None and valid_until < issued_on:
        errors["valid_until"] = _("A certificate cannot expire before it is issued.")
    offers = list(offers or [])
    if not offers:
        errors["offers"] = _("Choose the offers the certificate covers.")
    if supplier is None:
        errors["supplier"] = _("Choose the supplier.")
    else:
        foreign = [o.name for o in offers if o.supplier_id != supplier.pk]
        if foreign:
            errors["offers"] = _(
                "A certificate covers offers of one supplier: %(names)s are not %(supplier)s's."
            ) % {
                "names": ", ".join(foreign),
                "supplier": supplier,
            }
    visible = set(
        offers_visible_to(user).filter(pk__in=[o.pk for o in offers]).values_list("pk", flat=True)
    )
    hidden = [o for o in offers if o.pk not in visible]
    if hidden and "offers" not in errors:
        errors["offers"] = _("Offers %(ids)s are not in your certification work.") % {
            "ids": ", ".join(str(o.pk) for o in hidden)
        }
    if scan is not None:
        try:
            validate_pdf_upload(scan, field="scan")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert issued_on is not None and valid_until is not None  # refused above
    with transaction.atomic():
        certificate = Certificate(
            number=number,
            body=body,
            supplier=supplier,
            issued_on=issued_on,
            valid_until=valid_until,
            status=CertificateStatus.VALID,
            renews=renews,
            issued_by=user,
        )
        if scan is not None:
            certificate.scan.save("scan.pdf", scan, save=False)
        try:
            with transaction.atomic():
                certificate.save()
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "number": _("%(body)s already issued a certificate № %(number)s.")
                    % {"body": body, "number": number}
                }
            ) from exc
        certificate.offers.set(offers)
        _certificate_event(
            certificate,
            CertificateEventKind.ISSUED,
            actor=user,
            data={"offers": sorted(o.pk for o in offers), "renews": renews.pk if renews else None},
        )
    return certificate


def certificate_renew(
    *,
    certificate_id: int,
    user: User,
    number: str | None,
    issued_on: datetime.date | None,
    valid_until: datetime.date | None,
    scan: File | None = None,
) -> Certificate:
    """A renewal is a new certificate covering the same offers; the old one stays as it was
    and stops its expiry reminders. Register entries resting on the old one move to the new
    one when it is valid today."""
    with transaction.atomic():
        old = certificates_visible_to(user).select_for_update(of=("self",)).get(pk=certificate_id)
        if not has_role(user, Role.OFFICER):
            raise RoleNotAllowed(_("Only the certification body's officers renew certificates."))
        if Certificate.objects.filter(renews=old).exists():
            raise TransitionNotAllowed(
                _("Certificate %(number)s is renewed already.") % {"number": old.number}
            )
        if old.status == CertificateStatus.REVOKED:
            raise TransitionNotAllowed(
                _("Certificate %(number)s is revoked and cannot be renewed.")
                % {"number": old.number}
            )
        new = certificate_issue(
            user=user,
            body=old.body,
            number=number,
            supplier=old.supplier,
            offers=list(old.offers.all()),
            issued_on=issued_on,
            valid_until=valid_until,
            scan=scan,
            renews=old,
        )
        _certificate_event(
            old, CertificateEventKind.RENEWED, actor=user, data={"renewed_by": new.pk}
        )
        if new.is_valid_on(timezone.localdate()):
            moved = RegisterEntry.objects.filter(certificate=old, excluded_on__isnull=True)
            entry_ids = list(moved.order_by("id").values_list("pk", flat=True))
            RegisterEntry.objects.filter(pk__in=entry_ids).update(
                certificate=new, updated=timezone.now()
            )
            _register_events(
                entry_ids,
                RegisterEventKind.CERTIFICATE_REPLACED,
                actor=user,
                certificate_id=new.pk,
            )
    return new


def certificate_attach_scan(*, certificate_id: int, user: User, scan: File) -> Certificate:
    """The body's officer attaches (or replaces) the certificate's scan, a PDF."""
    with transaction.atomic():
        certificate = (
            certificates_visible_to(user).select_for_update(of=("self",)).get(pk=certificate_id)
        )
        if not has_role(user, Role.OFFICER):
            raise RoleNotAllowed(_("Only the certification body's officers attach scans."))
        validate_pdf_upload(scan, field="scan")
        old = certificate.scan.name if certificate.scan else ""
        certificate.scan.save("scan.pdf", scan, save=False)
        certificate.save(update_fields=["scan"])
        _certificate_event(
            certificate,
            CertificateEventKind.SCAN_ATTACHED,
            actor=user,
            data={"replaced": bool(old)},
        )
    if old:
        certificate.scan.storage.delete(old)
    return certificate


def certificate_certify_offers(
    *, certificate_id: int, user: Actor
) -> tuple[list[Offer], list[tuple[Offer, str]]]:
    """Run ``certify`` for each tested offer the certificate covers; returns
    (certified offers, [(offer, reason)] refused)."""
    certificate = certificates_visible_to(user).get(pk=certificate_id)
    done, refused = [], []
    for offer in certificate.offers.filter(status=OfferStatus.TESTED).order_by("id"):
        try:
            offer_transition(
                offer_id=offer.pk,
                user=user,
                action="certify",
                data={"certificate": certificate.pk},
            )
        except ValidationError as exc:
            detail = django_validation_detail(exc)
            refused.append((offer, " ".join(m for ms in detail.values() for m in ms)))
        except (TransitionNotAllowed, RoleNotAllowed) as exc:
            refused.append((offer, str(exc.message)))
        else:
            done.append(offer)
    return done, refused


# --- expiry reminders ----------------------------------------------------------------------

REMINDER_DAYS = (90, 30, 7, 0)


def expiry_reminders_due(
    *, on: datetime.date | None = None
) -> Iterator[tuple[Certificate, int, int]]:
    """Certificates expiring within 90, 30 and 7 days and on the day, each with its days
    left and the threshold it has reached (the notification layer reminds the supplier's
    members and the reviewers of the corporations whose offers they cover, once per
    certificate, threshold and term). A renewed certificate, or one no longer valid, is not
    due."""
    on = on or timezone.localdate()
    certificates = (
        Certificate.objects.filter(
            status=CertificateStatus.VALID,
            renewed_by__isnull=True,
            valid_until__gte=on,
            valid_until__lte=on + datetime.timedelta(days=max(REMINDER_DAYS)),
        )
        .select_related("body", "supplier")
        .prefetch_related("offers__roadmap")
        .order_by("valid_until", "id")
    )
    for certificate in certificates:
        left = (certificate.valid_until - on).days
        threshold = min(d for d in REMINDER_DAYS if d >= left)
        yield certificate, left, threshold
