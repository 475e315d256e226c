"""What an answer embeds obeys the reader's scope: a generated matrix.

One world holds two regions, two corporation groups (each requiring its own certification
body) and offers at public and non-public stages on every side. Every object carries a unique
marker (``LEAK-<kind>-<tag>``) in a name, a number, a comment, a finding or a staff member's
name. For every GET route of the API (read from the URL resolver, so a new route is covered
without anyone adding it here: each list, each detail for every object of its model in and
out of scope, each detail action) and for the main HTML pages, for every role and key kind,
the whole body is searched for the markers that reader may not see, and the ids a JSON
answer names under ``offer``/``offers``/``offerId``/``supplier``/``certificate``/``tender``
are checked too. The targeted tests after the matrix pin each leak class on its own.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from certification.models import ReadinessEvaluation, RegisterEntry, RequirementCheck
from procurement.models import Bid
from roadmap_portal.api.authentication import generate_key
from roadmap_portal.conversations.models import Message
from roadmap_portal.models import ApiKey, Report
from suppliers.models import OfferTransition
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    ContractFactory,
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RequirementFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    admin_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db

MARKER = re.compile(r"LEAK-[a-z]+-[a-z0-9]+")
ELECTRIC_MOTORS = "28.14.13.131"
PAGES_ONLY = "pages only"  # a reader of the HTML pages alone
TEXT_TYPES = ("application/json", "text/", "application/xhtml")
# Markers of what is internal to the portal: who moved an offer and why.
INTERNAL = {
    "LEAK-comment-o11r",
    "LEAK-comment-o11t",
    "LEAK-comment-o22r",
    "LEAK-comment-o22t",
    "LEAK-finding-o11r",
    "LEAK-finding-o22t",
    "LEAK-remark-o11r",
    "LEAK-staff-reviewer",
    "LEAK-staff-reviewerb",
    "LEAK-staff-officer",
    "LEAK-staff-officerb",
    "LEAK-staff-regionone",
    "LEAK-comment-s1v",
}
# The other side's internals, for the roles that work on one side only.
SIDE_TWO_INTERNAL = {
    "LEAK-comment-o22r",
    "LEAK-comment-o22t",
    "LEAK-finding-o22t",
    "LEAK-staff-reviewerb",
}
NON_PUBLIC_OFFERS = {"LEAK-offer-o11t", "LEAK-offer-o11d", "LEAK-offer-o12f", "LEAK-offer-o22t"}
PARTNER = NON_PUBLIC_OFFERS | {"LEAK-cert-c11np", "LEAK-cert-c22np"} | INTERNAL
# What each reader may never see, anywhere (the register is public inside the portal, so
# registered offers, their suppliers and their register certificates are not listed for
# the portal's own roles).
FORBIDDEN = {
    "administrator": set(),
    "supplier member": {
        "LEAK-offer-o22t",
        "LEAK-cert-c22np",
        "LEAK-contract-k3",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-requirement-q3",
        *SIDE_TWO_INTERNAL,
    },
    "region staff": {
        "LEAK-offer-o11d",
        "LEAK-offer-o22t",
        "LEAK-cert-c22np",
        "LEAK-contract-k3",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-requirement-q3",
        *SIDE_TWO_INTERNAL,
    },
    "reviewer": {
        "LEAK-offer-o11d",
        "LEAK-offer-o12f",
        "LEAK-offer-o22t",
        "LEAK-cert-c22np",
        "LEAK-tender-t2",
        "LEAK-tender-t3",
        "LEAK-contract-k3",
        "LEAK-demand-d2",
        "LEAK-roadmap-m12",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-demand-d3",
        "LEAK-requirement-q3",
        "LEAK-requirement-q2",
        *SIDE_TWO_INTERNAL,
    },
    "officer": {
        "LEAK-offer-o11d",
        "LEAK-offer-o12f",
        "LEAK-offer-o22t",
        "LEAK-cert-c22np",
        "LEAK-tender-t1",
        "LEAK-tender-t2",
        "LEAK-tender-t3",
        "LEAK-tender-t4",
        "LEAK-contract-k1",
        "LEAK-contract-k3",
        "LEAK-roadmap-m12",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-requirement-q3",
        "LEAK-requirement-q2",
        *SIDE_TWO_INTERNAL,
    },
    "partner": PARTNER,
    "partner key, group 1": PARTNER
    | {
        "LEAK-offer-o12r",
        "LEAK-offer-o22r",
        "LEAK-supplier-s2",
        "LEAK-cert-c12",
        "LEAK-cert-c22",
        "LEAK-tender-t2",
        "LEAK-tender-t3",
        "LEAK-contract-k3",
        "LEAK-demand-d2",
        "LEAK-roadmap-m12",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-demand-d3",
        "LEAK-requirement-q3",
        "LEAK-requirement-q2",
    },
    "partner key, region 1": PARTNER
    | {
        "LEAK-offer-o22r",
        "LEAK-supplier-s2",
        "LEAK-cert-c22",
        "LEAK-contract-k3",
        "LEAK-roadmap-m22",
        "LEAK-tender-t5",
        "LEAK-demand-d3",
        "LEAK-requirement-q3",
    },
}
# A partner's account narrowed by its profile has the slice of a key narrowed the same way.
FORBIDDEN["partner account, group 1"] = FORBIDDEN["partner key, group 1"]
FORBIDDEN["partner account, region 1"] = FORBIDDEN["partner key, region 1"]
# Internal notes of an offer's conversation: each side reads its own side's only, the
# supplier and partners none (partners read no conversation at all).
NOTES = {"LEAK-note-region", "LEAK-note-corporation", "LEAK-note-certification"}
for viewer, own in (
    ("supplier member", None),
    ("region staff", "LEAK-note-region"),
    ("reviewer", "LEAK-note-corporation"),
    ("officer", "LEAK-note-certification"),
):
    FORBIDDEN[viewer] = FORBIDDEN[viewer] | (NOTES - {own})
for viewer in [name for name in FORBIDDEN if name.startswith("partner")]:
    FORBIDDEN[viewer] = FORBIDDEN[viewer] | NOTES
# JSON keys that name objects by id, and the marker kind of their model.
ID_KEYS = {
    "offer": "offer",
    "offers": "offer",
    "offerId": "offer",
    "supplier": "supplier",
    "certificate": "cert",
    "tender": "tender",
}
# HTML routes with an id, and the world objects to open them with. The other HTML routes
# with parameters act on an object (POST) or send a file; the matrix prints them.
HTML_DETAIL = {
    "suppliers:offer-detail": "offer",
    "suppliers:supplier-detail": "supplier",
    "certification:certificate-detail": "cert",
    "certification:review": "offer",
    "procurement:tender-detail": "tender",
    "roadmap-detail": "roadmap",
    "report-detail": "report",
    "report-html": "report",
    # Form pages: their choices are embeds too.
    "suppliers:offer-update": "offer",
    "certification:certificate-renew": "cert",
    "procurement:tender-bid": "tender",
    "procurement:demand-answer": "demand",
}


@dataclass
class World:
    objects: dict = field(default_factory=dict)  # marker -> model instance
    viewers: dict = field(default_factory=dict)  # name -> (user, api key or None)

    def ids(self, kind, markers):
        return {
            obj.pk
            for marker, obj in self.objects.items()
            if marker.startswith(f"LEAK-{kind}-") and marker in markers
        }

    def of_kind(self, kind):
        return [obj for marker, obj in self.objects.items() if marker.startswith(f"LEAK-{kind}-")]


def _staff(role, tag, **scope):
    user = user_with_role(role, **scope)
    get_user_model().objects.filter(pk=user.pk).update(first_name=f"LEAK-staff-{tag}", last_name="")
    user.refresh_from_db()
    return user


def _key(user, **scope):
    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="matrix", organisation="Partner", user=user, prefix=prefix, hashed_key=hashed, **scope
    )
    return key


def build_world() -> World:
    w = World()
    o = w.objects
    today = timezone.localdate()
    r1, r2 = RegionFactory(name="Region one"), RegionFactory(name="Region two")
    b1, b2 = CertificationBodyFactory(), CertificationBodyFactory()
    g1 = CorporationFactory(required_body=b1)
    g2 = CorporationFactory(required_body=b2)
    # Reference data (every reader sees them): opened by the matrix, never forbidden.
    o["LEAK-corporation-g1"], o["LEAK-corporation-g2"] = g1, g2
    o["LEAK-roadmap-m11"] = m11 = RoadmapFactory(
        region=r1, corporation=g1, title="LEAK-roadmap-m11"
    )
    o["LEAK-roadmap-m12"] = m12 = RoadmapFactory(
        region=r1, corporation=g2, title="LEAK-roadmap-m12"
    )
    o["LEAK-roadmap-m22"] = m22 = RoadmapFactory(
        region=r2, corporation=g2, title="LEAK-roadmap-m22"
    )
    o["LEAK-supplier-s1"] = s1 = SupplierFactory(
        region=r1, name="LEAK-supplier-s1", verification_comment="LEAK-comment-s1v"
    )
    o["LEAK-supplier-s2"] = s2 = SupplierFactory(region=r2, name="LEAK-supplier-s2")

    reviewer = _staff("reviewer", "reviewer", corporation=g1)
    reviewer_b = _staff("reviewer", "reviewerb", corporation=g2)
    officer = _staff("officer", "officer", certification_body=b1)
    officer_b = _staff("officer", "officerb", certification_body=b2)

    def offer(tag, supplier, roadmap, status, okpd2="27.11.22.000"):
        o[f"LEAK-offer-{tag}"] = made = OfferFactory(
            supplier=supplier,
            roadmap=roadmap,
            status=status,
            name=f"LEAK-offer-{tag}",
            okpd2=okpd2,
        )
        return made

    o11r = offer("o11r", s1, m11, "registered")
    # Alone in its category: eligibility for a tender there can only name it.
    o11t = offer("o11t", s1, m11, "tested", okpd2=ELECTRIC_MOTORS)
    offer("o11d", s1, m11, "draft")
    o12r = offer("o12r", s1, m12, "registered")
    offer("o12f", s1, m12, "forwarded")
    o22r = offer("o22r", s2, m22, "registered")
    o22t = offer("o22t", s2, m22, "tested")

    def certificate(tag, body, supplier, offers, issued_by):
        o[f"LEAK-cert-{tag}"] = made = CertificateFactory(
            number=f"LEAK-cert-{tag}", body=body, supplier=supplier, offers=offers
        )
        type(made).objects.filter(pk=made.pk).update(issued_by=issued_by)
        return made

    c11 = certificate("c11", b1, s1, [o11r, o11t], officer)
    certificate("c11np", b1, s1, [o11t], officer)
    c12 = certificate("c12", b2, s1, [o12r], officer_b)
    c22 = certificate("c22", b2, s2, [o22r, o22t], officer_b)
    certificate("c22np", b2, s2, [o22t], officer_b)
    for n, (item, group, cert) in enumerate(((o11r, g1, c11), (o12r, g2, c12), (o22r, g2, c22))):
        RegisterEntry.objects.create(
            corporation=group,
            number=n + 1,
            offer=item,
            supplier=item.supplier,
            okpd2=item.okpd2,
            certificate=cert,
            included_on=today - datetime.timedelta(days=10),
        )

    def step(item, tag, from_status, to_status, actor):
        return OfferTransition.objects.create(
            offer=item,
            action="step",
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            comment=f"LEAK-comment-{tag}",
            data={"findings": f"LEAK-comment-{tag}"},
        )

    step(o11t, "o11t", "readiness_confirmed", "tested", reviewer)
    step(o11r, "o11r", "certified", "registered", reviewer)
    step(o22t, "o22t", "readiness_confirmed", "tested", reviewer_b)
    step(o22r, "o22r", "certified", "registered", reviewer_b)
    ReadinessEvaluation.objects.create(
        offer=o11r, capacity_confirmed=True, findings="LEAK-finding-o11r", evaluated_by=reviewer
    )
    ReadinessEvaluation.objects.create(
        offer=o22t, capacity_confirmed=True, findings="LEAK-finding-o22t", evaluated_by=reviewer_b
    )
    g3 = CorporationFactory()  # a group with no roadmap yet: in no region's slice
    for tag, group in (("q1", g1), ("q2", g2), ("q3", g3)):
        o[f"LEAK-requirement-{tag}"] = RequirementFactory(
            corporation=group, title=f"LEAK-requirement-{tag}"
        )
    RequirementCheck.objects.create(
        offer=o11r,
        requirement=o["LEAK-requirement-q1"],
        outcome="met",
        remarks="LEAK-remark-o11r",
        checked_by=reviewer,
    )

    future, past = today + datetime.timedelta(days=30), today - datetime.timedelta(days=3)
    o["LEAK-tender-t1"] = t1 = TenderFactory(
        customer=g1, title="LEAK-tender-t1", deadline=future, categories=["27.11", "28.14"]
    )
    # Group 3 has no roadmap: its tender and demand are in no region's slice.
    o["LEAK-tender-t5"] = TenderFactory(customer=g3, title="LEAK-tender-t5", deadline=future)
    o["LEAK-demand-d3"] = DemandFactory(customer=g3, title="LEAK-demand-d3")
    o["LEAK-tender-t4"] = TenderFactory(
        customer=g1, title="LEAK-tender-t4", deadline=future, categories=["28.14"]
    )
    o["LEAK-tender-t2"] = t2 = TenderFactory(customer=g2, title="LEAK-tender-t2", deadline=future)
    o["LEAK-tender-t3"] = t3 = TenderFactory(
        customer=g2, title="LEAK-tender-t3", deadline=past, status="awarded"
    )
    bids = {}
    for tender, supplier, item in ((t1, s1, o11r), (t2, s1, o12r), (t2, s2, o22r), (t3, s2, o22r)):
        bid = Bid.objects.create(tender=tender, supplier=supplier, price=Decimal("1000"))
        bid.offers.add(item)
        bids[(tender.pk, supplier.pk)] = bid
    o["LEAK-contract-k1"] = ContractFactory(supplier=s1, customer=g1, subject="LEAK-contract-k1")
    o["LEAK-contract-k3"] = ContractFactory(
        supplier=s2,
        customer=g2,
        tender=t3,
        bid=bids[(t3.pk, s2.pk)],
        subject="LEAK-contract-k3",
        signed_on=today - datetime.timedelta(days=1),
    )
    o["LEAK-demand-d1"] = DemandFactory(customer=g1, title="LEAK-demand-d1")
    o["LEAK-demand-d2"] = DemandFactory(customer=g2, title="LEAK-demand-d2")
    # An offer to group 1 answering group 2's demand: the demand is not group 1's to read.
    type(o11r).objects.filter(pk=o11r.pk).update(demand=o["LEAK-demand-d2"])

    region_staff = _staff("region_staff", "regionone", region=r1)
    # A note of each side on an offer that every side of group 1 sees.
    for tag, author, role in (
        ("region", region_staff, "region_staff"),
        ("corporation", reviewer, "reviewer"),
        ("certification", officer, "officer"),
    ):
        Message.objects.create(
            offer=o11t, author=author, author_role=role, audience=tag, body=f"LEAK-note-{tag}"
        )
    for tag, roadmap, requested_by in (("r11", m11, region_staff), ("r22", m22, reviewer_b)):
        # A finished report: what it embeds is its roadmap (the title stands for it).
        o[f"LEAK-report-{tag}"] = Report.objects.create(
            scope=Report.Scope.ROADMAP,
            roadmap=roadmap,
            subject_key=f"roadmap:{roadmap.pk}",
            year=today.year,
            status="done",
            html=f"<h1>{roadmap.title}</h1>",
            requested_by=requested_by,
        )

    partner = user_with_role("partner", username="partner")
    w.viewers = {
        "administrator": (admin_user(), None),
        "supplier member": (user_with_role("supplier", supplier=s1), None),
        "region staff": (region_staff, None),
        "reviewer": (reviewer, None),
        "officer": (officer, None),
        "partner": (partner, None),
        "partner key, group 1": (partner, _key(partner, corporation=g1)),
        "partner key, region 1": (partner, _key(partner, region=r1)),
        # A partner's account narrowed by its profile reads the pages in the same slice.
        "partner account, group 1": (
            user_with_role("partner", username="partner-g1", corporation=g1),
            PAGES_ONLY,
        ),
        "partner account, region 1": (
            user_with_role("partner", username="partner-r1", region=r1),
            PAGES_ONLY,
        ),
    }
    w.bids = bids
    w.regions = (r1, r2)
    return w


@pytest.fixture
def world(settings):
    settings.API_RATE_KEY = settings.API_RATE_USER = settings.API_RATE_ANON = ""
    return build_world()


def api_client(user, key):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    else:
        client.force_authenticate(user)
    return client


def body_text(response):
    kind = response.get("Content-Type", "")
    if getattr(response, "streaming", False) or not kind.startswith(TEXT_TYPES):
        return None
    return response.content.decode("utf-8", "replace")


def named_ids(value, key=None):
    """(marker kind, id) of every object a JSON answer names by id under ID_KEYS."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from named_ids(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from named_ids(item, key)
    elif key in ID_KEYS and isinstance(value, int) and not isinstance(value, bool):
        yield ID_KEYS[key], value


