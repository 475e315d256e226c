"""Forms of the review stages, certificates and requirements. They only parse input; the
services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from roadmap_portal.fields import (
    ScopedFormMixin,
    ScopedModelChoiceField,
    ScopedModelMultipleChoiceField,
)
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from .choices import Outcome, TestKind, TestResult

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapMixin:
    """Bootstrap classes on every widget, and ``is-invalid`` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def is_valid(self):
        valid = super().is_valid()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return valid


class RequirementForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50)
    title = forms.CharField(label=_("Title"), max_length=400)
    categories = forms.CharField(
        label=_("OKPD2 categories"),
        required=False,
        help_text=_(
            "OKPD2 prefixes separated by commas, e.g. 28.14, 27.11; empty: every category."
        ),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class RequirementsCheckForm(BootstrapMixin, forms.Form):
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
        self.fields["decision"].widget.attrs["class"] = ""

    def clean(self) -> dict:
        """Accepting needs an outcome chosen for every applicable requirement: the checklist
        has no default, so no check is stored that nobody made."""
        cleaned = super().clean()
        if cleaned.get("decision") == "accept":
            for req in self.requirements:
                if not cleaned.get(f"outcome_{req.pk}"):
                    self.add_error(
                        f"outcome_{req.pk}",
                        _("Choose the outcome of %(code)s: met, not met or not applicable.")
                        % {"code": req.code},
                    )
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


class ReadinessForm(BootstrapMixin, forms.Form):
    capacity_confirmed = forms.BooleanField(
        label=_("Production capacity confirmed"), required=False
    )
    site_visit_on = forms.DateField(label=_("Site visit date"), required=False, widget=DATE_INPUT)
    findings = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = ""

    def payload(self):
        data = self.cleaned_data
        visit = data.get("site_visit_on")
        return {
            "capacity_confirmed": bool(data.get("capacity_confirmed")),
            "site_visit_on": visit.isoformat() if visit else None,
            "findings": data.get("findings", ""),
        }


class TestRecordForm(BootstrapMixin, forms.Form):
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


class TestDecisionForm(BootstrapMixin, forms.Form):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = ""


class CommentForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CertificateIssueForm(ScopedFormMixin, BootstrapMixin, forms.Form):
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


class CertificateRenewForm(BootstrapMixin, forms.Form):
    number = forms.CharField(label=_("New certificate number"), max_length=100)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE_INPUT)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE_INPUT)
    scan = forms.FileField(
        label=_("Scan (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class CertificateStatusForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScanForm(BootstrapMixin, forms.Form):
    scan = forms.FileField(
        label=_("Scan (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
