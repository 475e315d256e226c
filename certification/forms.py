"""Forms of the review stages, certificates and requirements. They only parse input; the
services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from roadmap_portal.fields import (
    ScopedFormMixin,
    ScopedModelChoiceField,
    ScopedModelMultipleChoiceField,
)
from roadmap_portal.web import BootstrapFormMixin
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from . import rules
from .choices import Outcome, TestKind, TestResult

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REASON_REQUIRED = _("Fill in “%(label)s”: the supplier reads it as the reason.")


class RequirementForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50)
    title = forms.CharField(label=_("Title"), max_length=400)
    categories = forms.CharField(
        label=_("OKPD2 categories"),
        required=False,
        help_text=_(
            "OKPD2 prefixes separated by commas, e.g. 28.14, 27.11; empty: every category."
        ),
    )
    active = forms.BooleanField(
        label=pgettext_lazy("state", "Active"), required=False, initial=True
    )


class RequirementsCheckForm(BootstrapFormMixin, forms.Form):
    """An outcome and remarks per applicable requirement, then accept or reject."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Requirements met: accept")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting: the reason the supplier will read."),
    )

    def __init__(self, *args, requirements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = list(requirements)
        for req in self.requirements:
            self.fields[f"outcome_{req.pk}"] = forms.ChoiceField(
                label=f"{req.code} {req.title}",
                choices=[("", _("— choose —")), *Outcome.choices],
                required=False,
                initial="",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"remarks_{req.pk}"] = forms.CharField(
                label=_("Remarks"),
                required=False,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def clean(self) -> dict:
        """Accepting needs an outcome chosen for every applicable requirement, none of them
        “not met”: the checklist has no default, so no check is stored that nobody made.
        Rejecting needs the comment the supplier reads."""
        cleaned = super().clean()
        if cleaned.get("decision") == "accept":
            # The rule of accepting (as for the API's input); here it names each field.
            missing, not_met = rules.unsettled_requirements(
                self.requirements,
                {req.pk: cleaned.get(f"outcome_{req.pk}") for req in self.requirements},
            )
            for req in missing:
                self.add_error(
                    f"outcome_{req.pk}",
                    _("Choose the outcome of %(code)s: met, not met or not applicable.")
                    % {"code": req.code},
                )
            for req in not_met:
                self.add_error(
                    f"outcome_{req.pk}",
                    _("%(code)s is not met: reject the offer instead of accepting it.")
                    % {"code": req.code},
                )
        elif cleaned.get("decision") == "reject" and not cleaned.get("comment"):
            self.require_for("comment", REASON_REQUIRED)
        return cleaned

    def rows(self):
        return [
            (req, self[f"outcome_{req.pk}"], self[f"remarks_{req.pk}"]) for req in self.requirements
        ]

    def payload(self):
        rows = []
        for req in self.requirements:
            outcome = self.cleaned_data.get(f"outcome_{req.pk}")
            if outcome:
                rows.append(
                    {
                        "requirement": req.pk,
                        "outcome": outcome,
                        "remarks": self.cleaned_data.get(f"remarks_{req.pk}", ""),
                    }
                )
        if self.cleaned_data["decision"] == "reject" and not rows:
            return {}
        return {"requirements": rows}


class ReadinessForm(BootstrapFormMixin, forms.Form):
    capacity_confirmed = forms.BooleanField(
        label=_("Production capacity confirmed"),
        required=False,
        help_text=_("Required to confirm readiness."),
    )
    site_visit_on = forms.DateField(label=_("Site visit date"), required=False, widget=DATE_INPUT)
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to confirm readiness."),
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("confirm_readiness", _("Confirm readiness for mass production")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting."),
    )

    # Confirming readiness needs the findings and the confirmed capacity: the rule
    # (``rules.readiness_problems``) decides through the stage's input, as for the API, and
    # its problems land on the fields.
    service_errors = {
        "findings_missing": ("findings", _("Fill in “%(label)s” to confirm readiness.")),
        "capacity_unconfirmed": (
            "capacity_confirmed",
            _("Tick “%(label)s” to confirm readiness."),
        ),
    }

    def clean(self) -> dict:
        """Rejecting needs the comment the supplier reads."""
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("comment"):
            self.require_for("comment", REASON_REQUIRED)
        return cleaned

    def payload(self):
        data = self.cleaned_data
        visit = data.get("site_visit_on")
        return {
            "capacity_confirmed": bool(data.get("capacity_confirmed")),
            "site_visit_on": visit.isoformat() if visit else None,
            "findings": data.get("findings", ""),
        }


class TestRecordForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Test type"), choices=TestKind.choices)
    started_on = forms.DateField(label=_("Started on"), widget=DATE_INPUT)
    finished_on = forms.DateField(label=_("Finished on"), required=False, widget=DATE_INPUT)
    result = forms.ChoiceField(label=_("Result"), choices=TestResult.choices)
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    protocol = forms.FileField(
        label=_("Protocol (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        started, finished = cleaned.get("started_on"), cleaned.get("finished_on")
        if started and rules.finishes_before_start(started, finished):
            self.add_error(
                "finished_on",
                _("“%(label)s” cannot be before “%(start)s”.")
                % {"label": self.label_of("finished_on"), "start": self.label_of("started_on")},
            )
        return cleaned


class TestDecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("pass_tests", _("Tests passed")), ("fail_tests", _("Tests failed"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the tests failed."),
    )
    service_errors = {
        "no_passed_test": (
            "decision",
            _("“%(label)s”: no test is recorded yet. Record the test above, then decide."),
        ),
        "latest_test_failed": (
            "decision",
            _(
                "“%(label)s”: the latest %(kinds)s failed. Choose “Tests failed” or record "
                "a repeated test above."
            ),
        ),
        "no_failed_test": (
            "decision",
            _(
                "“%(label)s”: no failed test is recorded. Record the failed test above, then decide."
            ),
        ),
    }

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("decision") == "fail_tests" and not cleaned.get("comment"):
            self.require_for("comment", REASON_REQUIRED)
        return cleaned


class CommentForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CertificateIssueForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("Certificate number"), max_length=100)
    supplier = ScopedModelChoiceField(label=_("Supplier"), selector=suppliers_visible_to)
    offers = ScopedModelMultipleChoiceField(
        label=_("Covered offers"),
        selector=offers_visible_to,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Offers of the chosen supplier only."),
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE_INPUT)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE_INPUT)
    scan = forms.FileField(
        label=_("Scan (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    certify_now = forms.BooleanField(
        label=_("Certify the covered tested offers now"), required=False, initial=True
    )

    def __init__(self, *args, suppliers, offers, **kwargs):
        super().__init__(*args, **kwargs)
        # Those the officer may certify, among those the officer sees.
        self.narrow("supplier", lambda seen: suppliers.filter(pk__in=seen.values("pk")))
        self.narrow("offers", lambda seen: offers.filter(pk__in=seen.values("pk")))
        self.fields["offers"].label_from_instance = lambda o: (
            f"{o.supplier.name}: {o.name} ({o.okpd2}, {o.get_status_display()})"
        )


class CertificateRenewForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("New certificate number"), max_length=100)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE_INPUT)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE_INPUT)
    scan = forms.FileField(
        label=_("Scan (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class CertificateStatusForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScanForm(BootstrapFormMixin, forms.Form):
    scan = forms.FileField(
        label=_("Scan (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
