from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

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
