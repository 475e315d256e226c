"""Account pages: the profile, the language switch, invitations and deactivation."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from roadmap_portal.middleware import set_language_cookie
from roadmap_portal.scope import scope_of

from .forms import InvitationAcceptForm, InvitationForm, ProfileForm
from .services import (
    INVITATION_STATUS_LABELS,
    InvitationUnusable,
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_link_days,
    invitation_resend,
    invitation_revoke,
    invitation_status,
    invitations_visible_to,
    language_of,
    language_save,
    may_deactivate,
    may_invite,
    member_deactivate,
    profile_update,
    token_revoke,
    tokens_of,
)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``; a signed-in person's choice is also kept in their profile,
    so the next sign-in, in any browser, opens in it."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language:
        language_save(user=request.user, language=language)
    return response


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": language_of(user) or request.LANGUAGE_CODE,
    }
    form = ProfileForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile_update(
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                language=data["language"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            response = redirect("profile")
            set_language_cookie(response, data["language"])
            messages.success(request, _("Your profile is saved."))
            return response
    return render(
        request,
        "registration/profile.html",
        {
            "form": form,
            "tokens": tokens_of(user),
            "scope_line": _scope_line(user),
            "can_invite": may_invite(user),
        },
        status=400 if form.errors else 200,
    )


def _scope_line(user) -> str:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is None:
        return ""
    row = profile.region or profile.corporation or profile.certification_body or profile.supplier
    return str(row) if row else ""


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, key: str) -> HttpResponse:
    if token_revoke(user=request.user, token_key=key):
        messages.success(request, _("The token is revoked: it no longer works."))
    else:
        messages.error(request, _("No such live token of yours."))
    return redirect("profile")


# --- invitations ---------------------------------------------------------------------


def _require_inviter(request: HttpRequest) -> None:
    if not may_invite(request.user):
        raise PermissionDenied


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Invitations sent, with their status: resend or revoke one. Administrators see all,
    a supplier member their organisation's."""
    _require_inviter(request)
    now = timezone.now()
    rows = [
        {
            "invitation": invitation,
            "status": (status := invitation_status(invitation, now)),
            "status_label": INVITATION_STATUS_LABELS[status],
            "can_deactivate": invitation.user is not None
            and may_deactivate(request.user, invitation.user),
        }
        for invitation in invitations_visible_to(request.user)[:200]
    ]
    return render(
        request,
        "registration/invitation_list.html",
        {"rows": rows, "is_admin": scope_of(request.user).is_admin},
    )


@login_required
def invitation_new(request: HttpRequest) -> HttpResponse:
    _require_inviter(request)
    form = InvitationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitation_create(
                inviter=request.user,
                email=data["email"],
                role=data["role"],
                scope_row=data["scope_row"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The invitation is sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("invitation-list")
    return render(
        request,
        "registration/invitation_form.html",
        {"form": form, "days": invitation_link_days()},
        status=400 if form.errors else 200,
    )


def _manage(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    _require_inviter(request)
    try:
        action(inviter=request.user, pk=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("invitation-list")


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage(request, pk, invitation_resend, _("The invitation is sent again."))


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage(request, pk, invitation_revoke, _("The invitation is revoked."))


# Module-level texts are lazy: translated in the language of each request, not of import.
UNUSABLE_MESSAGES = {
    "unknown": gettext_lazy(
        "This invitation link is not valid: it is incomplete, or a newer invitation replaced it."
    ),
    "accepted": gettext_lazy(
        "This invitation link was used already. Sign in with your e-mail address."
    ),
    "revoked": gettext_lazy("This invitation was withdrawn. Ask the person who invited you."),
    "expired": gettext_lazy(
        "This invitation link has expired. Ask the person who invited you to send it again."
    ),
}


def _unusable(request: HttpRequest, status: str) -> HttpResponse:
    return render(
        request,
        "registration/invitation_invalid.html",
        {"message": UNUSABLE_MESSAGES[status], "status": status},
        status=410 if status in ("accepted", "expired", "revoked") else 400,
    )


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's link: choose a name and a password; the account is made with the
    invitation's role and scope and the person is signed in."""
    try:
        invitation = invitation_by_token(token)
    except InvitationUnusable as exc:
        return _unusable(request, exc.status)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitation_accept(
                token=token,
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except InvitationUnusable as exc:
            return _unusable(request, exc.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome! You sign in with %(email)s from now on.") % {"email": user.username},
        )
        return redirect("home")
    return render(
        request,
        "registration/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


# --- deactivation --------------------------------------------------------------------


@login_required
@require_POST
def member_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    try:
        member_deactivate(actor=request.user, person=person)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("%(name)s is deactivated; everything they did stays on record.")
        % {"name": person.get_full_name() or person.username},
    )
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("invitation-list")