def leaks_in(response, forbidden, world):
    text = body_text(response)
    if text is None:
        return set()
    found = set(MARKER.findall(text)) & forbidden
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        for kind, pk in named_ids(data):
            if pk in world.ids(kind, forbidden):
                found.add(f"{kind} id {pk}")
    return found


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def api_get_routes():
    """(name, pattern) of every GET route under /api/v1/ (format suffixes left out)."""
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "format" in route:
            continue
        actions = getattr(pattern.callback, "actions", None)
        view_class = getattr(pattern.callback, "cls", None)
        if actions is not None and "get" not in actions:
            continue
        if actions is None and view_class is not None and not hasattr(view_class, "get"):
            continue
        yield name, pattern


def model_kind(pattern):
    view_class = getattr(pattern.callback, "cls", None)
    meta = getattr(getattr(view_class, "serializer_class", None), "Meta", None)
    model = getattr(meta, "model", None)
    return {
        "Offer": "offer",
        "Supplier": "supplier",
        "Certificate": "cert",
        "Tender": "tender",
        "Contract": "contract",
        "Demand": "demand",
        "Roadmap": "roadmap",
        "Corporation": "corporation",
        "Report": "report",
        "Requirement": "requirement",
    }.get(getattr(model, "__name__", ""))


# Routes of views without a model serializer, and the kind of object their pk names.
ROUTE_KINDS = {"demands-substitutes": "demand"}


