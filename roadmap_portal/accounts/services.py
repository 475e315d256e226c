"""A person's account: profile, language, invitations and deactivation.

Invitations: an administrator invites region staff, reviewers, officers and supplier members
into any scope; a supplier member invites colleagues into their own organisation only. The
e-mailed link carries a random token, stored as its SHA-256 hash; it works once and for
``INVITATION_LINK_DAYS`` days. Accepting creates the account (the sign-in name is the e-mail
address) with the invitation's role and scope. People are never deleted: deactivating sets
``is_active=False``, so every record that names them keeps its author.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from roadmap_portal.api.tokens import live_tokens_of, revoke_token_of
from roadmap_portal.choices import Role
from roadmap_portal.models import CertificationBody, Corporation, Region
from roadmap_portal.scope import NOTHING, Actor, RuleTable, forget, restrict, scope_of
from suppliers.models import Supplier

from .models import Invitation, Profile

INVITABLE_ROLES = (Role.REGION_STAFF, Role.REVIEWER, Role.OFFICER, Role.SUPPLIER)
SCOPE_FIELD = {
    Role.REGION_STAFF: "region",
    Role.REVIEWER: "corporation",
    Role.OFFICER: "certification_body",
    Role.SUPPLIER: "supplier",
}


def invitation_link_days() -> int:
    return int(getattr(settings, "INVITATION_LINK_DAYS", 7))


# --- membership ----------------------------------------------------------------------


def supplier_member_join(*, supplier: Supplier, user: Any, **signal: Any) -> Profile:
    """The person who registered ``supplier`` becomes its member (the supplier role),
    replacing any profile they had. Runs in the registering transaction
    (``suppliers.signals.supplier_registered``)."""
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"role": Role.SUPPLIER, "supplier": supplier}
    )
    return profile


# --- language ------------------------------------------------------------------------


def language_of(user: Any) -> str | None:
    """The person's saved language, or None without a profile."""
    profile = Profile.objects.filter(user_id=user.pk).only("language").first()
    return profile.language if profile else None


def language_save(*, user: Any, language: str) -> bool:
    """Keep ``language`` as the person's language. A superuser without a profile gets an
    administrator's profile to keep it in. False for a language the portal does not offer
    or a person without a profile."""
    if language not in dict(settings.LANGUAGES):
        return False
    updated = Profile.objects.filter(user_id=user.pk).update(language=language)
    if not updated and user.is_superuser:
        Profile.objects.create(user=user, role=Role.ADMINISTRATOR, language=language)
        forget(user)
        updated = 1
    return bool(updated)


# --- profile -------------------------------------------------------------------------


def address_taken(email: str, *, exclude_user: Any = None) -> bool:
    """Whether another account signs in with this address or has it as its e-mail."""
    people = get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if exclude_user is not None:
        people = people.exclude(pk=exclude_user.pk)
    return people.exists()


def profile_update(
    *, user: Any, first_name: str, last_name: str, email: str, language: str
) -> None:
    """Name, e-mail and language. A person whose sign-in name is their e-mail address (a
    self-registered or invited one) signs in with the new address afterwards."""
    if email and address_taken(email, exclude_user=user):
        raise ValidationError({"email": _("Another account uses this address.")})
    with transaction.atomic():
        if user.email and user.username.lower() == user.email.lower() and email:
            user.username = email
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["username", "first_name", "last_name", "email"])
        language_save(user=user, language=language)


def tokens_of(user: Any) -> QuerySet[AuthToken]:
    """The person's live API tokens, newest first (as ``GET /api/v1/auth/tokens/``)."""
    return live_tokens_of(user).order_by("-created", "token_key")


def token_revoke(*, user: Any, token_key: str) -> bool:
    """Revoke one of the person's own live tokens (as ``DELETE /api/v1/auth/tokens/{id}/``)."""
    return revoke_token_of(user, token_key)


# --- invitations ---------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_status(invitation: Invitation, now: Any = None) -> str:
    now = now or timezone.now()
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "pending"


INVITATION_STATUS_LABELS = {
    "pending": _("Waiting"),
    "accepted": _("Accepted"),
    "revoked": _("Revoked"),
    "expired": _("Expired"),
}


def invite_scopes(user: Any, field: str) -> QuerySet:
    """The scopes of kind ``field`` the person may invite into: any for an administrator,
    their own organisation for a supplier member, none for anyone else."""
    models = {
        "region": Region.objects.order_by("name"),
        "corporation": Corporation.objects.filter(parent__isnull=True).order_by("short_name"),
        "certification_body": CertificationBody.objects.order_by("short_name"),
        "supplier": Supplier.objects.order_by("name"),
    }
    scope = scope_of(user)
    if scope.is_admin:
        return models[field]
    if scope.is_supplier and field == "supplier":
        return models[field].filter(pk=scope.supplier_id)
    return models[field].none()


def invite_regions(user: Any) -> QuerySet:
    return invite_scopes(user, "region")


def invite_groups(user: Any) -> QuerySet:
    return invite_scopes(user, "corporation")


def invite_bodies(user: Any) -> QuerySet:
    return invite_scopes(user, "certification_body")


def invite_suppliers(user: Any) -> QuerySet:
    return invite_scopes(user, "supplier")


def may_invite(user: Any) -> bool:
    scope = scope_of(user)
    return scope.is_admin or scope.is_supplier_member


