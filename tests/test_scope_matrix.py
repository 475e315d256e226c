"""The write half of the scope matrix: every id a request can carry, for every role.

What a request names is found, not listed: the API's write routes and their request
serializers come from the URL resolver (through drf-spectacular's endpoint enumerator), the
HTML forms from the form classes the apps define, the query-string relations from the filter
sets of the API's list routes. A new relation field is therefore in the matrix the day it is
written. For every such field, every role and key kind, and a world with two regions, two
corporation groups and two certification bodies, each id the sender may not see is sent, and
an id that does not exist; the two answers must be the same (status and body, the id's text
normalised), must not name the hidden row, and must leave every table of the portal as it was.

Ids read from free-form transition ``data`` (a certificate, a requirement) and from plain POST
fields of the HTML pages (a bid to award, an offer answering a demand, a certificate to certify
with) cannot be discovered from a field class: they are listed in ``DATA_CASES`` and
``POST_ID_CASES``.
"""

from __future__ import annotations

import datetime
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import django_filters
import pytest
from django import forms as django_forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from certification.models import Certificate, Requirement
from certification.selectors import (
    certificates_visible_to,
    certification_bodies_visible_to,
    requirements_visible_to,
)
from procurement.models import Bid, Contract, Tender
from procurement.selectors import (
    bids_visible_to,
    contracts_visible_to,
    tenders_visible_to,
)
from roadmap_portal.api.authentication import generate_key
from roadmap_portal.choices import API_WRITE_RESOURCES
from roadmap_portal.fields import ScopedFormFieldMixin, is_scoped_relation
from roadmap_portal.models import ApiKey, CertificationBody, Corporation, Demand, Region, Roadmap
from roadmap_portal.selectors import (
    corporations_visible_to,
    demands_visible_to,
    regions_visible_to,
    roadmaps_visible_to,
)
from suppliers.models import Offer, Supplier
from suppliers.selectors import offers_visible_to, suppliers_visible_to
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

# One worker builds the world once and runs the whole matrix (pytest-xdist's loadgroup);
# every test is a database test, so that pytest-django keeps the module's tests together.
pytestmark = [pytest.mark.xdist_group("scope_matrix"), pytest.mark.django_db]

PORTAL_APPS = ("roadmap_portal", "suppliers", "certification", "procurement", "webhooks")
PORTAL_PACKAGES = ("roadmap_portal", "suppliers", "certification", "procurement")
WRITE_METHODS = ("POST", "PUT", "PATCH")
TODAY = timezone.localdate()

# Who may see a row of each model: the oracle the answers are judged by. A relation to a
# model missing here fails test_every_relation_has_an_oracle.
VISIBLE: dict[type, Callable[[Any], Any]] = {
    Region: regions_visible_to,
    Corporation: corporations_visible_to,
    Roadmap: roadmaps_visible_to,
    Supplier: suppliers_visible_to,
    Offer: offers_visible_to,
    Certificate: certificates_visible_to,
    CertificationBody: certification_bodies_visible_to,
    Requirement: requirements_visible_to,
    Demand: demands_visible_to,
    Tender: tenders_visible_to,
    Bid: bids_visible_to,
    Contract: contracts_visible_to,
}

ROLES = (
    "supplier",
    "region_staff",
    "reviewer",
    "officer",
    "partner",
    "key",
    "key_region",
    "key_group",
    "key_region_group",
    "administrator",
)
# Forms whose model choices are public reference data, filled in before the sender has a role.
EXEMPT_FORMS = {
    "suppliers.forms.RegistrationForm": "the regions, public, for a person who has no role yet",
    "roadmap_portal.accounts.forms.InvitationForm": (
        "which scope field applies depends on the chosen role; covered by "
        "tests/roadmap_portal/test_accounts.py (another organisation answers as none)"
    ),
}

# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    objects: dict[str, Any]
    users: dict[str, Any]
    keys: dict[str, tuple[str, ApiKey]]

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]