def api_requests(world):
    """(route name, URL) of every request of one reader; routes that need an object the
    world lacks are returned apart."""
    calls, skipped = [], []
    for name, pattern in api_get_routes():
        params = set(pattern.pattern.regex.groupindex)
        if not params:
            calls.append((name, reverse(name)))
            continue
        if params == {"code"}:
            calls += [(name, reverse(name, kwargs={"code": r.code})) for r in world.regions]
            continue
        if params == {"offer_pk"}:  # an offer's conversation
            calls += [
                (name, reverse(name, kwargs={"offer_pk": obj.pk})) for obj in world.of_kind("offer")
            ]
            continue
        kind = model_kind(pattern) or ROUTE_KINDS.get(name)
        if params != {"pk"} or kind is None:
            skipped.append(name)
            continue
        for obj in world.of_kind(kind):
            url = reverse(name, kwargs={"pk": obj.pk})
            if name == "tenders-eligibility":
                calls += [(name, f"{url}?supplier={s.pk}") for s in world.of_kind("supplier")]
            else:
                calls.append((name, url))
    return calls, skipped


def html_requests(world):
    calls, skipped = [], []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/")) or route.startswith("i18n"):
            continue
        params = set(pattern.pattern.regex.groupindex)
        if not params:
            try:
                calls.append((name, reverse(name)))
            except NoReverseMatch:
                skipped.append(name)
            continue
        kind = HTML_DETAIL.get(name)
        if kind is None or params != {"pk"}:
            skipped.append(name)
            continue
        calls += [(name, reverse(name, kwargs={"pk": obj.pk})) for obj in world.of_kind(kind)]
    return calls, skipped


