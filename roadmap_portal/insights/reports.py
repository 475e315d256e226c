"""Yearly cooperation reports: requested by people or the beat schedule, built by a Celery
task into an HTML document and a PDF (WeasyPrint), stored under server-generated names."""

import datetime
import logging
import mimetypes
import threading
import uuid
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from roadmap_portal.choices import ReportStatus, Role
from roadmap_portal.db_routers import use_replica
from roadmap_portal.exceptions import RoleNotAllowed
from roadmap_portal.models import Corporation, Region, Report, Roadmap
from roadmap_portal.notifications.services import notify, users_with_role
from roadmap_portal.outbox.services import REPORTS, publish
from roadmap_portal.scope import may, scope_of
from roadmap_portal.selectors import roadmaps_visible_to
from roadmap_portal.webhooks.events import report_ready_event

from .dashboard import Subject
from .report_figures import report_overview

logger = logging.getLogger(__name__)

IN_PROGRESS = (ReportStatus.PENDING, ReportStatus.RUNNING)
FIRST_YEAR = 2000
# The host the report's own links are resolved against; never fetched over a network.
REPORT_BASE_URL = "https://report.portal.invalid/"
# The build task (``tasks.build_report``), published by name: the tasks module imports this one.
BUILD_REPORT = "roadmap_portal.insights.tasks.build_report"


def subject_of(report):
    if report.scope == Report.Scope.ROADMAP:
        if report.roadmap_id is None:
            raise ValueError(_("The report names no roadmap."))
        return Subject("roadmap", roadmap=report.roadmap)
    if report.scope == Report.Scope.REGION:
        if report.region_id is None:
            raise ValueError(_("The report names no region."))
        return Subject("region", region=report.region)
    if report.corporation_id is None:
        raise ValueError(_("The report names no corporation."))
    return Subject("corporation", corporation=report.corporation)


def may_request(user, subject: Subject | None = None) -> bool:
    """Region staff for their region and its roadmaps, reviewers for their group and its
    roadmaps, administrators for everything (``report.request`` in scope.py). Without a
    subject: whether the user's role requests reports at all."""
    return may(user, "report.request", subject)


def report_request(*, user, subject: Subject, year: int, language: str = "ru"):
    """A person asks for the yearly report of ``subject`` for ``year``: RoleNotAllowed (403)
    unless ``may_request``, then as ``_report_queue``."""
    if not may_request(user, subject):
        raise RoleNotAllowed()
    return _report_queue(subject=subject, year=year, language=language, requested_by=user)


def _report_queue(*, subject: Subject, year: int, language: str = "ru", requested_by=None):
    """Queue the yearly report of ``subject`` for ``year``.

    Asking again while the same report (subject, year, language) is pending or running
    returns that job: the partial unique constraint ``one_report_in_progress`` decides
    between concurrent requests. The task is queued after commit. Returns (report, created).
    """
    current_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= current_year:
        raise ValidationError(
            {
                "year": _("Choose a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": current_year}
            }
        )
    languages = dict(settings.LANGUAGES)
    if language not in languages:
        raise ValidationError(
            {"language": _("Choose one of: %(codes)s.") % {"codes": ", ".join(languages)}}
        )
    key = subject.key
    for _attempt in range(3):
        existing = _in_progress(key, year, language)
        if existing is not None:
            live = report_revive(existing)
            if live.status in IN_PROGRESS:
                return live, False
            continue  # its worker died too often: a new job replaces it
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    scope=subject.kind,
                    roadmap=subject.roadmap,
                    region=subject.region,
                    corporation=subject.corporation,
                    subject_key=key,
                    year=year,
                    language=language,
                    requested_by=requested_by,
                    lease_until=timezone.now() + _queue_patience(),
                )
                _publish(report.pk, report.lease_until)
        except IntegrityError:
            continue  # a concurrent request made it first: the loop returns that one
        return report, True
    raise RuntimeError(f"report {key} {year} {language}: no job could be had")


def _in_progress(key, year, language):
    return (
        Report.objects.filter(subject_key=key, year=year, language=language, status__in=IN_PROGRESS)
        .order_by("id")
        .first()
    )


def _queue_patience() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REPORT_QUEUE_SECONDS)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REPORT_LEASE_SECONDS)


def _publish(report_id: int, lease_until: datetime.datetime) -> None:
    """Hand the build to the outbox in the caller's transaction: relayed to the broker after
    commit, or by the outbox sweep once a broker that was away is back. One key per
    hand-off (the job's new lease), so a job queued again is a new message."""
    publish(
        BUILD_REPORT,
        key=f"build_report:{report_id}:{lease_until.timestamp():.6f}",
        kwargs={"report_id": report_id},
        queue=REPORTS,
    )