def _build_world() -> World:
    o: dict[str, Any] = {}
    o["body1"], o["body2"] = CertificationBodyFactory(), CertificationBodyFactory()
    o["group1"] = CorporationFactory(required_body=o["body1"], name="Group One Zeta PJSC")
    o["group2"] = CorporationFactory(required_body=o["body2"], name="Group Two Zeta PJSC")
    o["sub1"] = CorporationFactory(parent=o["group1"])
    o["sub2"] = CorporationFactory(parent=o["group2"])
    o["region_a"], o["region_b"] = RegionFactory(), RegionFactory()
    o["roadmap_a"] = RoadmapFactory(
        region=o["region_a"], corporation=o["group1"], title="Roadmap Alpha Quill"
    )
    o["roadmap_a_old"] = RoadmapFactory(
        region=o["region_a"], corporation=o["group1"], title="Roadmap Alpha Old Quill"
    )
    o["roadmap_b"] = RoadmapFactory(
        region=o["region_b"], corporation=o["group2"], title="Roadmap Bravo Quill"
    )
    o["roadmap_b_draft"] = RoadmapFactory(
        region=o["region_b"], corporation=o["group2"], status="draft", title="Bravo Draft Quill"
    )
    for side, region, roadmap, body in (
        ("a", o["region_a"], o["roadmap_a"], o["body1"]),
        ("b", o["region_b"], o["roadmap_b"], o["body2"]),
    ):
        supplier = SupplierFactory(region=region, name=f"Supplier {side.upper()} Wren LLC")
        o[f"supplier_{side}"] = supplier
        for status in (
            "draft",
            "submitted",
            "forwarded",
            "readiness_confirmed",
            "tested",
            "registered",
        ):
            o[f"offer_{side}_{status}"] = OfferFactory(
                supplier=supplier,
                roadmap=roadmap,
                status=status,
                okpd2="27.11.22.000",
                name=f"Offer {side.upper()} {status} Wren",
            )
        o[f"certificate_{side}"] = CertificateFactory(
            body=body,
            supplier=supplier,
            number=f"CERT-{side.upper()}-WREN",
            offers=[o[f"offer_{side}_tested"], o[f"offer_{side}_registered"]],
        )
        group = roadmap.corporation
        o[f"requirement_{side}"] = RequirementFactory(
            corporation=group, code=f"REQ-{side.upper()}-WREN", title="Requirement Wren"
        )
        o[f"demand_{side}"] = DemandFactory(customer=group, title=f"Demand {side.upper()} Wren")
        o[f"tender_{side}"] = TenderFactory(
            customer=group, number=f"T-{side.upper()}-WREN", title=f"Tender {side.upper()} Wren"
        )
        o[f"bid_{side}"] = Bid.objects.create(
            tender=o[f"tender_{side}"], supplier=supplier, price="100.00"
        )
        o[f"bid_{side}"].offers.add(o[f"offer_{side}_registered"])
        o[f"contract_{side}"] = ContractFactory(
            supplier=supplier, customer=group, number=f"C-{side.upper()}-WREN"
        )
    users = {
        "supplier": user_with_role("supplier", supplier=o["supplier_a"]),
        "region_staff": user_with_role("region_staff", region=o["region_a"]),
        "reviewer": user_with_role("reviewer", corporation=o["group1"]),
        "officer": user_with_role("officer", certification_body=o["body1"]),
        "partner": user_with_role("partner"),
        "administrator": admin_user(),
    }
    keys = {}
    for role, region, group in (
        ("key", None, None),
        ("key_region", o["region_a"], None),
        ("key_group", None, o["group1"]),
        ("key_region_group", o["region_a"], o["group1"]),
    ):
        raw, prefix, hashed = generate_key()
        row = ApiKey.objects.create(
            name=role,
            organisation="Partner",
            user=users["partner"],
            prefix=prefix,
            hashed_key=hashed,
            region=region,
            corporation=group,
            # Every resource: the body must be read, not stopped at the door.
            write_resources=list(API_WRITE_RESOURCES),
        )
        keys[role] = (raw, row)
    return World(objects=o, users=users, keys=keys)


