"""A person's notifications as the page shows them and as they export."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from roadmap_portal.exports import Column, ExportList, choice_label, export_list_register
from roadmap_portal.filtersets import NotificationFilterSet
from roadmap_portal.models import NotificationEvent

from .services import notifications_of

EVENT_LABEL = choice_label(NotificationEvent.choices)


def notifications_filtered(user, params, *, request=None):
    """The person's own notifications, newest first, under the list's filters (a filter
    given wrongly is left out)."""
    filterset = NotificationFilterSet(params, queryset=notifications_of(user))
    return filterset, filterset.qs


NOTIFICATIONS = export_list_register(
    ExportList(
        name="notifications",
        title=_("Notifications"),
        columns=(
            Column(_("When"), lambda n: n.created),
            Column(_("Event"), lambda n: EVENT_LABEL(n.event)),
            Column(_("Message"), lambda n: n.message),
            Column(pgettext_lazy("state", "Read"), lambda n: n.read),
        ),
        rows=lambda user, params: notifications_filtered(user, params)[1],
    )
)
