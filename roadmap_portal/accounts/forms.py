"""Forms of the account pages: profile, invitations and accepting one."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role
from roadmap_portal.fields import ScopedFormMixin, ScopedModelChoiceField
from roadmap_portal.rate_limits import count_this_hour
from roadmap_portal.web import BootstrapFormMixin

from .services import (
    INVITABLE_ROLES,
    SCOPE_FIELD,
    invite_bodies,
    invite_groups,
    invite_regions,
    invite_suppliers,
)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, which answers the same whether the address has an account or not. So
    that it cannot flood a mailbox, one address gets at most ``PASSWORD_RESET_MAILS_PER_HOUR``
    messages an hour (3 by default); past that the answer is the same and no message is sent."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        limit = int(getattr(settings, "PASSWORD_RESET_MAILS_PER_HOUR", 3))
        if count_this_hour("password-reset", to_email.lower()) > limit:
            return
        super().send_mail(
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )


class ProfileForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change the e-mail address."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        email = cleaned.get("email")
        changed = bool(email) and email.lower() != (self.user.email or "").lower()
        if changed and not self.user.check_password(cleaned.get("current_password") or ""):
            self.add_error(
                "current_password",
                _("Enter your current password to change the e-mail address."),
            )
        return cleaned


class InvitationForm(ScopedFormMixin, BootstrapFormMixin, forms.Form):
    """Whom to invite, as what and where. Each scope field offers only the inviter's
    scopes (any for an administrator, the own organisation for a supplier member)."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    region = ScopedModelChoiceField(label=_("Region"), selector=invite_regions, required=False)
    corporation = ScopedModelChoiceField(
        label=_("Corporation group"), selector=invite_groups, required=False
    )
    certification_body = ScopedModelChoiceField(
        label=_("Certification body"), selector=invite_bodies, required=False
    )
    supplier = ScopedModelChoiceField(
        label=_("Supplier"), selector=invite_suppliers, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        roles = [
            (role.value, role.label)
            for role in INVITABLE_ROLES
            if self.fields[SCOPE_FIELD[role]].queryset.exists()
        ]
        self.fields["role"].choices = roles
        for role in INVITABLE_ROLES:
            if role.value not in dict(roles):
                del self.fields[SCOPE_FIELD[role]]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0][0]
            scope_field = self.fields[SCOPE_FIELD[Role(roles[0][0])]]
            if scope_field.queryset.count() == 1:
                scope_field.initial = scope_field.queryset.first().pk
                scope_field.empty_label = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        role = cleaned.get("role")
        if role:
            field = SCOPE_FIELD[Role(role)]
            if not cleaned.get(field):
                self.add_error(field, _("Choose where the person works."))
            cleaned["scope_row"] = cleaned.get(field)
        return cleaned


class InvitationAcceptForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
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

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords differ."))
            else:
                person = get_user_model()(
                    username=self.email,
                    email=self.email,
                    first_name=cleaned.get("first_name", ""),
                    last_name=cleaned.get("last_name", ""),
                )
                try:
                    password_validation.validate_password(password1, person)
                except forms.ValidationError as exc:
                    self.add_error("password2", exc)
        return cleaned