def lease_expired(report: Report, now: datetime.datetime | None = None) -> bool:
    """Whether nobody holds the job: a build whose worker stopped renewing it, or a queued
    job no worker picked up in time (the broker lost it, or was down)."""
    return report.lease_until is None or report.lease_until < (now or timezone.now())


def report_revive(report: Report) -> Report:
    """``report`` as a live job. A pending or running job whose lease ran out is queued again
    (its worker died, or its message never reached a worker); one whose builds were cut off
    ``REPORT_MAX_ATTEMPTS`` times is failed with the reason. A live job is returned as is.
    Concurrent callers revive a job once: the update is conditional on the lease seen."""
    now = timezone.now()
    if report.status not in IN_PROGRESS or not lease_expired(report, now):
        return report
    seen = Report.objects.filter(pk=report.pk, status=report.status, lease_until=report.lease_until)
    if report.status == ReportStatus.RUNNING and report.attempts >= settings.REPORT_MAX_ATTEMPTS:
        with translation.override(report.language):
            message = _(
                "The report could not be built: the build was cut off (attempts: %(count)s)."
            ) % {"count": report.attempts}
        if seen.update(status=ReportStatus.FAILED, finished=now, message=message):
            logger.warning("Report %s failed after %s cut-off builds", report.pk, report.attempts)
    else:
        lease_until = now + _queue_patience()
        with transaction.atomic():
            if seen.update(status=ReportStatus.PENDING, lease_until=lease_until, lease_token=None):
                logger.warning("Report %s queued again (%s, lease ended)", report.pk, report.status)
                _publish(report.pk, lease_until)
    report.refresh_from_db()
    return report


def reports_sweep(batch_size: int = 100) -> list[int]:
    """Queue again (or fail) every report job whose lease ran out; the ids it touched."""
    now = timezone.now()
    dead = Report.objects.filter(status__in=IN_PROGRESS).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    touched = []
    for report in dead.order_by("id")[:batch_size]:
        report_revive(report)
        touched.append(report.pk)
    return touched


class _LeaseKeeper(threading.Thread):
    """Renews a running build's lease while the build goes on (a third of the lease)."""

    def __init__(self, report_id: int, token: uuid.UUID) -> None:
        super().__init__(name=f"report-{report_id}-lease", daemon=True)
        self.report_id, self.token = report_id, token
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(settings.REPORT_LEASE_SECONDS / 3, 0.5)
        try:
            while not self.stopped.wait(every):
                Report.objects.filter(
                    pk=self.report_id, status=ReportStatus.RUNNING, lease_token=self.token
                ).update(lease_until=timezone.now() + _lease())
        except Exception:  # a missed renewal only risks a second build, never a lost one
            logger.warning("Report %s: lease not renewed", self.report_id, exc_info=True)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def report_build(*, report_id):
    """Build one report: claim it with a lease (pending, or running with a lease a dead
    worker left to expire), render HTML and PDF while renewing the lease, store them, mark
    it done and notify. Only the lease's holder may finish the job: a build that lost its
    lease to another worker stores nothing. Any failure is recorded on the report as
    ``failed`` with a message; nothing is raised. Returns the status."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = Report.objects.filter(
        Q(status=ReportStatus.PENDING)
        | Q(
            status=ReportStatus.RUNNING,
            lease_until__lt=now,
            attempts__lt=settings.REPORT_MAX_ATTEMPTS,
        ),
        pk=report_id,
    ).update(
        status=ReportStatus.RUNNING,
        started=now,
        message="",
        lease_until=now + _lease(),
        lease_token=token,
        attempts=F("attempts") + 1,
    )
    report = Report.objects.select_related("roadmap", "region", "corporation").get(pk=report_id)
    if not claimed:
        return report.status
    held = Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING, lease_token=token)
    keeper = _LeaseKeeper(report_id, token)
    keeper.start()
    try:
        # The figures may come from the replica: they need none of the claim's writes.
        with use_replica(ignore_earlier_writes=True):
            html, pdf = render_report(report)
        name = report.pdf.storage.save(f"reports/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
        keeper.stop()
        if not held.update(html=html, pdf=name, status=ReportStatus.DONE, finished=timezone.now()):
            report.pdf.storage.delete(name)
            report.refresh_from_db()
            return report.status
    except Exception as exc:  # every failure becomes a message on the report
        keeper.stop()
        logger.exception("Report %s failed", report_id)
        with translation.override(report.language):  # the reason is in the report's language
            message = _("The report could not be built: %(error)s") % {"error": exc}
        held.update(status=ReportStatus.FAILED, finished=timezone.now(), message=message)
        return ReportStatus.FAILED
    report.refresh_from_db()
    _notify_ready(report)
    report_ready_event(report.pk)
    return ReportStatus.DONE


def _notify_ready(report):
    if report.requested_by_id:
        recipients = [report.requested_by]
    elif report.scope == Report.Scope.ROADMAP:
        recipients = list(users_with_role(Role.REGION_STAFF, region=report.roadmap.region_id))
        recipients += list(
            users_with_role(Role.REVIEWER, corporation=report.roadmap.corporation_id)
        )
    else:
        recipients = []
    title = str(report.roadmap or report.region or report.corporation)
    notify(
        recipients=recipients,
        event="report_ready",
        key=f"report_ready:{report.pk}",
        message=lambda: (
            _("The %(year)s report “%(title)s” is ready.") % {"year": report.year, "title": title}
        ),
        url=reverse("report-detail", args=[report.pk]),
        obj=report,
    )


def report_context(report):
    """The figures of the report (each of its year or cumulative to its end, see
    ``report_figures``), with charts and money formatted in its language."""
    overview = report_overview(subject_of(report), report.year, report.language)
    return {**overview, "report": report, "generated": timezone.localtime()}


def render_report(report):
    """(HTML text, PDF bytes) of ``report``, in the report's language."""
    from weasyprint import HTML  # heavy (Pango, cairo): loaded by the report worker only

    with translation.override(report.language):
        html = render_to_string("roadmap_portal/report_document.html", report_context(report))
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=portal_url_fetcher())
    return html, document.write_pdf()


