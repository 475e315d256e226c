from django import forms
from django.utils.translation import gettext_lazy as _

from roadmap_portal.fields import (
    ScopedFormMixin,
    ScopedModelChoiceField,
    ScopedModelMultipleChoiceField,
)
from roadmap_portal.models import Corporation
from roadmap_portal.scope import scope_of
from roadmap_portal.web import BootstrapFormMixin
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from .choices import TenderStatus
from .selectors import tenders_visible_to

DATE = forms.DateInput(attrs={"type": "date"})


def _group_corporations(user):
    scope = scope_of(user)
    if scope.is_nobody:
        return Corporation.objects.none()
    qs = Corporation.objects.order_by("parent_id", "short_name")
    if scope.is_admin:
        return qs
    return qs.filter(Corporation.in_group(scope.group_id))


def _suppliers_by_name(user):
    return suppliers_visible_to(user).order_by("name")


def _tenders_latest_first(user):
    return tenders_visible_to(user).order_by("-published_on", "-id")


def style_form(form, size=""):
    """Bootstrap classes on a form's widgets (``size`` "sm" for filter bars)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if size:
            css += f" {css}-{size}"
        if isinstance(widget, forms.DateInput):
            widget.input_type = "date"
        widget.attrs.setdefault("class", css)
    return form


class TenderForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    customer = ScopedModelChoiceField(selector=_group_corporations, label=_("Customer"))
    number = forms.CharField(max_length=100, label=_("Number"))
    title = forms.CharField(max_length=400, label=_("Title"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description")
    )
    categories = forms.CharField(
        label=_("OKPD2 categories"),
        help_text=_("One or more OKPD2 codes or prefixes, separated by commas, e.g. 28.14, 28.13."),
    )
    published_on = forms.DateField(widget=DATE, label=_("Published on"))
    deadline = forms.DateField(widget=DATE, label=_("Submission deadline"))
    estimated_value = forms.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, label=_("Estimated value, RUB")
    )
    status = forms.ChoiceField(
        choices=[
            (TenderStatus.ANNOUNCED, TenderStatus.ANNOUNCED.label),
            (TenderStatus.OPEN, TenderStatus.OPEN.label),
        ],
        label=_("Status"),
    )


class DemandForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    customer = ScopedModelChoiceField(selector=_group_corporations, label=_("Customer"))
    title = forms.CharField(max_length=300, label=_("Title"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description")
    )
    category = forms.CharField(max_length=12, label=_("OKPD2 category"))
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, label=_("Quantity per year")
    )
    unit = forms.CharField(max_length=30, required=False, label=_("Unit"))
    replaces = forms.CharField(max_length=300, required=False, label=_("Imported analog"))
    deadline = forms.DateField(widget=DATE, required=False, label=_("Deadline"))


class ContractForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    supplier = ScopedModelChoiceField(selector=_suppliers_by_name, label=_("Supplier"))
    customer = ScopedModelChoiceField(selector=_group_corporations, label=_("Customer"))
    tender = ScopedModelChoiceField(
        selector=_tenders_latest_first,
        required=False,
        label=_("Tender"),
        help_text=_("Leave empty for a direct purchase."),
    )
    number = forms.CharField(max_length=100, required=False, label=_("Contract number"))
    subject = forms.CharField(max_length=400, required=False, label=_("Subject"))
    amount = forms.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, label=_("Amount, RUB")
    )
    signed_on = forms.DateField(widget=DATE, label=_("Signed on"))


class BidForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    offers = ScopedModelMultipleChoiceField(
        selector=offers_visible_to,
        widget=forms.CheckboxSelectMultiple,
        label=_("Offered products"),
        error_messages={"required": _("Choose at least one of your eligible offers.")},
    )
    price = forms.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, label=_("Your price, RUB")
    )

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [o.pk for o in offers]
        self.narrow("offers", lambda qs: qs.filter(pk__in=ids).order_by("name", "id"))
        self.fields["offers"].label_from_instance = lambda o: f"{o.name} ({o.okpd2})"
        self.fields["offers"].initial = ids
