"""Partner keys against every API route: the routes are read from the URL resolver, so a new
endpoint is checked without anyone adding it here."""

import hashlib
import re

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from roadmap_portal.api.authentication import generate_key
from roadmap_portal.models import ApiKey, Region
from tests.demo_data import load_demo
from tests.factories import RegionFactory, admin_user, user_with_role

API_PREFIX = "api/v1/"
UNSAFE = ("post", "put", "patch", "delete")
# Routes a read-only key may call with an unsafe method, and why.
UNSAFE_EXEMPT = {
    "api-token": "the login itself: it takes a username and password, not a key",
}
# Routes that answer without credentials, and why.
PUBLIC = {
    "ocds-extension": "the OCDS extension's files are public: standard tools fetch them",
}
# Lists without objects of a region: reference data.
NOT_REGIONAL = {"regions-list", "corporations-list"}


def api_routes():
    """(route, URLPattern) of every pattern under /api/v1/, format-suffix variants left out."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    return [
        (route, pattern)
        for route, pattern in walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX) and "format" not in route and pattern.name
    ]


def methods_of(pattern):
    """The HTTP methods a route answers: the router's actions, or the APIView's handlers."""
    actions = getattr(pattern.callback, "actions", None)
    if actions:
        return set(actions)
    view_class = getattr(pattern.callback, "cls", None) or getattr(
        pattern.callback, "view_class", None
    )
    if view_class is None:  # a function view (obtain_auth_token is a class, others may not be)
        return set(getattr(pattern.callback, "http_method_names", ())) or {"post"}
    return {m for m in ("get", *UNSAFE) if hasattr(view_class, m)}


def list_routes(with_pattern=False):
    """Router list routes without parameters: (name, URL) or (name, URL, pattern)."""
    found = []
    for _route, pattern in api_routes():
        actions = getattr(pattern.callback, "actions", None) or {}
        if actions.get("get") != "list":
            continue
        try:
            url = reverse(pattern.name)
        except NoReverseMatch:
            continue  # a nested list (e.g. a webhook's deliveries) needs its parent
        found.append((pattern.name, url, pattern) if with_pattern else (pattern.name, url))
    return found


REGION_PATHS = ("region", "supplier__region", "offer__supplier__region", "roadmap__region")


def model_of(pattern):
    view_class = pattern.callback.cls
    meta = getattr(getattr(view_class, "serializer_class", None), "Meta", None)
    queryset = getattr(view_class, "queryset", None)
    return getattr(meta, "model", None) or getattr(queryset, "model", None)


def region_path(model):
    """How ``model`` reaches a region, or None when it does not."""
    for path in REGION_PATHS:
        current = model
        for name in path.split("__"):
            try:
                field = current._meta.get_field(name)
            except FieldDoesNotExist:
                break
            if not field.is_relation or field.many_to_many or field.one_to_many:
                break
            current = field.related_model
        else:
            if current is Region:
                return path
    return None


def url_for(pattern, route):
    """A concrete URL for any route: every id becomes 1 and a region code RU-TOM (permission
    checks run before any lookup, so the object need not exist)."""
    kwargs = {name: SAMPLE_VALUES.get(name, "1") for name in pattern.pattern.regex.groupindex}
    try:
        return reverse(pattern.name, kwargs=kwargs)
    except NoReverseMatch:
        return "/" + re.sub(
            r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>",
            lambda m: SAMPLE_VALUES.get(m.group(1) or m.group(2), "1"),
            route,
        ).replace("^", "").replace("$", "")


SAMPLE_VALUES = {"code": "RU-TOM"}


def new_key(*, region=None, corporation=None, write=(), username="partner", **extra):
    from django.contrib.auth import get_user_model

    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="scope test",
        organisation="Partner",
        user=get_user_model().objects.get(username=username),
        prefix=prefix,
        hashed_key=hashed,
        region=region,
        corporation=corporation,
        write_resources=list(write),
        **extra,
    )
    return key


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def demo(db, settings):
    settings.API_RATE_KEY = ""
    settings.API_RATE_USER = ""
    load_demo()
    return {code: Region.objects.get(code=code) for code in ("RU-KLU", "RU-TOM")}


def regions_in(value, key=None):
    """Every region code an API object names: fields called ``region`` (a code or an object
    with ``code``), however deep."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from regions_in(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from regions_in(item, key)
    elif key in ("region", "region_code") and isinstance(value, str):
        yield value


