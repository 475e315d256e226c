"""Reads of the core domain, each restricted to the user's scope."""

from django.db.models import Q

from .choices import Role
from .models import Corporation, Notification, Region, Report, Roadmap
from .scope import scope_of


def regions_visible_to(user):
    return Region.objects.all() if user.is_authenticated else Region.objects.none()


def corporations_visible_to(user):
    if not user.is_authenticated:
        return Corporation.objects.none()
    return Corporation.objects.select_related("parent").order_by("short_name", "id")


def roadmaps_visible_to(user):
    """Region staff and suppliers see their region's roadmaps, reviewers their group's."""
    scope = scope_of(user)
    qs = Roadmap.objects.select_related("region", "corporation").prefetch_related("targets")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.REGION_STAFF:
        return qs.filter(region_id=scope.region_id)
    if scope.role == Role.SUPPLIER:
        return qs.filter(region__suppliers__id=scope.supplier_id)
    if scope.role == Role.REVIEWER:
        return qs.filter(corporation_id=scope.group_id)
    if scope.role == Role.OFFICER:
        return qs.filter(corporation__required_body_id=scope.body_id)
    if scope.role == Role.PARTNER:
        q = Q()
        if scope.region_id:
            q &= Q(region_id=scope.region_id)
        if scope.group_id:
            q &= Q(corporation_id=scope.group_id)
        return qs.filter(q).exclude(status="draft")
    return qs.none()


def roadmap_series(roadmap):
    """The roadmap and those it follows or that follow it, oldest first: one query.

    A recursive query walks the ``previous`` links both ways; the depth bound stops
    a (malformed) cycle of links. A series is one region's and one group's: a link to a
    roadmap of another pair is not followed, so that the series' volumes never show a
    reader of this roadmap another region's or group's figures.
    """
    table = Roadmap._meta.db_table
    sql = f"""
        WITH RECURSIVE back(id, previous_id, depth) AS (
            SELECT id, previous_id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT r.id, r.previous_id, b.depth - 1
            FROM {table} r JOIN back b ON r.id = b.previous_id
            WHERE b.depth > -50 AND r.region_id = %s AND r.corporation_id = %s
        ),
        forth(id, depth) AS (
            SELECT id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT r.id, f.depth + 1
            FROM {table} r JOIN forth f ON r.previous_id = f.id
            WHERE f.depth < 50 AND r.region_id = %s AND r.corporation_id = %s
        ),
        chain(id, depth) AS (
            SELECT id, depth FROM back UNION ALL SELECT id, depth FROM forth
        )
        SELECT r.*, c.depth AS series_depth
        FROM {table} r JOIN chain c ON c.id = r.id
        ORDER BY c.depth, r.id
    """  # noqa: S608 - the table name is the model's, the id a parameter
    chain, seen = [], set()
    pair = [roadmap.region_id, roadmap.corporation_id]
    for item in Roadmap.objects.raw(sql, [roadmap.pk, *pair, roadmap.pk, *pair]):
        if item.pk not in seen:
            seen.add(item.pk)
            chain.append(item)
    return chain or [roadmap]


def reports_visible_to(user):
    """Region staff see their region's reports, reviewers their group's, a partner the
    finished reports inside its key's scope; other roles none."""
    scope = scope_of(user)
    qs = Report.objects.select_related("roadmap", "roadmap__region", "region", "corporation")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.REGION_STAFF:
        return qs.filter(
            Q(scope=Report.Scope.REGION, region_id=scope.region_id)
            | Q(scope=Report.Scope.ROADMAP, roadmap__region_id=scope.region_id)
        )
    if scope.role == Role.REVIEWER:
        return qs.filter(
            Q(scope=Report.Scope.CORPORATION, corporation_id=scope.group_id)
            | Q(scope=Report.Scope.ROADMAP, roadmap__corporation_id=scope.group_id)
        )
    if scope.role == Role.PARTNER:
        qs = qs.filter(status="done")
        if scope.region_id:
            qs = qs.filter(
                Q(scope=Report.Scope.REGION, region_id=scope.region_id)
                | Q(scope=Report.Scope.ROADMAP, roadmap__region_id=scope.region_id)
            )
        if scope.group_id:
            qs = qs.filter(
                Q(scope=Report.Scope.CORPORATION, corporation_id=scope.group_id)
                | Q(scope=Report.Scope.ROADMAP, roadmap__corporation_id=scope.group_id)
            )
        return qs
    return qs.none()


def notifications_of(user):
    return (
        Notification.objects.filter(recipient=user)
        if user.is_authenticated
        else Notification.objects.none()
    )
