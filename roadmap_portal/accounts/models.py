"""People: a person's role and scope (``Profile``) and the invitations that grant them.

This app sits above the domain apps: a profile names the supplier or the certification body
a person works for, so its table depends on theirs, never the reverse. The rules that read a
profile (what a role may see and do) are the core's ``roadmap_portal.scope``; it reaches the
profile through ``user.profile`` and imports nothing from here.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role
from roadmap_portal.models import CertificationBody, Corporation, Region


class RoleScope(models.Model):
    """A role and the organisation it applies to: a region for region staff, a group's head
    corporation for reviewers, a certification body for officers, a supplier for its members
    (each concrete model declares its ``supplier``)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    corporation = models.ForeignKey(
        Corporation,
        verbose_name=_("corporation group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"parent__isnull": True},
    )
    certification_body = models.ForeignKey(
        CertificationBody,
        verbose_name=_("certification body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        abstract = True


class Profile(RoleScope):
    """A person's role and the scope it applies to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ru"
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                name="profile_scope_matches_role",
                condition=(
                    Q(role="region_staff", region__isnull=False)
                    | Q(role="reviewer", corporation__isnull=False)
                    | Q(role="officer", certification_body__isnull=False)
                    | Q(role="supplier", supplier__isnull=False)
                    | Q(role__in=["administrator", "partner"])
                ),
                violation_error_message=_(
                    "The role needs its scope (region, group, body or supplier)."
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def clean(self):
        needed = {
            Role.REGION_STAFF: ("region", _("Region staff need a region.")),
            Role.REVIEWER: ("corporation", _("A reviewer needs a corporation group.")),
            Role.OFFICER: ("certification_body", _("An officer needs a certification body.")),
            Role.SUPPLIER: ("supplier", _("A supplier member needs a supplier.")),
        }
        field, message = needed.get(self.role, (None, None))
        if field is not None and not getattr(self, f"{field}_id"):
            raise ValidationError({field: message})
        if self.corporation_id and self.corporation.parent_id:
            raise ValidationError({"corporation": _("Choose the group's head corporation.")})


class Invitation(RoleScope):
    """An invitation to join the portal in a role and a scope, sent by e-mail.

    The link carries a random token; only its SHA-256 hash is stored. It works once
    (``accepted_at``) and until ``expires_at``; an administrator may revoke it or send it
    again (a new token: the old link stops working).
    """

    email = models.EmailField(_("e-mail"))
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="invitations_sent",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations_accepted",
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                name="invitation_scope_matches_role",
                condition=(
                    Q(role="region_staff", region__isnull=False)
                    | Q(role="reviewer", corporation__isnull=False)
                    | Q(role="officer", certification_body__isnull=False)
                    | Q(role="supplier", supplier__isnull=False)
                ),
                violation_error_message=_(
                    "The role needs its scope (region, group, body or supplier)."
                ),
            )
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @property
    def scope_object(self):
        return self.region or self.corporation or self.certification_body or self.supplier
