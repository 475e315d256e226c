"""Forms of the supplier pages. They parse input; the rules live in services.py."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from roadmap_portal.fields import ScopedFormMixin, ScopedModelChoiceField
from roadmap_portal.input_limits import FreeTextLimitMixin
from roadmap_portal.models import Region
from roadmap_portal.selectors import demands_visible_to, roadmaps_visible_to
from roadmap_portal.web import BootstrapFormMixin

from .choices import SupplierKind
from .models import Offer
from .validators import validate_inn, validate_ogrn


class RegistrationForm(BootstrapFormMixin, forms.Form):
    """A person and their organisation. The person's e-mail address is their sign-in name; the
    password is chosen after the address is confirmed (``RegistrationPasswordForm``)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=150,
        help_text=_("Your sign-in name. We send a link to it to confirm the registration."),
    )

    name = forms.CharField(label=_("Legal name of the organisation"), max_length=300)
    inn = forms.CharField(
        label=_("INN"),
        max_length=10,
        validators=[validate_inn],
        help_text=_("10 digits of the organisation's taxpayer number."),
    )
    ogrn = forms.CharField(
        label=_("OGRN"),
        max_length=13,
        validators=[validate_ogrn],
        help_text=_("13 digits of the state registration number."),
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.order_by("name"), to_field_name="code"
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SupplierKind.choices)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    org_email = forms.EmailField(label=_("Organisation's e-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    ACCOUNT_FIELDS = ("first_name", "last_name", "email")
    ORGANISATION_FIELDS = ("name", "inn", "ogrn", "region", "kind", "phone", "org_email")
    ORGANISATION_EXTRA = ("address", "website")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        try:
            get_user_model().username_validator(email)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                _("Use an address of letters, digits and @/./+/-/_ only: it is your sign-in name.")
            ) from exc
        return email

    def clean_inn(self):
        return self.cleaned_data["inn"].strip()

    def clean_ogrn(self):
        return self.cleaned_data["ogrn"].strip()

    def supplier_fields(self):
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "inn": data["inn"],
            "ogrn": data["ogrn"],
            "region": data["region"],
            "kind": data["kind"],
            "contact_person": f"{data['first_name']} {data['last_name']}".strip(),
            "email": data.get("org_email") or data["email"],
            "phone": data.get("phone", ""),
            "address": data.get("address", ""),
            "website": data.get("website", ""),
        }

    # Errors a service reports on the organisation map to these fields.
    SERVICE_FIELD = {"email": "org_email", "contact_person": None}


class RegistrationPasswordForm(BootstrapFormMixin, forms.Form):
    """The password of a registration whose address is confirmed."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, person: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords differ."))
            else:
                user = get_user_model()(
                    username=self.person["email"],
                    first_name=self.person["first_name"],
                    last_name=self.person["last_name"],
                    email=self.person["email"],
                )
                try:
                    password_validation.validate_password(password1, user)
                except forms.ValidationError as exc:
                    self.add_error("password2", exc)
        return cleaned


class SupplierVerifyForm(BootstrapFormMixin, forms.Form):
    DECISIONS = (("verify", _("Verify")), ("reject", _("Reject")))

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting: the supplier sees it."),
    )


class OfferForm(ScopedFormMixin, BootstrapFormMixin, forms.ModelForm):
    """A draft offer; the roadmap must be one of the supplier's region."""

    roadmap = ScopedModelChoiceField(
        selector=roadmaps_visible_to, label=_("Roadmap"), empty_label=None
    )
    demand = ScopedModelChoiceField(
        selector=demands_visible_to,
        label=_("Demand"),
        required=False,
        help_text=_("Link the offer to a published demand it answers, if any."),
    )

    class Meta:
        model = Offer
        fields = [
            "roadmap",
            "demand",
            "name",
            "description",
            "okpd2",
            "import_substitution",
            "replaces",
            "gisp_number",
            "capacity_per_year",
            "unit",
            "unit_price",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "okpd2": forms.TextInput(attrs={"placeholder": "27.11.22.000"}),
        }
        help_texts = {
            "okpd2": _("NN.NN.NN.NNN; a shorter prefix such as 27.11 is allowed."),
            "gisp_number": _(
                "Number of the product's entry in the GISP register of Russian industrial "
                "products (Resolution 719), if it has one."
            ),
            "replaces": _("The imported product this one replaces."),
        }

    def __init__(self, *args, roadmaps, demands, **kwargs):
        super().__init__(*args, **kwargs)
        # The roadmaps and demands an offer may name, among those the user sees.
        self.narrow("roadmap", lambda seen: roadmaps.filter(pk__in=seen.values("pk")))
        self.narrow("demand", lambda seen: demands.filter(pk__in=seen.values("pk")))
        # Completed roadmaps are not offered: one sent anyway is told why.
        self.fields["roadmap"].error_messages["invalid_choice"] = _(
            "Choose an active roadmap of your region: a completed roadmap takes no new offers."
        )

    def service_fields(self):
        return dict(self.cleaned_data)


class AttachmentForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Datasheet (PDF)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class OfferStepForm(BootstrapFormMixin, forms.Form):
    """What a step's form on the offer's page lets the user type: its comment (the button
    names the action)."""

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)


class TransitionForm(FreeTextLimitMixin, forms.Form):
    action = forms.CharField(max_length=30)
    comment = forms.CharField(required=False, widget=forms.Textarea)
    data = forms.JSONField(required=False)
