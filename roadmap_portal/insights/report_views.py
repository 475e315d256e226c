"""Report pages: ask for a yearly report, follow its progress, open or download it."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from roadmap_portal.scope import may, reads_internal_records
from roadmap_portal.selectors import reports_visible_to
from roadmap_portal.storage import stored_file_response
from roadmap_portal.web import paginate

from .reports import (
    FIRST_YEAR,
    IN_PROGRESS,
    may_request,
    report_request,
    report_revive,
    report_subjects_for,
    subject_from,
)


class ReportRequestForm(forms.Form):
    subject = forms.ChoiceField(label=gettext_lazy("Report on"))
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        roadmaps, regions, groups = report_subjects_for(user)
        self.objects = {}
        choices = []
        for label, kind, items in (
            (_("Regions"), "region", regions),
            (_("Corporation groups"), "corporation", groups),
            (_("Roadmaps"), "roadmap", roadmaps),
        ):
            options = []
            for item in items:
                key = f"{kind}:{item.pk}"
                self.objects[key] = (kind, item)
                options.append((key, str(item.name if kind == "region" else item)))
            if options:
                choices.append((label, options))
        self.fields["subject"].choices = choices
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, y) for y in range(this_year, FIRST_YEAR - 1, -1)]
        self.fields["year"].initial = this_year - 1
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        self.fields["language"].initial = getattr(profile, "language", None) or "ru"
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def chosen_subject(self):
        kind, item = self.objects[self.cleaned_data["subject"]]
        return subject_from(**{kind: item})


def _may_read(user) -> bool:
    return may(user, "report.read")


def _may_request(user) -> bool:
    """Whether the page offers the request form: the service checks the chosen subject."""
    return may_request(user)


@login_required
def report_list(request):
    if not _may_read(request.user):
        raise PermissionDenied
    form = None
    if _may_request(request.user):
        form = ReportRequestForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                report, created = report_request(
                    user=request.user,
                    subject=form.chosen_subject(),
                    year=form.cleaned_data["year"],
                    language=form.cleaned_data["language"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if created:
                    messages.success(request, _("The report is being built."))
                else:
                    messages.info(request, _("This report is already being built."))
                return redirect("report-detail", report.pk)
    elif request.method == "POST":
        raise PermissionDenied
    reports = (
        reports_visible_to(request.user).select_related("requested_by").order_by("-created", "-id")
    )
    page = paginate(request, reports)
    return render(
        request,
        "roadmap_portal/report_list.html",
        {
            "form": form,
            "page": page,
            "reports": page.object_list,
            "refresh": any(r.status in IN_PROGRESS for r in page.object_list),
            "show_staff": reads_internal_records(request.user),
        },
    )


@login_required
def report_detail(request, pk):
    if not _may_read(request.user):
        raise PermissionDenied
    # A job whose worker died is queued again before it is shown.
    report = report_revive(get_object_or_404(reports_visible_to(request.user), pk=pk))
    return render(
        request,
        "roadmap_portal/report_detail.html",
        {
            "report": report,
            "refresh": report.status in IN_PROGRESS,
            "show_staff": reads_internal_records(request.user),
        },
    )


@login_required
def report_pdf(request, pk):
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    if report.status != "done":
        raise Http404
    return stored_file_response(
        report.pdf, filename=f"report-{report.subject_key.replace(':', '-')}-{report.year}.pdf"
    )


@login_required
def report_html(request, pk):
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    if report.status != "done" or not report.html:
        raise Http404
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
