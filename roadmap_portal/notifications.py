"""In-app notifications: one row per (recipient, key), so a retried task creates nothing twice."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import translation

from .models import Notification


def notify(*, recipients, event, key, message, url="", obj=None):
    """Create a notification for each recipient unless one with ``key`` exists already.

    ``message`` is a callable taking nothing, evaluated in each recipient's language.
    Returns the number of notifications created.
    """
    created = 0
    for user in recipients:
        language = getattr(getattr(user, "profile", None), "language", None) or "ru"
        with translation.override(language):
            text = str(message())
        try:
            with transaction.atomic():
                Notification.objects.create(
                    recipient=user,
                    event=event,
                    key=key,
                    message=text,
                    url=url,
                    object_type=obj._meta.model_name if obj is not None else "",
                    object_id=obj.pk if obj is not None else None,
                )
            created += 1
        except IntegrityError:
            continue
    return created


def users_with_role(role, **scope):
    return (
        get_user_model()
        .objects.filter(
            is_active=True, profile__role=role, **{f"profile__{k}": v for k, v in scope.items()}
        )
        .select_related("profile")
        .order_by("pk")
    )