# Routes the matrix cannot open with the world's objects, and why. A new route with
# parameters fails the matrix until it is opened or listed here.
API_NOT_OPENED = {
    "offers-attachment-download": "a stored file of an attachment: no text to search",
    "offer-messages-detail": "read through the offer's list (in the matrix)",
    "offer-messages-attachment-download": "a stored PDF",
    "webhook-deliveries-list": "the partner's own webhook's log, not the portal's objects",
    "webhooks-detail": "the partner's own webhook",
    "webhooks-deliveries-detail": "the partner's own webhook's log",
    "auth-tokens-detail": "the caller's own token",
    "requirement-checks-detail": "read through the list (its rows are in the matrix)",
    "readiness-evaluations-detail": "read through the list",
    "tests-detail": "read through the list",
    "tests-protocol": "a stored PDF",
    "register-detail": "read through the list",
    "review-queue-detail": "read through the list",
    "reports-pdf": "a stored PDF",
    "bids-detail": "bids carry no name: their ids are checked in the lists",
    "notifications-detail": "the caller's own notification",
    "notifications-read": "a write (POST)",
    "ocds-extension": "the extension's static files",
    "api-token": "the login itself (POST)",
    "export-jobs-detail": "the caller's own export job; its rows are the lists' (in the matrix)",
    "export-jobs-download": "the file of the caller's own export job",
}


