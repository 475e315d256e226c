from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import defaults

from .selectors import roadmaps_visible_to
from .services import home_agenda


@login_required
def home(request):
    return render(request, "roadmap_portal/home.html", {"agenda": home_agenda(request.user)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def roadmap_list(request):
    roadmaps = roadmaps_visible_to(request.user).order_by("region__name", "start_year", "id")
    return render(request, "roadmap_portal/roadmap_list.html", {"roadmaps": roadmaps})


@login_required
def roadmap_detail(request, pk):
    roadmap = get_object_or_404(roadmaps_visible_to(request.user), pk=pk)
    return render(request, "roadmap_portal/roadmap_detail.html", {"roadmap": roadmap})


def page_not_found(request, exception=None):
    """A JSON 404 under /api/ (clients parse the body whatever went wrong), the site's page
    elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Server error: it is logged and will be fixed.")}, status=500
        )
    return defaults.server_error(request)