def read_all(client, url, *, cursor=False):
    """Every object of a list, page after page (by number, or by cursor where the list has
    one); None when the caller's role may not read it."""
    results, page = [], f"{url}?page_size=200" + ("&mode=cursor" if cursor else "")
    while page:
        response = client.get(page)
        if response.status_code == 403 and not results:
            return None
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()
        if not isinstance(body, dict) or "results" not in body:
            return body if isinstance(body, list) else [body]
        results += body["results"]
        page = body["next"]
    return results


def test_routes_are_found():
    names = {name for name, _url in list_routes()}
    assert {"register-list", "tenders-list", "offers-list", "roadmaps-list"} <= names, names


@pytest.mark.django_db
def test_region_key_never_sees_another_regions_objects(demo):
    """For every list whose objects belong to a region (their own, their supplier's, their
    offer's or their roadmap's), a Kaluga key lists no Tomsk object and gets 404 on each
    Tomsk object's detail URL."""
    kaluga_key = client_with(new_key(region=demo["RU-KLU"]))
    leaks, not_hidden, checked = [], [], {}
    for name, url, pattern in list_routes(with_pattern=True):
        model = model_of(pattern)
        path = region_path(model) if model is not None else None
        if name in NOT_REGIONAL or path is None:
            continue
        seen = read_all(kaluga_key, url)
        if seen is None:
            continue  # the partner role may not read this resource at all (403)
        seen += read_all(kaluga_key, url, cursor=True)
        tomsk_ids = set(
            model._default_manager.filter(**{f"{path}__code": "RU-TOM"}).values_list(
                "pk", flat=True
            )
        )
        for item in seen:
            if item.get("id") in tomsk_ids or "RU-TOM" in set(regions_in(item)):
                leaks.append((url, item.get("id")))
        detail = name.removesuffix("-list") + "-detail"
        for pk in sorted(tomsk_ids):
            try:
                detail_url = reverse(detail, args=[pk])
            except NoReverseMatch:
                break
            checked[name] = checked.get(name, 0) + 1
            status = kaluga_key.get(detail_url).status_code
            if status != 404:
                not_hidden.append((detail_url, status))
    assert not leaks, f"Tomsk objects listed to a Kaluga key: {leaks}"
    assert not not_hidden, f"Tomsk detail pages not 404 for a Kaluga key: {not_hidden}"
    # The check means something only when the demo has Tomsk objects on these lists.
    expected = {"roadmaps-list", "suppliers-list", "offers-list", "register-list", "contracts-list"}
    assert expected <= set(checked), checked


@pytest.mark.django_db
def test_bad_keys_get_401_everywhere(settings):
    settings.API_RATE_KEY = settings.API_RATE_ANON = ""
    user_with_role("partner", username="partner")
    good = new_key()
    keys = {
        "wrong": good[:-4] + ("aaaa" if not good.endswith("aaaa") else "bbbb"),
        "expired": new_key(expires=timezone.now() - timezone.timedelta(minutes=1)),
        "revoked": new_key(revoked=timezone.now()),
        "malformed": "no-such-key",
    }
    calls = [
        (method, url_for(pattern, route))
        for route, pattern in api_routes()
        if pattern.name not in PUBLIC
        for method in sorted(methods_of(pattern))
    ]
    assert len(calls) > 40
    for kind, key in keys.items():
        client = client_with(key)
        wrong = {
            (method.upper(), url): status
            for method, url in calls
            if (status := getattr(client, method)(url).status_code) != 401
        }
        assert not wrong, f"a {kind} key is not refused with 401: {wrong}"
    assert client_with(good).get("/api/v1/register/").status_code == 200


