"""The typed ``data`` of the review's stages: one DRF serializer per stage record.

``suppliers.services.offer_transition`` validates a transition's ``data`` with the input its
row declares (``certification.pipeline`` attaches them), for the API and the review pages
alike, so the stage records in ``certification.services`` receive cleaned values. Each
serializer takes the offer and the user in its context: ids resolve through the user's
scope, requirements through the offer's group. The serializers parse, resolve and word
the answers; the checks that decide are ``certification.rules``' (the tests' records and
``services.product_test_record`` ask the same functions).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from roadmap_portal.fields import resolve_scoped
from roadmap_portal.input_limits import FreeTextField

from . import rules
from .choices import Outcome, TestKind, TestResult
from .selectors import certificates_visible_to, requirements_visible_to
from .services import applicable_requirements


@extend_schema_field({"type": "string", "enum": list(Outcome.values)})
class OutcomeField(serializers.CharField):
    """An outcome, checked against ``Outcome`` with the requirement it is about (the message
    names the requirement's code)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, allow_blank=True, **kwargs)


class OutcomeRow(serializers.Serializer):
    requirement = serializers.IntegerField(help_text=gettext_lazy("The requirement's id."))
    outcome = OutcomeField()
    remarks = FreeTextField(required=False, allow_blank=True, allow_null=True, default="")


class RequirementsCheckInput(serializers.Serializer):
    """The outcome of each of the group's applicable requirements (accepting): every one
    given, none of them “not met”."""

    # The rule: ``rules.unsettled_requirements`` (the docstring is the schema's description).

    complete = True
    requirements = OutcomeRow(many=True, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        offer, user = self.context["offer"], self.context["user"]
        applicable = {r.pk: r for r in applicable_requirements(offer)}
        if user is not None:
            # Ids are resolved through the reviewer's requirements, like every id a request names.
            visible = set(
                requirements_visible_to(user).filter(pk__in=applicable).values_list("pk", flat=True)
            )
            applicable = {pk: r for pk, r in applicable.items() if pk in visible}
        rows = attrs.get("requirements")
        if rows is None:
            missing, _not_met = rules.unsettled_requirements(applicable.values(), {})
            if self.complete and missing:
                raise serializers.ValidationError(
                    _("The requirements check is missing: give an outcome for %(codes)s.")
                    % {"codes": ", ".join(r.code for r in missing)}
                )
            return {"outcomes": []}
        outcomes: dict[int, tuple[str, str]] = {}
        for index, row in enumerate(rows, start=1):
            if row is None:  # the list may be null, and DRF lets its items be null too
                raise serializers.ValidationError(
                    _("Outcome %(n)d is not an object.") % {"n": index}
                )
            requirement = applicable.get(row["requirement"])
            if requirement is None:
                raise serializers.ValidationError(
                    _("Outcome %(n)d names no applicable requirement.") % {"n": index}
                )
            if row["outcome"] not in Outcome.values:
                raise serializers.ValidationError(
                    _("The outcome of %(code)s must be one of %(values)s.")
                    % {"code": requirement.code, "values": ", ".join(Outcome.values)}
                )
            outcomes[requirement.pk] = (row["outcome"], row["remarks"] or "")
        missing, not_met = rules.unsettled_requirements(
            applicable.values(), {pk: outcome for pk, (outcome, _r) in outcomes.items()}
        )
        if self.complete and missing:
            raise serializers.ValidationError(
                _("Outcomes are missing for %(codes)s.")
                % {"codes": ", ".join(r.code for r in missing)}
            )
        if self.complete and not_met:
            raise serializers.ValidationError(
                _("Requirements not met: %(codes)s. Reject the offer instead.")
                % {"codes": ", ".join(r.code for r in not_met)}
            )
        return {
            "outcomes": [
                (applicable[pk], outcome, remarks) for pk, (outcome, remarks) in outcomes.items()
            ]
        }


class RequirementsOutcomesInput(RequirementsCheckInput):
    """The outcomes that led to a rejection, where the reviewer gives them."""

    complete = False


class ReadinessInput(serializers.Serializer):
    """Readiness for mass production: findings and confirmed production capacity."""

    # The rule: ``rules.readiness_problems``.

    capacity_confirmed = serializers.BooleanField(default=False)
    site_visit_on = serializers.DateField(required=False, allow_null=True, default=None)
    findings = FreeTextField(required=False, allow_blank=True, allow_null=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["findings"] = (attrs["findings"] or "").strip()
        messages = {
            rules.FINDINGS_MISSING: _("The readiness findings are missing (“findings”)."),
            rules.CAPACITY_UNCONFIRMED: _(
                "Production capacity must be confirmed (“capacity_confirmed”: true)."
            ),
        }
        problems = [
            ErrorDetail(messages[code], code=code)
            for code in rules.readiness_problems(
                findings=attrs["findings"], capacity_confirmed=attrs["capacity_confirmed"]
            )
        ]
        if problems:
            # Both at once, each with its code: the review page puts them on its fields
            # (``forms.ReadinessForm.service_errors``).
            raise serializers.ValidationError(problems)
        return attrs


class ProductTestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TestKind.choices)
    started_on = serializers.DateField()
    finished_on = serializers.DateField(required=False, allow_null=True, default=None)
    result = serializers.ChoiceField(
        choices=TestResult.choices,
        required=False,
        help_text=gettext_lazy("The action's own result where omitted."),
    )
    remarks = FreeTextField(required=False, allow_blank=True, allow_null=True, default="")


class PassedTestsInput(serializers.Serializer):
    """A test recorded with the decision (optional: a test recorded before counts too)."""

    # The rule: ``rules.product_test_problems`` (whole, with the decision's result).

    expected = TestResult.PASSED
    test = ProductTestInput(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        test = attrs.get("test")
        if test is None:
            return {"test": None}
        test.setdefault("result", self.expected)
        problems = rules.product_test_problems(
            kind=test["kind"],
            result=test["result"],
            started_on=test["started_on"],
            finished_on=test["finished_on"],
            expected=self.expected,
        )
        # The fields parsed the type, the result and the dates: the first problem is told.
        problem = next(iter(problems.values()), None)
        if problem is not None:
            raise serializers.ValidationError(
                rules.product_test_message(problem, expected=self.expected)
            )
        test["remarks"] = test["remarks"] or ""
        return {"test": test}


class FailedTestsInput(PassedTestsInput):
    """The failed test, given with the decision (a failed test recorded before counts too)."""

    expected = TestResult.FAILED


class CertificationInput(serializers.Serializer):
    """The certificate (its id) that supports the offer, among the officer's certificates."""

    certificate = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = attrs.get("certificate")
        if raw is None:
            raise serializers.ValidationError(
                _("The certificate is missing: give “certificate” (its id).")
            )
        # Through the officer's own certificates: another body's answers as a missing one.
        certificate = resolve_scoped(certificates_visible_to, self.context["user"], raw)
        if certificate is None:
            raise serializers.ValidationError(_("Certificate %(id)s does not exist.") % {"id": raw})
        return {"certificate": certificate}