INVITATION_RULES: RuleTable = {
    Role.SUPPLIER: lambda scope: Q(supplier_id=scope.supplier_id) if scope.supplier_id else NOTHING,
}


def invitations_visible_to(user: Actor) -> QuerySet[Invitation]:
    """All for an administrator; a supplier member's organisation's invitations."""
    qs = Invitation.objects.select_related(
        "region", "corporation", "certification_body", "supplier", "invited_by", "user"
    )
    return restrict(user, qs, INVITATION_RULES)


def _send(invitation: Invitation, token: str, language: str) -> None:
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("invitation-accept", args=[token])
    with translation.override(language):
        context = {
            "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.username,
            "role": invitation.get_role_display(),
            "scope": str(invitation.scope_object),
            "link": link,
            "days": invitation_link_days(),
            "email": invitation.email,
        }
        send_mail(
            str(_("Your invitation to the Roadmap Portal")),
            render_to_string("emails/invitation.txt", context),
            None,
            [invitation.email],
        )


def _new_token(invitation: Invitation, now: Any) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=invitation_link_days())
    return token


def invitation_create(*, inviter: Any, email: str, role: str, scope_row: Any) -> Invitation:
    """Invite ``email`` as ``role`` into ``scope_row`` (a region, group, body or supplier).
    PermissionDenied outside the inviter's scope; a ValidationError on ``email`` for an
    address with an account or a waiting invitation."""
    if role not in INVITABLE_ROLES:
        raise ValidationError({"role": _("Choose a role to invite into.")})
    field = SCOPE_FIELD[Role(role)]
    if scope_row is None or not invite_scopes(inviter, field).filter(pk=scope_row.pk).exists():
        raise PermissionDenied(_("You cannot invite into this scope."))
    email = email.strip()
    if address_taken(email):
        raise ValidationError({"email": _("This address already has an account.")})
    now = timezone.now()
    waiting = Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )
    if waiting.exists():
        raise ValidationError(
            {"email": _("An invitation to this address is waiting: send it again instead.")}
        )
    invitation = Invitation(email=email, role=role, invited_by=inviter, **{field: scope_row})
    token = _new_token(invitation, now)
    invitation.full_clean(exclude=["token_hash"])
    invitation.save()
    # Sent after the row is saved: should the mail fail, "send again" makes a new link.
    _send(invitation, token, language_of(inviter) or settings.LANGUAGE_CODE)
    return invitation


def _managed(inviter: Any, pk: int) -> Invitation:
    invitation = invitations_visible_to(inviter).filter(pk=pk).first()
    if invitation is None:
        raise Invitation.DoesNotExist
    return invitation


def invitation_resend(*, inviter: Any, pk: int) -> Invitation:
    """Send a waiting or expired invitation again with a new link; the old one stops working."""
    invitation = _managed(inviter, pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation was accepted or revoked: it cannot be sent."))
    token = _new_token(invitation, timezone.now())
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _send(invitation, token, language_of(inviter) or settings.LANGUAGE_CODE)
    return invitation


def invitation_revoke(*, inviter: Any, pk: int) -> Invitation:
    invitation = _managed(inviter, pk)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was accepted: deactivate the account instead."))
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


class InvitationUnusable(Exception):
    """The link cannot be used; ``status`` says why: unknown, accepted, revoked, expired."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def invitation_by_token(token: str) -> Invitation:
    """The waiting invitation the link carries, or InvitationUnusable with the reason."""
    invitation = Invitation.objects.filter(token_hash=_hash(token)).first()
    if invitation is None:
        raise InvitationUnusable("unknown")
    status = invitation_status(invitation)
    if status != "pending":
        raise InvitationUnusable(status)
    return invitation


def invitation_accept(*, token: str, first_name: str, last_name: str, password: str) -> Any:
    """Create the invitee's account with the invitation's role and scope. The invitation is
    marked used in the same transaction, under a row lock: a second use is refused."""
    User = get_user_model()
    with transaction.atomic():
        found = invitation_by_token(token)
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        status = invitation_status(invitation)
        if status != "pending":
            raise InvitationUnusable(status)
        if address_taken(invitation.email):
            raise InvitationUnusable("accepted")
        user = User.objects.create_user(
            username=invitation.email,
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        field = SCOPE_FIELD[Role(invitation.role)]
        Profile.objects.create(
            user=user,
            role=invitation.role,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            **{f"{field}_id": getattr(invitation, f"{field}_id")},
        )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
    return user


# --- deactivation --------------------------------------------------------------------


def may_deactivate(actor: Any, person: Any) -> bool:
    """An administrator deactivates anyone but themselves; a supplier member deactivates a
    colleague of their own organisation."""
    if actor.pk == person.pk or not person.is_active:
        return False
    scope = scope_of(actor)
    if scope.is_admin:
        return True
    if scope.is_supplier_member:
        return Profile.objects.filter(
            user_id=person.pk, role=Role.SUPPLIER, supplier_id=scope.supplier_id
        ).exists()
    return False


def member_deactivate(*, actor: Any, person: Any) -> None:
    """Sign the person out for good and keep everything they did: ``is_active=False`` (never a
    deletion) and their API tokens revoked."""
    if not may_deactivate(actor, person):
        raise PermissionDenied(_("You cannot deactivate this person."))
    with transaction.atomic():
        person.is_active = False
        person.save(update_fields=["is_active"])
        AuthToken.objects.filter(user=person).delete()