def _ids_apart() -> None:
    """Each table's ids start a million apart, so that no row's id equals another table's
    (an answer's "<id>" stands for the id sent, never for the page's own object)."""
    with connection.cursor() as cursor:
        for n, model in enumerate(apps.get_models(), start=1):
            if model._meta.managed and not model._meta.proxy and model._meta.pk.name == "id":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                    [model._meta.db_table, n * 1_000_000],
                )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One world for the module, rolled back at its end; each request in a savepoint."""
    with (
        django_db_blocker.unblock(),
        override_settings(API_RATE_KEY="", API_RATE_USER="", API_RATE_ANON=""),
    ):
        _ids_apart()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def acting_user(world: World, role: str) -> Any:
    """A fresh user object as the portal sees the sender (a key narrows the partner)."""
    if role.startswith("key"):
        user = get_user_model().objects.get(pk=world.users["partner"].pk)
        user._api_key = world.keys[role][1]
        return user
    return get_user_model().objects.get(pk=world.users[role].pk)


def api_client(world: World, role: str) -> APIClient:
    client = APIClient()
    if role.startswith("key"):
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.keys[role][0]}")
    else:
        client.force_authenticate(world.users[role])
    return client


def web_client(world: World, role: str) -> Client | None:
    if role.startswith("key"):
        return None  # keys are for the API only
    client = Client()
    client.force_login(world.users[role])
    return client


# --- what changed -----------------------------------------------------------------------------


def _portal_tables() -> list[str]:
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in PORTAL_APPS or not model._meta.managed:
            continue
        if model is ApiKey:  # its last_used moves with every keyed request
            continue
        tables.add(model._meta.db_table)
    return sorted(tables)


def snapshot() -> dict[str, str]:
    """A digest of every row of every portal table, in one query."""
    parts = [
        f"SELECT '{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"  # noqa: S608
        for t in _portal_tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def changed_tables(before: dict[str, str]) -> list[str]:
    after = snapshot()
    return sorted(t for t in before if after.get(t) != before[t])


# --- normalising answers ----------------------------------------------------------------------


def _normalise(value: Any, sent: str) -> Any:
    pattern = re.compile(rf"(?<![\w-]){re.escape(sent)}(?![\w-])")
    if isinstance(value, dict):
        return {k: _normalise(v, sent) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, sent) for v in value]
    if isinstance(value, str):
        return pattern.sub("<id>", value)
    if isinstance(value, int) and not isinstance(value, bool) and str(value) == sent:
        return "<id>"
    return value


def api_answer(response, sent: str) -> tuple[int, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.content.decode(errors="replace")
    return response.status_code, _normalise(body, sent)


def web_answer(response, sent: str) -> tuple[int, Any]:
    form_errors = None
    context = response.context
    if context is not None:
        for name in ("form", "bid_form"):
            form = context.get(name) if hasattr(context, "get") else None
            if form is not None and hasattr(form, "errors"):
                form_errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
                break
    found = [str(m) for m in get_messages(response.wsgi_request)]
    return response.status_code, _normalise(
        {
            "location": response.get("Location", ""),
            "errors": form_errors,
            "messages": found,
        },
        sent,
    )


def names_of(obj: Any) -> list[str]:
    """The words that would give a hidden row away: its name, title, number, code."""
    out = []
    for attr in ("name", "title", "number", "code", "short_name"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and len(value) >= 6:
            out.append(value)
    return out


# --- discovery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """One id-carrying field of one way in."""

    kind: str  # api, filter, form, data, post
    method: str
    route: str  # a path template (api, filter) or a URL name (form, post)
    name: str  # the field's name, dotted for nested ones
    model: type
    many: bool = False
    slug: str | None = None
    target: str = ""  # the view's class or the form's dotted name
    selector: Callable[[Any], Any] | None = None  # the field's own, for the control

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.method} {self.route} {self.name}"


ENDPOINTS = EndpointEnumerator().get_api_endpoints()


def _api_endpoints(route: str | None = None) -> Iterator[tuple[str, str, str, Any]]:
    generator = SchemaGenerator()
    for path, path_regex, method, callback in ENDPOINTS:
        if route is None or path == route:
            yield path, path_regex, method, generator.create_view(callback, method)


def _request_serializers(view, path, path_regex, method) -> list[serializers.BaseSerializer]:
    schema = view.schema
    schema.method, schema.path, schema.path_regex = method, path, path_regex
    found = schema.get_request_serializer()
    candidates = found.values() if isinstance(found, dict) else [found]
    out = []
    for item in candidates:
        if item is None:
            continue
        if isinstance(item, type) and issubclass(item, serializers.BaseSerializer):
            item = item(context={"request": None})
        if isinstance(item, serializers.BaseSerializer):
            out.append(item)
    return out


def _walk(serializer: serializers.BaseSerializer, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            yield from _walk(field, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def _relation_model(field) -> tuple[type, bool, str | None]:
    many = isinstance(field, serializers.ManyRelatedField)
    child = field.child_relation if many else field
    return child.queryset.model, many, getattr(child, "slug_field", None)


def _model_names() -> set[str]:
    return {
        m._meta.model_name
        for m in apps.get_models()
        if m._meta.app_label in PORTAL_APPS and m._meta.model_name not in ("report",)
    }


def api_relations() -> tuple[list[Relation], list[str], list[str]]:
    """(relation fields, relation fields that are not scoped, plain fields named like a model)"""
    relations, unscoped, disguised = [], [], []
    model_names = _model_names()
    for path, path_regex, method, view in _api_endpoints():
        if method not in WRITE_METHODS:
            continue
        for serializer in _request_serializers(view, path, path_regex, method):
            for name, field in _walk(serializer):
                where = f"{method} {path} {type(serializer).__name__}.{name}"
                leaf = name.rsplit(".", 1)[-1]
                if isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
                    model, many, slug = _relation_model(field)
                    relations.append(
                        Relation(
                            "api",
                            method,
                            path,
                            name,
                            model,
                            many=many,
                            slug=slug,
                            target=type(view).__name__,
                            selector=getattr(
                                getattr(field, "child_relation", field), "selector", None
                            ),
                        )
                    )
                    if not is_scoped_relation(field):
                        unscoped.append(where)
                elif leaf.removesuffix("_id") in model_names and isinstance(
                    field, serializers.IntegerField | serializers.CharField
                ):
                    disguised.append(where)
    return relations, unscoped, disguised


def filter_relations() -> tuple[list[Relation], list[str]]:
    relations, unscoped = [], []
    seen = set()
    for path, _regex, method, view in _api_endpoints():
        filterset_class = getattr(view, "filterset_class", None)
        if method != "GET" or filterset_class is None or "{" in path:
            continue
        if (path, filterset_class) in seen:
            continue
        seen.add((path, filterset_class))
        for name, flt in filterset_class.base_filters.items():
            if not isinstance(flt, django_filters.ModelChoiceFilter):
                continue
            queryset = flt.queryset
            if not (callable(queryset) and hasattr(queryset, "selector")):
                unscoped.append(f"{filterset_class.__name__}.{name}")
                continue
            model = queryset(None).model
            relations.append(
                Relation(
                    "filter",
                    "GET",
                    path,
                    name,
                    model,
                    slug=flt.extra.get("to_field_name"),
                    target=filterset_class.__name__,
                )
            )
    return relations, unscoped


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def portal_forms() -> dict[str, type]:
    """Every form class the portal defines (filter-set forms are django-filter's)."""
    import certification.views  # noqa: F401 - the views import every form
    import procurement.views  # noqa: F401
    import suppliers.import_views  # noqa: F401
    import suppliers.views  # noqa: F401

    found = {}
    for cls in _subclasses(django_forms.BaseForm):
        if cls.__module__.split(".")[0] in PORTAL_PACKAGES:
            found[f"{cls.__module__}.{cls.__name__}"] = cls
    return found


def form_model_fields(form_class: type) -> dict[str, Any]:
    return {
        name: field
        for name, field in form_class.base_fields.items()
        if isinstance(field, django_forms.ModelChoiceField)
    }


# HTML forms: the page that posts each, and what else a valid post carries.
@dataclass(frozen=True)
class FormRoute:
    url_name: str
    url_object: Callable[[World, Any], Any] | None  # the page's object, from the sender's scope
    base: Callable[[World], dict[str, Any]]
    multipart_file: str | None = None


def _first(selector: Callable, **filters: Any) -> Callable[[World, Any], Any]:
    def pick(world: World, user: Any) -> Any:
        return selector(user).filter(**filters).order_by("pk").first()

    return pick


def _dates(**extra: Any) -> dict[str, Any]:
    return {"issued_on": TODAY.isoformat(), **extra}


FORM_ROUTES: dict[str, FormRoute] = {
    "procurement.forms.TenderForm": FormRoute(
        "procurement:tender-create",
        None,
        lambda w: {
            "customer": w["group1"].pk,
            "number": "T-NEW-WREN",
            "title": "New tender",
            "categories": "27.11",
            "published_on": TODAY.isoformat(),
            "deadline": (TODAY + datetime.timedelta(days=20)).isoformat(),
            "estimated_value": "100.00",
            "status": "announced",
        },
    ),
    "procurement.forms.DemandForm": FormRoute(
        "procurement:demand-create",
        None,
        lambda w: {"customer": w["group1"].pk, "title": "New demand", "category": "27.11"},
    ),
    "procurement.forms.ContractForm": FormRoute(
        "procurement:contract-create",
        None,
        lambda w: {
            "supplier": w["supplier_a"].pk,
            "customer": w["group1"].pk,
            "amount": "100.00",
            "signed_on": "2024-05-01",
            "number": "C-NEW-WREN",
        },
    ),
    "procurement.forms.BidForm": FormRoute(
        "procurement:tender-bid",
        _first(tenders_visible_to),
        lambda w: {"offers": [w["offer_a_registered"].pk], "price": "100.00"},
    ),
    "suppliers.forms.OfferForm": FormRoute(
        "suppliers:offer-create",
        None,
        lambda w: {
            "roadmap": w["roadmap_a"].pk,
            "name": "New product",
            "description": "x",
            "okpd2": "27.11.22.000",
            "capacity_per_year": "10",
            "unit": "pcs",
            "unit_price": "10.00",
        },
    ),
    "suppliers.import_views.OfferImportForm": FormRoute(
        "suppliers:import", None, lambda w: {"roadmap": w["roadmap_a"].pk}, multipart_file="file"
    ),
    "certification.forms.CertificateIssueForm": FormRoute(
        "certification:certificate-issue",
        None,
        lambda w: _dates(
            number="NEW-WREN",
            supplier=w["supplier_a"].pk,
            offers=[w["offer_a_tested"].pk],
            valid_until=(TODAY + datetime.timedelta(days=300)).isoformat(),
        ),
    ),
}
# The same form behind a second page: the offer's edit page.
EXTRA_FORM_PAGES = {
    "suppliers.forms.OfferForm": FormRoute(
        "suppliers:offer-update",
        _first(offers_visible_to, status="draft"),
        lambda w: {
            "roadmap": w["roadmap_a"].pk,
            "name": "Edited product",
            "description": "x",
            "okpd2": "27.11.22.000",
            "capacity_per_year": "10",
            "unit": "pcs",
            "unit_price": "10.00",
        },
    ),
}


def form_relations() -> tuple[list[Relation], list[str], list[str]]:
    """(relations, unscoped form fields, forms with model choices but no page in the matrix)"""
    relations, unscoped, unrouted = [], [], []
    for dotted, form_class in sorted(portal_forms().items()):
        fields = form_model_fields(form_class)
        if not fields or dotted in EXEMPT_FORMS:
            continue
        routes = [r for r in (FORM_ROUTES.get(dotted), EXTRA_FORM_PAGES.get(dotted)) if r]
        if not routes:
            unrouted.append(dotted)
        for name, field in fields.items():
            if not isinstance(field, ScopedFormFieldMixin):
                unscoped.append(f"{dotted}.{name}")
                continue
            for route in routes:
                relations.append(
                    Relation(
                        "form",
                        "POST",
                        route.url_name,
                        name,
                        field.queryset.model,
                        many=isinstance(field, django_forms.ModelMultipleChoiceField),
                        target=dotted,
                    )
                )
    return relations, unscoped, unrouted


# Ids in a transition's free-form ``data`` (API) and in plain POST fields (HTML).
@dataclass(frozen=True)
class IdCase:
    relation: Relation
    url_object: Callable[[World, Any], Any]
    body: Callable[[Any], dict[str, Any]]  # the request's body for the id sent


DATA_CASES = [
    IdCase(
        Relation(
            "data", "POST", "/api/v1/offers/{pk}/transition/", "data.certificate", Certificate
        ),
        _first(offers_visible_to, status="tested"),
        lambda sent: {"action": "certify", "data": {"certificate": sent}},
    ),
    IdCase(
        Relation(
            "data",
            "POST",
            "/api/v1/offers/{pk}/transition/",
            "data.requirements.requirement",
            Requirement,
        ),
        _first(offers_visible_to, status="forwarded"),
        lambda sent: {
            "action": "accept",
            "data": {"requirements": [{"requirement": sent, "outcome": "met"}]},
        },
    ),
]
POST_ID_CASES = [
    IdCase(
        Relation("post", "POST", "suppliers:offer-transition", "certificate", Certificate),
        _first(offers_visible_to, status="tested"),
        lambda sent: {"action": "certify", "certificate": sent},
    ),
    IdCase(
        Relation("post", "POST", "certification:certify", "certificate", Certificate),
        _first(offers_visible_to, status="tested"),
        lambda sent: {"certificate": sent},
    ),
    IdCase(
        Relation("post", "POST", "procurement:tender-award", "bid", Bid),
        _first(tenders_visible_to),
        lambda sent: {"bid": sent},
    ),
    IdCase(
        Relation("post", "POST", "procurement:demand-answer", "offer", Offer),
        _first(demands_visible_to),
        lambda sent: {"offer": sent},
    ),
]

# A valid body for the API's write routes (the field under test replaces its own entry), so
# that an id let through would be written, and the snapshot would see it.
API_BASES: dict[tuple[str, str], Callable[[World], dict[str, Any]]] = {
    ("POST", "/api/v1/roadmaps/"): lambda w: {
        "region": w["region_a"].code,
        "corporation": w["group1"].pk,
        "title": "New roadmap",
        "signed_on": "2024-01-10",
        "start_year": 2024,
        "end_year": 2026,
        "status": "draft",
    },
    ("POST", "/api/v1/offers/"): lambda w: {
        "roadmap": w["roadmap_a"].pk,
        "name": "New product",
        "description": "x",
        "okpd2": "27.11.22.000",
        "capacity_per_year": "10",
        "unit": "pcs",
        "unit_price": "10.00",
    },
    ("POST", "/api/v1/certificates/"): lambda w: _dates(
        number="NEW-WREN",
        supplier=w["supplier_a"].pk,
        offers=[w["offer_a_tested"].pk],
        valid_until=(TODAY + datetime.timedelta(days=300)).isoformat(),
    ),
    ("POST", "/api/v1/bids/"): lambda w: {
        "tender": w["tender_a"].pk,
        "offers": [w["offer_a_registered"].pk],
        "price": "100.00",
    },
    ("POST", "/api/v1/contracts/"): lambda w: {
        "supplier": w["supplier_a"].pk,
        "customer": w["group1"].pk,
        "amount": "100.00",
        "signed_on": "2024-05-01",
        "number": "C-NEW-WREN",
    },
    ("POST", "/api/v1/demands/"): lambda w: {
        "customer": w["group1"].pk,
        "title": "Need",
        "category": "27.11",
    },
    ("POST", "/api/v1/tenders/"): lambda w: {
        "customer": w["group1"].pk,
        "number": "T-NEW-WREN",
        "title": "New tender",
        "categories": ["27.11"],
        "published_on": TODAY.isoformat(),
        "deadline": (TODAY + datetime.timedelta(days=20)).isoformat(),
        "estimated_value": "100.00",
        "status": "announced",
    },
    ("POST", "/api/v1/tenders/{pk}/award/"): lambda w: {},
    ("POST", "/api/v1/tests/"): lambda w: {
        "offer": w["offer_a_readiness_confirmed"].pk,
        "kind": "qualification",
        "started_on": TODAY.isoformat(),
        "result": "passed",
    },
    ("POST", "/api/v1/reports/"): lambda w: {"year": 2024},
    ("POST", "/api/v1/offers/import/"): lambda w: {"dry_run": "true"},
}
MULTIPART_ROUTES = {"/api/v1/offers/import/"}


def _csv_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "products.csv",
        b"name,okpd2,unit,unit_price,capacity_per_year\nWidget,27.11.22.000,pcs,10,5\n",
        content_type="text/csv",
    )


