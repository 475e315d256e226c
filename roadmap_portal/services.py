"""Writes of the core: the rules a roadmap's links keep."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Roadmap

if TYPE_CHECKING:
    from .models import Corporation, Region


def roadmap_links_check(
    *,
    roadmap: Roadmap | None,
    region: Region | None,
    corporation: Corporation | None,
    previous: Roadmap | None,
) -> None:
    """What a roadmap may link to beyond what its writer sees: it follows a roadmap of its own
    region that no other roadmap follows yet, never itself nor one of its own successors; and
    its corporation stays once offers were made under it (they are in that group's review)."""
    errors = {}
    if previous is not None:
        if roadmap is not None and previous.pk == roadmap.pk:
            errors["previous"] = _("A roadmap cannot follow itself.")
        elif region is not None and previous.region_id != region.pk:
            errors["previous"] = _("A roadmap follows a roadmap of its own region.")
        elif (
            Roadmap.objects.filter(previous=previous)
            .exclude(pk__in=[roadmap.pk] if roadmap is not None else [])
            .exists()
        ):
            errors["previous"] = _("Another roadmap already follows “%(title)s”.") % {
                "title": previous.title
            }
        elif roadmap is not None and _precedes(roadmap, previous):
            errors["previous"] = _("A roadmap cannot follow one of its own successors.")
    if (
        roadmap is not None
        and corporation is not None
        and corporation.pk != roadmap.corporation_id
        and roadmap.offers.exists()
    ):
        errors["corporation"] = _(
            "Offers were made under this roadmap: its corporation cannot change."
        )
    if errors:
        raise ValidationError(errors)


def _precedes(roadmap: Roadmap, other: Roadmap, *, depth: int = 50) -> bool:
    """Whether ``roadmap`` is ``other`` or one of the roadmaps it follows (bounded walk)."""
    current: int | None = other.pk
    for _step in range(depth):
        if current is None:
            return False
        if current == roadmap.pk:
            return True
        current = Roadmap.objects.filter(pk=current).values_list("previous_id", flat=True).first()
    return False