@pytest.mark.long(seconds=45)
def test_every_answer_embeds_only_what_its_reader_may_see(world, client):
    api_calls, api_skipped = api_requests(world)
    html_calls, html_skipped = html_requests(world)
    unknown = set(api_skipped) - set(API_NOT_OPENED)
    assert not unknown, f"API routes the matrix does not open: {sorted(unknown)}"
    assert len({name for name, _url in api_calls}) >= 30, "the resolver walk found the routes"
    leaks, requests, statuses = [], 0, {}
    for viewer, (user, key) in world.viewers.items():
        forbidden = FORBIDDEN[viewer]
        api = api_client(user, None if key == PAGES_ONLY else key)
        for name, url in api_calls if key != PAGES_ONLY else ():
            response = api.get(url)
            requests += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (viewer, url, response.content[:300])
            found = leaks_in(response, forbidden, world)
            if found:
                leaks.append((viewer, url, sorted(found)))
        if key and key != PAGES_ONLY:
            continue  # keys read the API only
        client.force_login(user)
        for name, url in html_calls:
            response = client.get(url)
            requests += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (viewer, url)
            found = leaks_in(response, forbidden, world)
            if found:
                leaks.append((viewer, url, sorted(found)))
        client.logout()
    html_viewers = sum(1 for _u, key in world.viewers.values() if key in (None, PAGES_ONLY))
    api_viewers = sum(1 for _u, key in world.viewers.values() if key != PAGES_ONLY)
    print(
        f"\nembed matrix: {api_viewers} readers x "
        f"{len({n for n, _u in api_calls})} API routes ({len(api_calls)} requests each) + "
        f"{html_viewers} readers x {len({n for n, _u in html_calls})} HTML routes "
        f"({len(html_calls)} requests each) = {requests} requests; statuses {statuses}; "
        f"{len(leaks)} leaks; HTML routes not opened: {sorted(html_skipped)}"
    )
    assert not leaks, "\n".join(f"{v} {u}: {f}" for v, u, f in leaks)