# --- the cases --------------------------------------------------------------------------------

_API, _API_UNSCOPED, _API_DISGUISED = api_relations()
_FILTERS, _FILTERS_UNSCOPED = filter_relations()
_FORMS, _FORMS_UNSCOPED, _FORMS_UNROUTED = form_relations()
CASES: list[Any] = [*_API, *_FILTERS, *_FORMS, *DATA_CASES, *POST_ID_CASES]

TALLY: Counter = Counter()


def _case_id(case: Any) -> str:
    return (case.relation if isinstance(case, IdCase) else case).id


@pytest.fixture(scope="module", autouse=True)
def matrix_size(request) -> Iterator[None]:
    yield
    if not TALLY["requests"]:
        return
    line = (
        f"scope matrix: {len(ROLES)} roles x {TALLY['fields']} relation fields: "
        f"{TALLY['pairs']} role-field pairs (keys skip the HTML pages); "
        f"{TALLY['requests']} requests "
        f"({TALLY['out_of_scope']} out of scope, {TALLY['missing']} nonexistent, "
        f"{TALLY['controls']} visible-id controls)"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:  # a pytest-xdist worker: the line goes to its stderr
        sys.stderr.write(f"{line}\n")
        return
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


def _out_of_scope(model: type, user: Any) -> list[Any]:
    seen = VISIBLE[model](user).values("pk")
    return list(model.objects.exclude(pk__in=seen).order_by("pk"))


def _missing_value(model: type, slug: str | None) -> str:
    if slug:
        return "RU-QQQ"
    top = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return str(top + 100_000)


def _value(obj: Any, slug: str | None) -> str:
    return str(getattr(obj, slug) if slug else obj.pk)


def _url_object_for(relation: Relation, role: str, world: World, user: Any) -> Any:
    """The object a detail route addresses: the first the sender sees (else a missing id)."""
    for _path, _regex, method, view in _api_endpoints(relation.route):
        if method != relation.method:
            continue
        django_request = APIRequestFactory().get("/")
        drf_request = Request(django_request)
        drf_request.user = user
        view.request, view.args, view.kwargs, view.format_kwarg = drf_request, (), {}, None
        return view.get_queryset().order_by("pk").first()
    return None


def _api_path(template: str, obj: Any) -> str:
    pk = obj.pk if obj is not None else 10**9
    return re.sub(r"\{(pk|id|code)\}", str(pk), template)


def _send(role: str, world: World, relation: Relation, value: str, user: Any, route_obj):
    """One request carrying ``value`` in the relation's place; the answer, normalised."""
    if relation.kind == "api":
        base = API_BASES.get((relation.method, relation.route), lambda w: {})(world)
        body = dict(base)
        if "." in relation.name:  # nested: the matrix has none today
            pytest.fail(f"nested relation {relation.id} needs a body builder")
        body[relation.name] = [value] if relation.many else value
        client = api_client(world, role)
        url = _api_path(relation.route, route_obj)
        if relation.route in MULTIPART_ROUTES:
            body["file"] = _csv_upload()
            response = client.post(url, body, format="multipart")
        else:
            response = getattr(client, relation.method.lower())(url, body, format="json")
        return api_answer(response, value)
    if relation.kind == "filter":
        client = api_client(world, role)
        response = client.get(relation.route, {relation.name: value})
        return api_answer(response, value)
    raise AssertionError(relation.kind)


def _check(
    *,
    world: World,
    role: str,
    relation: Relation,
    send: Callable[[str], tuple[int, Any]],
    user: Any,
    problems: list[str],
) -> None:
    TALLY["pairs"] += 1
    before = snapshot()
    missing = _missing_value(relation.model, relation.slug)
    sid = transaction.savepoint()
    expected = send(missing)
    touched = changed_tables(before)
    transaction.savepoint_rollback(sid)
    TALLY["requests"] += 1
    TALLY["missing"] += 1
    if touched:
        problems.append(f"{role}: a nonexistent id changed {touched}")
    for hidden in _out_of_scope(relation.model, user):
        value = _value(hidden, relation.slug)
        sid = transaction.savepoint()
        answer = send(value)
        touched = changed_tables(before)
        transaction.savepoint_rollback(sid)
        TALLY["requests"] += 1
        TALLY["out_of_scope"] += 1
        where = f"{role}: {relation.model.__name__} {value}"
        if answer != expected:
            problems.append(f"{where}: answered {answer}, a missing id {expected}")
        text = repr(answer)
        for name in names_of(hidden):
            if name in text:
                problems.append(f"{where}: the answer names {name!r}")
        if touched:
            problems.append(f"{where}: changed {touched}")
    _control(
        role=role, relation=relation, send=send, user=user, expected=expected, problems=problems
    )


def _control(*, role, relation, send, user, expected, problems) -> None:
    """A visible id is not refused as missing: the field does query the sender's rows (a
    field that lost its request would refuse everything and pass the matrix unseen)."""
    if relation.selector is None:
        return
    visible = relation.selector(user).order_by("pk").first()
    if visible is None:
        return
    value = _value(visible, relation.slug)
    missing_error = expected[1].get(relation.name) if isinstance(expected[1], dict) else None
    if not missing_error:
        return  # the request stopped before the field (role, route or permission)
    sid = transaction.savepoint()
    answer = send(value)
    transaction.savepoint_rollback(sid)
    TALLY["requests"] += 1
    TALLY["controls"] += 1
    got = answer[1].get(relation.name) if isinstance(answer[1], dict) else None
    if got == missing_error:
        problems.append(f"{role}: a visible {relation.model.__name__} {value} was refused")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_out_of_scope_answers_as_missing(world, case):
    relation = case.relation if isinstance(case, IdCase) else case
    TALLY["fields"] += 1
    problems: list[str] = []
    for role in ROLES:
        user = acting_user(world, role)
        if relation.kind in ("api", "filter"):
            route_obj = (
                _url_object_for(relation, role, world, user) if "{" in relation.route else None
            )

            def send(value, role=role, user=user, route_obj=route_obj):
                return _send(role, world, relation, value, user, route_obj)

        elif relation.kind == "data":
            route_obj = case.url_object(world, user)
            client = api_client(world, role)
            url = _api_path(relation.route, route_obj)

            def send(value, client=client, url=url):
                return api_answer(client.post(url, case.body(value), format="json"), value)

        else:  # form and post: the HTML pages
            if web_client(world, role) is None:
                continue
            if relation.kind == "form":
                route = (
                    EXTRA_FORM_PAGES.get(relation.target)
                    if relation.route != FORM_ROUTES[relation.target].url_name
                    else FORM_ROUTES[relation.target]
                )
                obj = route.url_object(world, user) if route.url_object else None
                url = reverse(
                    route.url_name,
                    args=[obj.pk if obj is not None else 10**9] if route.url_object else [],
                )

                def send(value, role=role, url=url, route=route):
                    client = web_client(world, role)  # a fresh session: no earlier messages
                    data = dict(route.base(world))
                    data[relation.name] = [value] if relation.many else value
                    if route.multipart_file:
                        data[route.multipart_file] = _csv_upload()
                    return web_answer(client.post(url, data), value)

            else:
                obj = case.url_object(world, user)
                url = reverse(relation.route, args=[obj.pk if obj is not None else 10**9])

                def send(value, role=role, url=url):
                    client = web_client(world, role)
                    return web_answer(client.post(url, case.body(value)), value)

        _check(world=world, role=role, relation=relation, send=send, user=user, problems=problems)
    assert problems == [], "\n".join(problems)


# --- the structure: nothing escapes the matrix ------------------------------------------------


def test_every_request_relation_is_scoped():
    assert _API, "the API's write routes were not found"
    assert _API_UNSCOPED == [], "relation fields not resolved through a scope selector"


def test_no_id_travels_as_a_plain_number():
    assert _API_DISGUISED == [], (
        "fields named like a model but parsed as plain values: make them scoped relations"
    )


def test_every_form_relation_is_scoped_and_in_the_matrix():
    assert _FORMS, "the portal's forms were not found"
    assert _FORMS_UNSCOPED == []
    assert _FORMS_UNROUTED == [], "add the form's page to FORM_ROUTES"


def test_every_filter_relation_is_scoped():
    assert _FILTERS, "the filter sets' relations were not found"
    assert _FILTERS_UNSCOPED == []


def test_every_relation_has_an_oracle():
    models = {c.relation.model if isinstance(c, IdCase) else c.model for c in CASES}
    assert models - set(VISIBLE) == set()


def test_the_world_has_something_out_of_scope_for_every_narrow_role(world):
    """Every role but the administrator meets a hidden row of the models that scope it."""
    for role in ROLES:
        if role == "administrator":
            continue
        user = acting_user(world, role)
        hidden = sum(len(_out_of_scope(m, user)) for m in (Roadmap, Offer, Supplier))
        assert hidden > 0, role


# --- the classes of leak the matrix found, each pinned ----------------------------------------


def test_certificate_issue_does_not_name_an_offer_out_of_scope(world):
    """The officer's certificate-issue error once named any offer sent to it, drafts too."""
    hidden = world["offer_b_draft"]
    body = {**API_BASES[("POST", "/api/v1/certificates/")](world), "offers": [hidden.pk]}
    response = api_client(world, "officer").post("/api/v1/certificates/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"offers": [f'Invalid pk "{hidden.pk}" - object does not exist.']}
    assert hidden.name not in response.content.decode()
    assert not Certificate.objects.filter(number="NEW-WREN").exists()


def test_certify_with_another_bodys_certificate_does_not_name_it(world):
    hidden = world["certificate_b"]
    response = api_client(world, "officer").post(
        f"/api/v1/offers/{world['offer_a_tested'].pk}/transition/",
        {"action": "certify", "data": {"certificate": hidden.pk}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"data": [f"Certificate {hidden.pk} does not exist."]}


def test_a_bid_on_another_scopes_tender_answers_as_a_missing_one(world):
    hidden = world["tender_b"]
    body = {**API_BASES[("POST", "/api/v1/bids/")](world), "tender": hidden.pk}
    response = api_client(world, "supplier").post("/api/v1/bids/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"tender": [f'Invalid pk "{hidden.pk}" - object does not exist.']}


def test_answering_a_missing_demand_is_not_found(world):
    """A demand id that resolves to nothing was a 500 (the view caught only a missing offer)."""
    client = web_client(world, "supplier")
    response = client.post(
        reverse("procurement:demand-answer", args=[10**9]),
        {"offer": world["offer_a_draft"].pk},
    )
    assert response.status_code == 404
    assert Offer.objects.get(pk=world["offer_a_draft"].pk).demand_id is None