@pytest.mark.django_db
def test_read_only_key_gets_403_on_every_unsafe_route(demo):
    from suppliers.models import Offer

    client = client_with(new_key(region=demo["RU-KLU"]))
    visible_offer = Offer.objects.filter(
        status="registered", supplier__region=demo["RU-KLU"]
    ).first()
    # Routes that read their body before the key's rights: a well-formed body on an object
    # the key can see, so that only the rights can refuse it.
    bodies = {
        "offers-transition": (
            reverse("offers-transition", args=[visible_offer.pk]),
            {"action": "exclude", "comment": "a read-only key tries"},
        ),
    }
    answers = {}
    for route, pattern in api_routes():
        if pattern.name in UNSAFE_EXEMPT:
            continue
        url, body = bodies.get(pattern.name, (url_for(pattern, route), {}))
        for method in sorted(methods_of(pattern) & set(UNSAFE)):
            answers[(method.upper(), url)] = getattr(client, method)(url, body, format="json")
    wrong = {
        call: (response.status_code, response.content[:200])
        for call, response in answers.items()
        if response.status_code != 403
    }
    assert not wrong, f"a read-only key may write: {wrong}"
    assert ("POST", "/api/v1/contracts/") in answers and ("POST", "/api/v1/webhooks/") in answers


@pytest.mark.django_db
def test_a_key_with_a_write_resource_may_write_only_that(demo, network):
    client = client_with(new_key(region=demo["RU-KLU"], write=["webhooks"]))
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "https://partner.example.org/hooks", "events": ["tender.opened"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert client.post("/api/v1/contracts/", {}, format="json").status_code == 403


@pytest.mark.django_db
def test_admin_shows_the_key_once_and_stores_its_hash(client):
    from django.contrib.messages import get_messages

    root = admin_user()
    partner = user_with_role("partner")
    kaluga = RegionFactory(code="RU-KLU")
    client.force_login(root)
    response = client.post(
        reverse("admin:roadmap_portal_apikey_add"),
        {
            "name": "ERP integration",
            "organisation": "Kaluga Development Corporation",
            "user": partner.pk,
            "region": kaluga.pk,
            "corporation": "",
            "write_resources": "[]",
            "expires_0": "",
            "expires_1": "",
            "revoked_0": "",
            "revoked_1": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    keys = [m.rsplit(" ", 1)[-1] for m in shown if "shown only this once" in m]
    assert len(keys) == 1, shown
    key = keys[0]
    row = ApiKey.objects.get(name="ERP integration")
    assert row.hashed_key == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix + ".") and len(key) > len(row.prefix) + 30
    stored = [str(v) for v in ApiKey.objects.filter(pk=row.pk).values_list().get()]
    assert key not in stored, "the key itself is not stored"
    assert client_with(key).get("/api/v1/register/").status_code == 200
    changelist = reverse("admin:roadmap_portal_apikey_changelist")
    assert key in client.get(changelist).content.decode(), "shown on the page after saving"
    assert key not in client.get(changelist).content.decode(), "and never again"
    assert (
        key
        not in client.get(
            reverse("admin:roadmap_portal_apikey_change", args=[row.pk])
        ).content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "write, error",
    [
        ('["nonsense"]', "Unknown resources: nonsense"),
        ("webhooks", "Enter a valid JSON"),
        ('{"webhooks": true}', "Give a JSON list"),
    ],
)
def test_admin_refuses_resources_a_key_cannot_write(client, write, error):
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:roadmap_portal_apikey_add"),
        {
            "name": "ERP integration",
            "organisation": "Kaluga Development Corporation",
            "user": user_with_role("partner").pk,
            "write_resources": write,
        },
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_writable_resources_are_the_routers_writable_lists():
    from roadmap_portal.choices import API_WRITE_RESOURCES

    names = {name.removesuffix("-list") for name, _url in list_routes()}
    assert set(API_WRITE_RESOURCES) <= names, set(API_WRITE_RESOURCES) - names
