"""The search page: the navigation box's results, grouped by kind (roadmap_portal/search/selectors.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import KINDS, KINDS_BY_KEY, QUERY_MAX_LENGTH, SearchQueryError, search_visible_to


@login_required
def search(request):
    query = request.GET.get("q", "")
    kind = request.GET.get("kind") or None
    if kind not in KINDS_BY_KEY:
        kind = None
    groups, error = [], ""
    if "q" in request.GET:
        try:
            groups = search_visible_to(request.user, query, kind=kind)
        except SearchQueryError as exc:
            error = str(exc)
    found = [g for g in groups if g.count]
    return render(
        request,
        "search/results.html",
        {
            "query": query,
            "kind": kind,
            "kinds": KINDS,
            "groups": found,
            "empty_kinds": [g for g in groups if not g.count],
            "searched": bool(groups),
            "error": error,
            "max_length": QUERY_MAX_LENGTH,
        },
    )