# Targeted tests: one per leak class, each failing before its fix.


def _get(world, viewer, url):
    user, key = world.viewers[viewer]
    response = api_client(user, key).get(url)
    assert response.status_code == 200, (viewer, url, response.content[:300])
    return response.json()


def test_eligibility_names_no_offer_the_reader_may_not_see(world):
    tender, supplier = world.objects["LEAK-tender-t4"], world.objects["LEAK-supplier-s1"]
    url = f"/api/v1/tenders/{tender.pk}/eligibility/?supplier={supplier.pk}"
    inside = _get(world, "reviewer", url)
    assert "LEAK-offer-o11t" in str(inside["checks"]), "the reviewer reads the tested offer"
    for viewer in ("partner", "partner key, group 1", "partner key, region 1"):
        answer = _get(world, viewer, url)
        assert answer["eligible"] is inside["eligible"] is False
        registered = next(c for c in answer["checks"] if c["rule"] == "registered_offer")
        assert registered == {
            "rule": "registered_offer",
            "passed": False,
            "detail": f"The supplier has no offer to {tender.customer.short_name} in "
            "categories 28.14.",
        }
        named = {
            m for m in MARKER.findall(str(answer)) if m.startswith(("LEAK-offer", "LEAK-cert"))
        }
        assert named == set(), answer


