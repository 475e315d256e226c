"""The bell: a person's notifications, reading them and choosing what comes by e-mail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadmap_portal.export_jobs.views import export_response, wants_export
from roadmap_portal.models import EmailMode, NotificationEvent
from roadmap_portal.web import paginate

from .services import (
    notification_mark_read,
    notifications_mark_all_read,
    preferences_of,
    preferences_save,
)
from .tables import NOTIFICATIONS, notifications_filtered


@login_required
@require_GET
def notification_list(request):
    filterset, rows = notifications_filtered(request.user, request.GET)
    if wants_export(request):
        return export_response(request, NOTIFICATIONS, rows)
    page = paginate(request, rows)
    return render(
        request,
        "roadmap_portal/notifications.html",
        {
            "filterset": filterset,
            "page": page,
            "notifications": page.object_list,
            "read_filter": request.GET.get("read", ""),
            "event_filter": request.GET.get("event", ""),
            "events": NotificationEvent.choices,
        },
    )


def _read_one(request, pk):
    return notification_mark_read(user=request.user, notification_id=pk)


@login_required
@require_GET
def notification_open(request, pk):
    """Mark the notification read and go to what it is about."""
    notification = _read_one(request, pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notification-list")


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read(request, pk):
    _read_one(request, pk)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return _back(request)


@login_required
def notification_preferences(request):
    rows = preferences_of(request.user)
    errors = {}
    if request.method == "POST":
        modes = {event: request.POST.get(f"email-{event}", "") for event, _label, _mode in rows}
        try:
            preferences_save(user=request.user, modes=modes)
        except ValidationError as exc:
            errors = {field: " ".join(texts) for field, texts in exc.message_dict.items()}
            rows = [(event, label, modes.get(event, mode)) for event, label, mode in rows]
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification-preferences")
    return render(
        request,
        "roadmap_portal/notifications_preferences.html",
        {
            "rows": [
                {"event": event, "label": label, "mode": mode, "error": errors.get(event, "")}
                for event, label, mode in rows
            ],
            "modes": EmailMode.choices,
            "has_email": bool(request.user.email),
        },
        status=400 if errors else 200,
    )