def static_file_for(url):
    """The path of the portal's static file ``url`` names, or None."""
    parts = urlsplit(url)
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    base = urlsplit(REPORT_BASE_URL)
    if (
        parts.scheme != base.scheme
        or parts.netloc != base.netloc
        or not parts.path.startswith(static_prefix)
        or parts.query
    ):
        return None
    relative = unquote(parts.path[len(static_prefix) :])
    if ".." in relative.split("/"):
        return None
    try:
        return finders.find(relative)
    except SuspiciousFileOperation:
        return None


def portal_url_fetcher():
    """A WeasyPrint URL fetcher giving the portal's own static files and ``data:`` URIs and
    refusing everything else: no network, no other local file."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy: the worker only

    class PortalURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = static_file_for(url)
            if not found:
                raise ValueError(
                    f"The report may not load {url!r}: only the portal's static files."
                )
            with open(found, "rb") as handle:
                body = handle.read()
            mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return PortalURLFetcher(allowed_protocols=("data", "https"), allow_redirects=False)


def yearly_reports_request(*, year=None, language="ru"):
    """Request last year's report of every active roadmap, once: a roadmap that already
    has that report (built, being built or queued) is skipped. Returns the new reports."""
    year = year or timezone.localdate().year - 1
    created = []
    done_or_running = set(
        Report.objects.filter(
            scope=Report.Scope.ROADMAP,
            year=year,
            language=language,
            status__in=[*IN_PROGRESS, ReportStatus.DONE],
        ).values_list("roadmap_id", flat=True)
    )
    for roadmap in Roadmap.objects.filter(status="active").order_by("id"):
        if roadmap.pk in done_or_running or roadmap.start_year > year:
            continue
        report, was_created = _report_queue(
            subject=Subject("roadmap", roadmap=roadmap), year=year, language=language
        )
        if was_created:
            created.append(report)
    return created


def subject_from(*, roadmap=None, region=None, corporation=None):
    """A Subject from exactly one of a roadmap, a region or a corporation (group head)."""
    given = [x for x in (roadmap, region, corporation) if x is not None]
    if len(given) != 1:
        raise ValidationError(
            {"non_field_errors": _("Give exactly one of roadmap, region or corporation.")}
        )
    if roadmap is not None:
        return Subject("roadmap", roadmap=roadmap)
    if region is not None:
        return Subject("region", region=region)
    if corporation.parent_id:
        raise ValidationError(
            {"corporation": _("Reports are made for a group: choose its head corporation.")}
        )
    return Subject("corporation", corporation=corporation)


def report_subjects_for(user):
    """Roadmaps, regions and groups the user may ask a report about (for forms)."""
    scope = scope_of(user)
    roadmaps = roadmaps_visible_to(user).order_by("region__name", "start_year", "id")
    regions = Region.objects.none()
    groups = Corporation.objects.none()
    if scope.is_admin:
        regions = Region.objects.order_by("name")
        groups = Corporation.objects.filter(parent__isnull=True).order_by("short_name")
    elif scope.is_region_staff:
        regions = Region.objects.filter(pk=scope.region_id)
    elif scope.is_reviewer:
        groups = Corporation.objects.filter(pk=scope.group_id)
    else:
        roadmaps = roadmaps.none()
    return roadmaps, regions, groups
