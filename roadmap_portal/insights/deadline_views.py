"""The deadline view: the reader's agenda of tenders closing, certificates expiring and
demands due (``deadlines.deadlines_for``), as a page and as an iCalendar feed."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from .deadlines import AHEAD_CHOICES, agenda_ahead, deadlines_for


@login_required
@require_GET
def deadline_list(request):
    """The agenda week by week, overdue items first."""
    ahead = agenda_ahead(request.GET.get("ahead"))
    agenda = deadlines_for(request.user, ahead=ahead)
    return render(
        request,
        "roadmap_portal/deadlines.html",
        {"agenda": agenda, "ahead_choices": AHEAD_CHOICES},
    )


@login_required
@require_GET
def deadline_calendar(request):
    """The same items as all-day events of an iCalendar file (RFC 5545), for calendar
    applications; it is read with the reader's session, like the page."""
    ahead = agenda_ahead(request.GET.get("ahead"))
    agenda = deadlines_for(request.user, ahead=ahead)
    body = ical_document(agenda, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="deadlines.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def ical_document(agenda, *, base_url: str) -> str:
    """The agenda as a VCALENDAR of all-day VEVENTs: lines folded at 75 octets, CRLF ends."""
    stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Roadmap Portal//Deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(_('Roadmap Portal deadlines'))}",
    ]
    for item in agenda.items:
        summary = f"{item.kind_label}: {item.title}"
        if item.overdue:
            summary = f"{pgettext('state', 'Overdue')} · {summary}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{item.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(item.detail)}",
            f"URL:{base_url}{item.url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _escape(text) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never
    splitting a UTF-8 character."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            pieces.append(current)
            current, size = " ", 1
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)
