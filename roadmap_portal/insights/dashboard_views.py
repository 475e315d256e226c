"""The dashboard page: region staff see their region, reviewers their group (with the review
queue's ageing), administrators choose a region or a group."""

from django.shortcuts import render

from roadmap_portal.choices import Role
from roadmap_portal.db_routers import reads_from_replica
from roadmap_portal.models import Corporation, Region
from roadmap_portal.scope import scope_of
from roadmap_portal.web import role_required

from .dashboard import Subject, subject_overview, with_charts, with_texts


def _subject_for(request, scope):
    """The dashboard's subject and, for administrators, the choices offered."""
    if scope.is_region_staff:
        return Subject("region", region=Region.objects.get(pk=scope.region_id)), None
    if scope.is_reviewer:
        return Subject("corporation", corporation=Corporation.objects.get(pk=scope.group_id)), None
    regions = list(Region.objects.order_by("name"))
    groups = list(Corporation.objects.filter(parent__isnull=True).order_by("short_name"))
    choices = {
        "regions": regions,
        "groups": groups,
        "region": request.GET.get("region", ""),
        "corporation": request.GET.get("corporation", ""),
    }
    corporation = next((g for g in groups if str(g.pk) == choices["corporation"]), None)
    if corporation is not None:
        return Subject("corporation", corporation=corporation), choices
    region = next((r for r in regions if r.code == choices["region"]), None)
    if region is None and regions:
        region = regions[0]
        choices["region"] = region.code
    if region is None:
        return None, choices
    return Subject("region", region=region), choices


@role_required(Role.REGION_STAFF, Role.REVIEWER)
@reads_from_replica
def dashboard(request):
    scope = scope_of(request.user)
    subject, choices = _subject_for(request, scope)
    overview = None
    if subject is not None:
        overview = with_texts(with_charts(subject_overview(subject, with_ageing=True)))
    return render(
        request,
        "roadmap_portal/dashboard.html",
        {"overview": overview, "subject": subject, "choices": choices},
    )
