"""Writes of the corporate review, certification and the register.

The ``record_*`` and ``guard_*`` functions are the stage records and guards that
``suppliers.pipeline`` names; they run inside the offer transition's transaction.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from roadmap_portal.exceptions import TransitionNotAllowed
from roadmap_portal.models import Corporation

from .choices import CertificateStatus, Outcome, TestKind, TestResult
from .models import (
    Certificate,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    Requirement,
    RequirementCheck,
)


def _group_of(offer):
    return offer.roadmap.corporation


def applicable_requirements(offer):
    """The group's active requirements whose categories cover the offer's OKPD2 code."""
    reqs = Requirement.objects.filter(corporation_id=_group_of(offer).pk, active=True)
    return [r for r in reqs if r.applies_to(offer.okpd2)]


def _parse_outcomes(offer, data, *, required):
    rows = data.get("requirements")
    applicable = {r.pk: r for r in applicable_requirements(offer)}
    if rows is None:
        if required and applicable:
            raise ValidationError(
                {
                    "data": _("The requirements check is missing: give an outcome for %(codes)s.")
                    % {"codes": ", ".join(r.code for r in applicable.values())}
                }
            )
        return []
    if not isinstance(rows, list):
        raise ValidationError({"data": _("“requirements” must be a list of outcomes.")})
    outcomes = {}
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValidationError({"data": _("Outcome %(n)d is not an object.") % {"n": index}})
        try:
            req_id = int(row.get("requirement"))
        except (TypeError, ValueError):
            req_id = None
        if req_id not in applicable:
            raise ValidationError(
                {"data": _("Outcome %(n)d names no applicable requirement.") % {"n": index}}
            )
        if row.get("outcome") not in Outcome.values:
            raise ValidationError(
                {
                    "data": _("Outcome %(n)d must be one of %(values)s.")
                    % {"n": index, "values": ", ".join(Outcome.values)}
                }
            )
        outcomes[req_id] = (row["outcome"], str(row.get("remarks") or ""))
    missing = [r.code for pk, r in applicable.items() if pk not in outcomes]
    if required and missing:
        raise ValidationError(
            {"data": _("Outcomes are missing for %(codes)s.") % {"codes": ", ".join(missing)}}
        )
    return [(applicable[pk], outcome, remarks) for pk, (outcome, remarks) in outcomes.items()]


def _save_outcomes(offer, user, transition, parsed):
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


def record_requirements_check(*, offer, user, data, transition, comment):
    """Accepting needs an outcome for every applicable requirement, none of them “not met”."""
    parsed = _parse_outcomes(offer, data, required=True)
    not_met = [req.code for req, outcome, _r in parsed if outcome == Outcome.NOT_MET]
    if not_met:
        raise ValidationError(
            {
                "data": _("Requirements not met: %(codes)s. Reject the offer instead.")
                % {"codes": ", ".join(not_met)}
            }
        )
    return _save_outcomes(offer, user, transition, parsed)


def record_requirements_check_optional(*, offer, user, data, transition, comment):
    """A rejection may carry the outcomes that led to it."""
    return _save_outcomes(offer, user, transition, _parse_outcomes(offer, data, required=False))


def _date(data, name, *, required):
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            raise ValidationError({"data": _("“%(field)s” is missing.") % {"field": name}})
        return None
    if isinstance(raw, datetime.date):
        return raw
    value = parse_date(str(raw)) if isinstance(raw, str) else None
    if value is None:
        raise ValidationError(
            {"data": _("“%(field)s” must be a date as YYYY-MM-DD.") % {"field": name}}
        )
    return value


def record_readiness(*, offer, user, data, transition, comment):
    """Readiness for mass production needs findings and confirmed production capacity."""
    findings = str(data.get("findings") or "").strip()
    if not findings:
        raise ValidationError({"data": _("The readiness findings are missing (“findings”).")})
    if data.get("capacity_confirmed") is not True:
        raise ValidationError(
            {"data": _("Production capacity must be confirmed (“capacity_confirmed”: true).")}
        )
    visit = _date(data, "site_visit_on", required=False)
    ReadinessEvaluation.objects.create(
        offer=offer,
        transition=transition,
        capacity_confirmed=True,
        site_visit_on=visit,
        findings=findings,
        evaluated_by=user,
    )
    return {
        "capacity_confirmed": True,
        "site_visit_on": visit.isoformat() if visit else None,
        "findings": findings,
    }


def _record_test_from_data(offer, user, transition, data, expected):
    test = data.get("test")
    if test is None:
        return None
    if not isinstance(test, dict):
        raise ValidationError({"data": _("“test” must be an object.")})
    kind = test.get("kind")
    if kind not in TestKind.values:
        raise ValidationError(
            {
                "data": _("Test type must be one of %(values)s.")
                % {"values": ", ".join(TestKind.values)}
            }
        )
    result = test.get("result", expected)
    if result != expected:
        raise ValidationError(
            {
                "data": _("The test result must be “%(result)s” for this action.")
                % {"result": expected}
            }
        )
    started = _date(test, "started_on", required=True)
    finished = _date(test, "finished_on", required=False)
    if finished and finished < started:
        raise ValidationError({"data": _("A test cannot finish before it starts.")})
    return ProductTest.objects.create(
        offer=offer,
        transition=transition,
        kind=kind,
        started_on=started,
        finished_on=finished,
        result=result,
        remarks=str(test.get("remarks") or ""),
        recorded_by=user,
    )


def _tests_summary(offer):
    return {
        "tests": [
            {
                "id": t.pk,
                "kind": t.kind,
                "started_on": t.started_on.isoformat(),
                "finished_on": t.finished_on.isoformat() if t.finished_on else None,
                "result": t.result,
            }
            for t in ProductTest.objects.filter(offer=offer).order_by("started_on", "id")
        ]
    }


def record_tests_passed(*, offer, user, data, transition, comment):
    """Tests pass when a passed test is recorded and no recorded test failed."""
    _record_test_from_data(offer, user, transition, data, TestResult.PASSED)
    tests = ProductTest.objects.filter(offer=offer)
    if not tests.filter(result=TestResult.PASSED).exists():
        raise ValidationError(
            {"data": _("No passed test is recorded: record a test (“test”) with its result.")}
        )
    if tests.filter(result=TestResult.FAILED).exists():
        raise ValidationError(
            {"data": _("A recorded test failed: use “fail_tests” or record a repeated test.")}
        )
    return _tests_summary(offer)


def record_tests_failed(*, offer, user, data, transition, comment):
    """Failing needs a failed test on record (given now or recorded before)."""
    _record_test_from_data(offer, user, transition, data, TestResult.FAILED)
    if not ProductTest.objects.filter(offer=offer, result=TestResult.FAILED).exists():
        raise ValidationError({"data": _("No failed test is recorded: give the failed “test”.")})
    return _tests_summary(offer)


def guard_certification_required(*, offer, user, data):
    corporation = Corporation.objects.get(pk=_group_of(offer).pk)
    if corporation.required_body_id is None:
        raise TransitionNotAllowed(
            _("%(corp)s requires no certification: the offer goes straight to the register.")
            % {"corp": corporation.short_name}
        )


def guard_no_certification_required(*, offer, user, data):
    corporation = Corporation.objects.get(pk=_group_of(offer).pk)
    if corporation.required_body_id is not None:
        raise TransitionNotAllowed(
            _("%(corp)s requires a certificate of %(body)s before the register.")
            % {"corp": corporation.short_name, "body": corporation.required_body}
        )


def certificate_problem(certificate, offer, *, on=None):
    """Why ``certificate`` cannot support ``offer`` on a day, or None when it can."""
    on = on or timezone.localdate()
    required = _group_of(offer).required_body_id
    if required and certificate.body_id != required:
        return _("Certificate %(number)s is issued by %(body)s, not by the required body.") % {
            "number": certificate.number,
            "body": certificate.body,
        }
    if certificate.supplier_id != offer.supplier_id:
        return _("Certificate %(number)s belongs to another supplier.") % {
            "number": certificate.number
        }
    if not certificate.offers.filter(pk=offer.pk).exists():
        return _("Certificate %(number)s does not cover this offer.") % {
            "number": certificate.number
        }
    if certificate.status != CertificateStatus.VALID:
        return _("Certificate %(number)s is %(status)s.") % {
            "number": certificate.number,
            "status": certificate.get_status_display(),
        }
    if certificate.valid_until < on:
        return _("Certificate %(number)s expired on %(date)s.") % {
            "number": certificate.number,
            "date": certificate.valid_until.isoformat(),
        }
    if certificate.issued_on > on:
        return _("Certificate %(number)s is valid only from %(date)s.") % {
            "number": certificate.number,
            "date": certificate.issued_on.isoformat(),
        }
    return None


def record_certification(*, offer, user, data, transition, comment):
    """Certify needs a valid certificate of the required body covering the offer."""
    raw = data.get("certificate")
    if raw in (None, ""):
        raise ValidationError(
            {"data": _("The certificate is missing: give “certificate” (its id).")}
        )
    try:
        certificate = Certificate.objects.select_related("body").get(pk=int(raw))
    except (TypeError, ValueError, Certificate.DoesNotExist) as exc:
        raise ValidationError(
            {"data": _("Certificate %(id)s does not exist.") % {"id": raw}}
        ) from exc
    problem = certificate_problem(certificate, offer)
    if problem:
        raise ValidationError({"data": problem})
    return {"certificate": certificate.pk, "number": certificate.number}


def current_certificate(offer, *, on=None):
    """The valid certificate of the required body that covers the offer, latest first."""
    on = on or timezone.localdate()
    required = _group_of(offer).required_body_id
    if required is None:
        return None
    return (
        Certificate.objects.filter(
            offers=offer,
            supplier_id=offer.supplier_id,
            body_id=required,
            status=CertificateStatus.VALID,
            issued_on__lte=on,
            valid_until__gte=on,
        )
        .order_by("-valid_until", "-id")
        .first()
    )


def record_register_inclusion(*, offer, user, data, transition, comment):
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
    return {"register_entry": entry.pk, "number": entry.number}


def record_register_exclusion(*, offer, user, data, transition, comment):
    entries = RegisterEntry.objects.filter(offer=offer, excluded_on__isnull=True)
    numbers = list(entries.values_list("number", flat=True))
    entries.update(excluded_on=timezone.localdate(), exclusion_reason=comment)
    return {"excluded_entries": numbers}


@transaction.atomic
def certificate_set_status(*, certificate_id, user, status, reason):
    """Suspend or revoke a certificate; its registered offers leave the register at once."""
    from .selectors import certificates_visible_to

    certificate = (
        certificates_visible_to(user).select_for_update(of=("self",)).get(pk=certificate_id)
    )
    if status not in (
        CertificateStatus.SUSPENDED,
        CertificateStatus.REVOKED,
        CertificateStatus.VALID,
    ):
        raise ValidationError({"status": _("Unknown status.")})
    if not (reason or "").strip() and status != CertificateStatus.VALID:
        raise ValidationError({"reason": _("Give the reason.")})
    if certificate.status in (CertificateStatus.REVOKED, CertificateStatus.EXPIRED):
        raise TransitionNotAllowed(
            _("Certificate %(number)s is %(status)s and cannot change.")
            % {"number": certificate.number, "status": certificate.get_status_display()}
        )
    certificate.status = status
    certificate.status_reason = reason or ""
    certificate.save(update_fields=["status", "status_reason"])
    if status != CertificateStatus.VALID:
        exclude_offers_of_certificate(certificate=certificate, reason=reason)
    return certificate


def exclude_offers_of_certificate(*, certificate, reason, actor=None):
    """Registered offers whose register entry rests on ``certificate`` are excluded."""
    from suppliers.choices import OfferStatus
    from suppliers.services import offer_transition_system

    offer_ids = list(
        RegisterEntry.objects.filter(certificate=certificate, excluded_on__isnull=True)
        .filter(offer__status=OfferStatus.REGISTERED)
        .values_list("offer_id", flat=True)
    )
    for offer_id in offer_ids:
        offer_transition_system(
            offer_id=offer_id,
            action="exclude",
            comment=_("Certificate %(number)s: %(reason)s")
            % {"number": certificate.number, "reason": reason},
        )
    return offer_ids


def lapse_certificates(*, on=None):
    """Certificates past ``valid_until`` become expired and their offers leave the register.
    Running it twice for the same day changes nothing more."""
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
            if certificate.status != CertificateStatus.VALID or certificate.valid_until >= on:
                continue
            certificate.status = CertificateStatus.EXPIRED
            certificate.status_reason = _("Expired on %(date)s.") % {
                "date": certificate.valid_until.isoformat()
            }
            certificate.save(update_fields=["status", "status_reason"])
            excluded += len(
                exclude_offers_of_certificate(
                    certificate=certificate, reason=certificate.status_reason
                )
            )
            lapsed += 1
    return {"lapsed": lapsed, "excluded": excluded}