def test_a_partner_certificate_page_lists_only_public_offers(world, client):
    certificate = world.objects["LEAK-cert-c11"]
    client.force_login(world.viewers["partner"][0])
    page = client.get(reverse("certification:certificate-detail", args=[certificate.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "LEAK-offer-o11r" in text
    assert "LEAK-offer-o11t" not in text
    assert "LEAK-staff-officer" not in text
    only_private = world.objects["LEAK-cert-c11np"]
    detail = reverse("certification:certificate-detail", args=[only_private.pk])
    assert client.get(detail).status_code == 404
    answer = _get(world, "partner", f"/api/v1/certificates/{certificate.pk}/")
    assert answer["offers"] == [world.objects["LEAK-offer-o11r"].pk]


def test_a_group_key_reads_its_groups_certificates_and_suppliers_only(world):
    certificates = _get(world, "partner key, group 1", "/api/v1/certificates/")["results"]
    assert [c["number"] for c in certificates] == ["LEAK-cert-c11"]
    suppliers = _get(world, "partner key, group 1", "/api/v1/suppliers/")["results"]
    assert [s["name"] for s in suppliers] == ["LEAK-supplier-s1"]
    user, key = world.viewers["partner key, group 1"]
    scan = f"/api/v1/certificates/{world.objects['LEAK-cert-c22'].pk}/scan/"
    assert api_client(user, key).get(scan).status_code == 404
    region_key_tenders = _get(world, "partner key, region 1", "/api/v1/tenders/")["results"]
    assert len(region_key_tenders) == 4  # every group has a roadmap in region 1


def test_a_partner_reads_public_status_changes_without_actor_comment_or_record(world):
    offer = world.objects["LEAK-offer-o11r"]
    url = f"/api/v1/offers/{offer.pk}/history/"
    inside = _get(world, "reviewer", url)["results"]
    assert [(r["to_status"], r["comment"]) for r in inside] == [("registered", "LEAK-comment-o11r")]
    for viewer in ("partner", "partner key, group 1", "partner key, region 1"):
        rows = _get(world, viewer, url)["results"]
        assert [
            (r["from_status"], r["to_status"], r["actor"], r["actor_name"], r["comment"], r["data"])
            for r in rows
        ] == [("certified", "registered", None, "", "", {})]
        assert _get(world, viewer, "/api/v1/readiness-evaluations/")["count"] == 0
        assert _get(world, viewer, "/api/v1/requirement-checks/")["count"] == 0
        assert _get(world, viewer, "/api/v1/tests/")["count"] == 0


def _release(package, tender):
    number = tender.number
    return next(
        r
        for r in package["releases"]
        if r["tender"].get("roadmapPortal", {}).get("number") == number
    )


def test_ocds_names_bidders_only_after_the_bid_period(world):
    from tests.ocds_validation import validate_release_package

    open_tender, awarded = world.objects["LEAK-tender-t2"], world.objects["LEAK-tender-t3"]
    package = _get(world, "administrator", "/api/v1/ocds/releases/")
    assert validate_release_package(package)["ok"]
    release = _release(package, open_tender)
    assert "tenderers" not in release["tender"]
    assert "numberOfTenderers" not in release["tender"]
    assert [p["roles"] for p in release["parties"]] == [["buyer"]]
    closed = _release(package, awarded)["tender"]
    assert [t["name"] for t in closed["tenderers"]] == ["LEAK-supplier-s2"]
    assert closed["numberOfTenderers"] == 1

    # The deadline passes: the bidders are published, and a reader of changes since
    # yesterday receives the release again.
    type(open_tender).objects.filter(pk=open_tender.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    package = _get(world, "administrator", f"/api/v1/ocds/releases/?since={since}")
    assert validate_release_package(package)["ok"]
    tenderers = _release(package, open_tender)["tender"]["tenderers"]
    assert sorted(t["name"] for t in tenderers) == ["LEAK-supplier-s1", "LEAK-supplier-s2"]
    # A region key reads the bidders of its own region only.
    package = _get(world, "partner key, region 1", "/api/v1/ocds/releases/")
    tenderers = _release(package, open_tender)["tender"]["tenderers"]
    assert [t["name"] for t in tenderers] == ["LEAK-supplier-s1"]
    assert "awards" not in _release(package, awarded)


def test_webhooks_embed_what_the_endpoint_owner_may_see(world):
    from roadmap_portal.webhooks.events import offer_transition_event, tender_event
    from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint

    partner = world.viewers["partner"][0]
    endpoints = {}
    for viewer in ("partner key, group 1", "partner key, region 1"):
        key = ApiKey.objects.get(prefix=world.viewers[viewer][1].split(".")[0])
        endpoints[viewer] = WebhookEndpoint.objects.create(
            api_key=key,
            url="https://partner.example.org/hook",
            events=["tender.awarded", "offer.registered", "offer.excluded"],
            secret="s",
        )
    endpoints["partner"] = WebhookEndpoint.objects.create(
        user=partner,
        url="https://partner.example.org/hook",
        events=["tender.awarded", "offer.registered", "offer.excluded"],
        secret="s",
    )

    def payloads(**kwargs):
        return {
            viewer: WebhookDelivery.objects.filter(endpoint=endpoint, **kwargs)
            .values_list("payload", flat=True)
            .first()
            for viewer, endpoint in endpoints.items()
        }

    awarded = world.objects["LEAK-tender-t3"]
    assert tender_event(awarded.pk, "tender.awarded") == 2  # group 1's key: not its tender
    sent = payloads(event="tender.awarded")
    assert sent["partner"]["award"]["supplier"]["name"] == "LEAK-supplier-s2"
    assert sent["partner key, region 1"]["award"] is None  # the winner is of region 2
    assert sent["partner key, group 1"] is None

    registered = OfferTransition.objects.get(
        offer=world.objects["LEAK-offer-o11r"], to_status="registered"
    )
    assert offer_transition_event(registered.pk) == 3
    for viewer, payload in payloads(event="offer.registered").items():
        assert payload["transition"]["comment"] == "", viewer
        assert "LEAK-staff" not in str(payload), viewer


def test_a_volume_series_never_crosses_into_another_pair(world):
    """A ``previous`` link to a roadmap of another group (the write side refuses it now, but
    rows may hold it) does not bring that pair's figures into this roadmap's volume."""
    from roadmap_portal.insights.volume import volumes_for
    from roadmap_portal.models import Roadmap

    m11, m12 = world.objects["LEAK-roadmap-m11"], world.objects["LEAK-roadmap-m12"]
    Roadmap.objects.filter(pk=m11.pk).update(previous=m12)
    for viewer in ("reviewer", "partner key, group 1", "administrator"):
        answer = _get(world, viewer, f"/api/v1/roadmaps/{m11.pk}/volume/")
        assert answer["roadmaps"] == [m11.pk], viewer
    m11.refresh_from_db()
    series = volumes_for([m11, m12])
    assert sorted([r.pk for r in s.roadmaps] for s in series) == sorted([[m11.pk], [m12.pk]])


def test_a_demands_answers_count_only_the_readers_offers(world, client):
    from suppliers.models import Offer

    demand = world.objects["LEAK-demand-d1"]
    Offer.objects.filter(pk=world.objects["LEAK-offer-o11d"].pk).update(demand=demand)
    Offer.objects.filter(pk=world.objects["LEAK-offer-o11r"].pk).update(demand=demand)
    answers = re.compile(r'Answers</dt><dd class="col-7">(\d+)</dd>')
    for viewer, expected in (("supplier member", "2"), ("reviewer", "1")):
        client.force_login(world.viewers[viewer][0])
        page = client.get(reverse("procurement:demand-list")).content.decode()
        card = page[page.index(f'data-demand="{demand.pk}"') :]
        assert answers.search(card).group(1) == expected, viewer  # a draft is the supplier's
