from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from .health import readiness
from .selectors import roadmaps_visible_to


def healthz_live(request):
    """Liveness: the process answers; no dependency is asked."""
    return JsonResponse({"status": "ok"})


def healthz(request):
    """Readiness: each dependency with its status and latency; 503 when a required one
    (the database, the broker) is down, 200 with ``degraded`` when an optional one is."""
    code, body = readiness()
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def roadmap_list(request):
    roadmaps = roadmaps_visible_to(request.user).order_by("region__name", "start_year", "id")
    return render(request, "roadmap_portal/roadmap_list.html", {"roadmaps": roadmaps})


@login_required
def roadmap_detail(request, pk):
    roadmap = get_object_or_404(roadmaps_visible_to(request.user), pk=pk)
    return render(request, "roadmap_portal/roadmap_detail.html", {"roadmap": roadmap})


@csrf_exempt  # it changes nothing; a CSRF refusal would answer an HTML 403 instead of the 404
def api_not_found(request, rest=""):
    """Any /api/ URL that names no endpoint: a JSON 404 (in development too), or the
    endpoint's URL with its slash, as Django's APPEND_SLASH would give it."""
    path = request.path_info
    if not path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                request.path + "/" + (f"?{query}" if query else "")
            )
    return JsonResponse({"detail": _("Not found.")}, status=404)


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
