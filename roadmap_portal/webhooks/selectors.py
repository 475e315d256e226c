"""Reads of webhook endpoints and deliveries: a partner sees only its own."""

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_of(user):
    """A partner key sees the endpoints registered with it; an account (token or session)
    those it registered itself. Nobody reaches another's through the API."""
    if user is None or not user.is_authenticated:
        return WebhookEndpoint.objects.none()
    qs = WebhookEndpoint.objects.select_related("api_key", "user").order_by("-created", "-id")
    api_key = getattr(user, "_api_key", None)
    if api_key is not None:
        return qs.filter(api_key=api_key)
    return qs.filter(user=user, api_key__isnull=True)


def deliveries_of(endpoint):
    """An endpoint's delivery log, newest first."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created", "-id")
