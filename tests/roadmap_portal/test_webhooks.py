"""Webhooks: real HTTP deliveries to a receiver on 127.0.0.1, signed as docs/api.md says."""

import http.server
import json
import re
import threading
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from roadmap_portal.api.authentication import generate_key
from roadmap_portal.models import ApiKey, Notification
from roadmap_portal.scope import scope_of
from roadmap_portal.webhooks.events import offer_transition_event
from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from roadmap_portal.webhooks.services import webhook_event

# Imported while the settings are the project's own: the task's time limits are fixed at
# import from WEBHOOK_TIMEOUT, which some tests below lower for their own attempts.
from roadmap_portal.webhooks.tasks import deliver_webhook  # noqa: I001
from suppliers.models import OfferTransition
from tests.factories import (
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    SupplierFactory,
    admin_user,
    user_with_role,
)
from tests.helpers import assert_constant_queries, count_queries

ROOT = Path(__file__).resolve().parents[2]
WEBHOOKS = "/api/v1/webhooks/"


# --- a real receiver ----------------------------------------------------------------


class Receiver:
    """An HTTP server in a thread on an ephemeral port of 127.0.0.1. It answers each POST
    with the next status of ``statuses`` (200 once they run out) and keeps what it got."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "status": status}
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def succeeded(self):
        return [r for r in self.requests if 200 <= r["status"] < 300]


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture(autouse=True)
def loopback(settings, network):
    """The receiver listens on 127.0.0.1: a private network, admitted here."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.DEBUG = False


def documented_verify_signature():
    """The verification recipe exactly as docs/api.md prints it."""
    text = (ROOT / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    code = next(block for block in blocks if "def verify_signature" in block)
    namespace = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    return namespace["verify_signature"]


# --- data -------------------------------------------------------------------------


def make_key(*, region=None, corporation=None, write=(), username=None):
    user = user_with_role("partner", **({"username": username} if username else {}))
    key, prefix, hashed = generate_key()
    api_key = ApiKey.objects.create(
        name="integration",
        organisation=f"Partner of {username or user.username}",
        user=user,
        prefix=prefix,
        hashed_key=hashed,
        region=region,
        corporation=corporation,
        write_resources=list(write),
    )
    return key, api_key


def key_client(api, key):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def subscribe(client, url, events=("offer.registered",)):
    response = client.post(WEBHOOKS, {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def registered_transition(region, to_status="registered"):
    supplier = SupplierFactory(region=region)
    offer = OfferFactory(supplier=supplier, status=to_status)
    return OfferTransition.objects.create(
        offer=offer,
        action="register" if to_status == "registered" else "exclude",
        from_status="certified" if to_status == "registered" else "registered",
        to_status=to_status,
    )


@pytest.fixture
def kaluga():
    return RegionFactory(code="RU-KLU", name="Kaluga Region")


@pytest.fixture
def tomsk():
    return RegionFactory(code="RU-TOM", name="Tomsk Oblast")


# --- delivery -----------------------------------------------------------------------


@pytest.mark.django_db
def test_offer_registered_is_delivered_signed_as_documented(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    endpoint = subscribe(key_client(api, key), receiver.url, ["offer.registered"])
    transition = registered_transition(kaluga)

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(transition.pk)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    verify_signature = documented_verify_signature()
    assert verify_signature(endpoint["secret"], headers["x-roadmap-signature"], request["body"])
    assert not verify_signature("whsec_wrong", headers["x-roadmap-signature"], request["body"])
    assert not verify_signature(
        endpoint["secret"], headers["x-roadmap-signature"], request["body"] + b" "
    )
    body = json.loads(request["body"])
    assert body["event"] == "offer.registered" == headers["x-roadmap-event"]
    assert body["data"]["offer"]["id"] == transition.offer_id
    assert body["data"]["offer"]["region"] == "RU-KLU"
    assert body["data"]["transition"]["to"] == "registered"
    delivery = WebhookDelivery.objects.get()
    assert str(delivery.pk) == headers["x-roadmap-delivery"] == str(body["id"])
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 200)
    assert delivery.sent_at is not None

    # The same transition reported again (a retried notification task) sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(transition.pk)
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_receiver_failing_twice_gets_exactly_one_successful_delivery(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["offer.excluded"])
    receiver.statuses = [500, 500]
    transition = registered_transition(kaluga, to_status="excluded")

    # Celery runs eagerly here: its autoretry runs the retries at once, in order.
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(transition.pk)

    assert [r["status"] for r in receiver.requests] == [500, 500, 200]
    assert len(receiver.succeeded) == 1
    assert len({r["body"] for r in receiver.requests}) == 1, "every retry sends the same body"
    assert len({r["headers"]["X-Roadmap-Delivery"] for r in receiver.requests}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 3, 200)
    assert delivery.last_error == ""
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


@pytest.mark.django_db
def test_unreachable_receiver_is_retried_and_then_recorded_failed(
    api, kaluga, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT = 2
    with Receiver() as gone:
        url = gone.url
    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), url, ["offer.registered"])

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == settings.WEBHOOK_MAX_RETRIES + 1
    assert delivery.response_code is None and delivery.last_error
    assert WebhookEndpoint.objects.get().consecutive_failures == delivery.attempts


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_for_a_rolled_back_transaction(api, receiver, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["offer.registered"])

    transition = registered_transition(kaluga)
    with pytest.raises(RuntimeError), transaction.atomic():
        offer_transition_event(transition.pk)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the surrounding change fails")
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0

    # The same change committed is sent.
    with transaction.atomic():
        offer_transition_event(transition.pk)
        assert receiver.requests == [], "nothing leaves before the commit"
    assert len(receiver.succeeded) == 1
    assert WebhookDelivery.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_burst_of_failures_does_not_switch_the_endpoint_off(
    api, receiver, kaluga, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    root = admin_user()
    key, _ = make_key(region=kaluga, write=["webhooks"])
    created = subscribe(key_client(api, key), receiver.url, ["offer.registered"])
    receiver.statuses = [500] * (settings.WEBHOOK_MAX_RETRIES + 1)

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)

    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.active is True, "failures that have not lasted do not switch it off"
    assert endpoint.consecutive_failures == settings.WEBHOOK_MAX_RETRIES + 1
    assert endpoint.failing_since is not None
    assert not Notification.objects.filter(recipient=root, event="webhook_disabled").exists()

    # The receiver is back: the next event goes out and the failures are forgotten.
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    assert receiver.requests[-1]["status"] == 200
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)


@pytest.mark.django_db
def test_lasting_failures_switch_the_endpoint_off_and_its_events_are_kept_and_sent_on(
    api, client, receiver, kaluga, settings, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    settings.WEBHOOK_DISABLE_AFTER = 3
    root = admin_user()
    key, _ = make_key(region=kaluga, write=["webhooks"])
    created = subscribe(key_client(api, key), receiver.url, ["offer.registered"])
    # Failing for a day already, two attempts in a row: the next failure switches it off.
    WebhookEndpoint.objects.filter(pk=created["id"]).update(
        consecutive_failures=2,
        failing_since=timezone.now()
        - datetime.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS, minutes=1),
    )
    receiver.statuses = [500] * 20

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)

    assert len(receiver.requests) == 1, "no attempt after the endpoint is switched off"
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 3)
    assert "500" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == "held", "kept, not dropped"
    told = Notification.objects.filter(recipient=root, event="webhook_disabled")
    assert told.count() == 1
    assert receiver.url in told.get().message
    assert Notification.objects.filter(recipient__api_keys__prefix=key.split(".")[0]).exists()

    # A switched-off endpoint's events are recorded held, with their numbers; nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    assert len(receiver.requests) == 1
    assert list(WebhookDelivery.objects.order_by("sequence").values_list("sequence", "status")) == [
        (1, "held"),
        (2, "held"),
    ]
    listed = key_client(api, key).get(WEBHOOKS).json()["results"][0]
    assert listed["active"] is False and "500" in listed["disabled_reason"]
    redeliver = key_client(api, key).post(
        f"{WEBHOOKS}{created['id']}/redeliver/",
        {"since": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert redeliver.status_code == 409, "switched off: it sends when switched on"

    # An administrator switches it on: the held events go out, in order.
    receiver.statuses = []
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_webhookendpoint_changelist"),
            {"action": "enable", "_selected_action": [created["id"]]},
        )
    assert response.status_code == 302
    sent = [json.loads(r["body"])["sequence"] for r in receiver.requests[1:]]
    assert sent == [1, 2]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failing_since) == (True, None)


@pytest.mark.django_db
def test_the_owner_switches_a_switched_off_endpoint_on_and_its_held_events_go_out_in_order(
    api, receiver, kaluga, tomsk, settings, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    key, _ = make_key(region=kaluga, write=["webhooks"])
    created = subscribe(key_client(api, key), receiver.url, ["offer.registered"])
    WebhookEndpoint.objects.filter(pk=created["id"]).update(
        active=False, disabled_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
        offer_transition_event(registered_transition(kaluga).pk)
    assert receiver.requests == []
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["held", "held"]

    other_key, _ = make_key(region=tomsk, write=["webhooks"])
    from rest_framework.test import APIClient

    other = key_client(APIClient(), other_key)
    stranger = other.post(f"{WEBHOOKS}{created['id']}/enable/")
    missing = other.post(f"{WEBHOOKS}999999/enable/")
    assert (stranger.status_code, stranger.json()) == (missing.status_code, missing.json())
    assert stranger.status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = key_client(api, key).post(f"{WEBHOOKS}{created['id']}/enable/")
    assert response.status_code == 200, response.content
    assert (response.json()["active"], response.json()["disabled_reason"]) == (True, "")
    assert [json.loads(r["body"])["sequence"] for r in receiver.requests] == [1, 2]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_events_follow_the_key_scope(
    api, receiver, kaluga, tomsk, django_capture_on_commit_callbacks
):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["offer.registered", "offer.excluded"])

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(tomsk).pk)
    assert receiver.requests == [], "a Kaluga key hears nothing about a Tomsk offer"

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_only_subscribed_events_and_live_keys_are_delivered(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    key, api_key = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["offer.excluded"])

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    assert receiver.requests == [], "not subscribed to offer.registered"

    from django.utils import timezone

    ApiKey.objects.filter(pk=api_key.pk).update(revoked=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga, to_status="excluded").pk)
    assert receiver.requests == [], "a revoked key's endpoints hear nothing"
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_reading_the_owners_scopes_takes_the_same_queries_for_one_or_five_endpoints(kaluga):
    """Each endpoint's owner and the profile its scope is read from come with the endpoints'
    query: five partners' endpoints cost what one does."""
    seen = []

    def scope_check(user):
        seen.append(scope_of(user).region_id)
        return False  # nothing is recorded: only the reading of the owners is counted

    def add_endpoints(n):
        for _ in range(n):
            owner = user_with_role("partner", region=kaluga)
            WebhookEndpoint.objects.create(
                user=owner, url="https://p.example.org/", events=["offer.registered"], secret="s"
            )

    def event():
        return webhook_event("offer.registered", "offer.registered:1", {}, scope_check)

    add_endpoints(1)
    _, one = count_queries(event)
    add_endpoints(4)
    seen.clear()
    _, five = count_queries(event)
    assert seen == [kaluga.pk] * 5
    assert five == one


@pytest.mark.django_db
def test_webhook_event_refuses_unknown_events():
    with pytest.raises(ValueError):
        webhook_event("offer.eaten", "offer.eaten:1", {}, lambda user: True)


# --- the API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_partner_sees_only_its_own_endpoints(api, api_as, kaluga):
    key_a, _ = make_key(region=kaluga, write=["webhooks"], username="partner-a")
    key_b, _ = make_key(region=kaluga, write=["webhooks"], username="partner-b")
    from rest_framework.test import APIClient

    client_a, client_b = key_client(APIClient(), key_a), key_client(APIClient(), key_b)
    mine = subscribe(client_a, "https://a.example.org/hooks")
    detail = f"{WEBHOOKS}{mine['id']}/"
    deliveries = f"{WEBHOOKS}{mine['id']}/deliveries/"

    for url in (WEBHOOKS, detail, deliveries):
        assert api.get(url).status_code == 401, url
    assert [e["id"] for e in client_a.get(WEBHOOKS).json()["results"]] == [mine["id"]]
    assert client_b.get(WEBHOOKS).json()["results"] == []
    assert client_b.get(detail).status_code == 404
    assert client_b.get(deliveries).status_code == 404
    assert client_b.delete(detail).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=mine["id"]).exists()

    reviewer = user_with_role("reviewer", corporation=CorporationFactory())
    assert api_as(reviewer).get(WEBHOOKS).status_code == 403
    assert api_as(reviewer).post(WEBHOOKS, {}, format="json").status_code == 403

    assert client_a.get(detail).status_code == 200
    assert client_a.get(deliveries).status_code == 200
    assert client_a.delete(detail).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=mine["id"]).exists()


@pytest.mark.django_db
def test_secret_is_returned_only_on_create(api, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    created = subscribe(client, "https://partner.example.org/hooks")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert "secret" not in client.get(WEBHOOKS).json()["results"][0]
    assert "secret" not in client.get(f"{WEBHOOKS}{created['id']}/").json()
    assert WebhookEndpoint.objects.get().secret == created["secret"]


@pytest.mark.django_db
def test_partner_account_with_a_token_owns_its_endpoints(api_as, kaluga):
    partner = user_with_role("partner", region=kaluga)
    client = api_as(partner)
    created = subscribe(client, "https://partner.example.org/hooks", ["report.ready"])
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.user == partner and endpoint.api_key is None
    other = api_as(user_with_role("partner"))
    assert other.get(f"{WEBHOOKS}{created['id']}/").status_code == 404


@pytest.mark.django_db
def test_read_only_key_may_list_but_not_subscribe(api, kaluga):
    key, _ = make_key(region=kaluga)
    client = key_client(api, key)
    assert client.get(WEBHOOKS).status_code == 200
    response = client.post(
        WEBHOOKS, {"url": "https://a.example.org/", "events": ["tender.opened"]}, format="json"
    )
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "private_allowed", "expected"),
    [
        ("http://partner.example.org/hooks", True, 400),
        ("http://partner.example.org/hooks", False, 400),
        ("ftp://partner.example.org/hooks", True, 400),
        ("https://10.1.2.3/hooks", False, 400),
        ("https://10.1.2.3/hooks", True, 201),
        ("https://169.254.169.254/latest", True, 400),
        ("https://user:pw@partner.example.org/hooks", True, 400),
        ("http://127.0.0.1:9/hooks", False, 400),
        ("http://localhost:9/hooks", False, 400),
        ("http://127.0.0.1:9/hooks", True, 201),
        ("http://localhost:9/hooks", True, 201),
        ("https://partner.example.org/hooks", False, 201),
    ],
)
def test_endpoint_urls(api, kaluga, settings, url, private_allowed, expected):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = private_allowed
    key, _ = make_key(region=kaluga, write=["webhooks"])
    response = key_client(api, key).post(
        WEBHOOKS, {"url": url, "events": ["tender.opened"]}, format="json"
    )
    assert response.status_code == expected, response.content
    if expected == 400:
        assert "url" in response.json()
        assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_events_must_be_known_and_given(api, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    for events in ([], ["offer.eaten"]):
        response = client.post(
            WEBHOOKS, {"url": "https://a.example.org/", "events": events}, format="json"
        )
        assert response.status_code == 400
        assert "events" in response.json()


@pytest.mark.django_db
def test_endpoint_and_delivery_lists_have_constant_queries(api, kaluga):
    key, api_key = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    first = subscribe(client, "https://partner.example.org/0")
    endpoint = WebhookEndpoint.objects.get(pk=first["id"])

    def more_endpoints(n):
        WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(api_key=api_key, url=f"https://p.example.org/{i}", secret="s")
            for i in range(n)
        )

    def more_deliveries(n):
        start = WebhookDelivery.objects.count()
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event="tender.opened",
                event_key=f"k{start + i}",
                sequence=start + i + 1,
            )
            for i in range(n)
        )

    assert_constant_queries(more_endpoints, lambda: client.get(f"{WEBHOOKS}?page_size=100"))
    assert_constant_queries(
        more_deliveries, lambda: client.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/?page_size=100")
    )


@pytest.mark.django_db
def test_delivery_log_lists_attempts(api, receiver, kaluga, django_capture_on_commit_callbacks):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    created = subscribe(client, receiver.url)
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    log = client.get(reverse("webhook-deliveries-list", args=[created["id"]])).json()
    assert log["count"] == 1
    entry = log["results"][0]
    assert entry["event"] == "offer.registered"
    assert (entry["status"], entry["attempts"], entry["response_code"]) == ("sent", 2, 200)
    assert client.get(f"{WEBHOOKS}{created['id']}/deliveries/?status=failed").json()["count"] == 0


@pytest.mark.django_db
def test_disabled_account_user_gets_nothing(
    api_as, receiver, kaluga, django_capture_on_commit_callbacks
):
    partner = user_with_role("partner", region=kaluga)
    subscribe(api_as(partner), receiver.url)
    partner.is_active = False
    partner.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        offer_transition_event(registered_transition(kaluga).pk)
    assert receiver.requests == []


@pytest.mark.django_db
def test_task_retries_until_answered_and_never_sends_twice(api, receiver, kaluga):
    from celery.exceptions import Retry

    key, api_key = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="offer.registered", event_key="offer.registered:1"
    )
    receiver.statuses = [500, 500]

    for attempt in (1, 2):
        with pytest.raises(Retry):
            deliver_webhook.apply(args=[delivery.pk], retries=50 * attempt, throw=True)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_code) == (
            "pending",
            attempt,
            500,
        )
    assert deliver_webhook.max_retries is None, "retried for as long as the endpoint is on"

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "sent"
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "sent", "a sent one stays"
    assert len(receiver.requests) == 3
    assert {r["headers"]["X-Roadmap-Sequence"] for r in receiver.requests} == {"1"}


@pytest.mark.django_db
def test_tender_events_reach_keys_of_the_customer_group_only(
    api, receiver, django_capture_on_commit_callbacks
):
    from roadmap_portal.webhooks.events import tender_event
    from tests.factories import ContractFactory, TenderFactory

    gazprom, interrao = CorporationFactory(), CorporationFactory()
    subsidiary = CorporationFactory(parent=gazprom)
    key, _ = make_key(corporation=gazprom, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["tender.opened", "tender.awarded"])
    ours = TenderFactory(customer=subsidiary, status="open")
    theirs = TenderFactory(customer=interrao, status="open")

    with django_capture_on_commit_callbacks(execute=True):
        assert tender_event(theirs.pk, "tender.opened") == 0
        assert tender_event(ours.pk, "tender.opened") == 1
        assert tender_event(ours.pk, "tender.opened") == 0, "once per endpoint"
    assert len(receiver.requests) == 1
    body = json.loads(receiver.requests[0]["body"])
    assert body["event"] == "tender.opened"
    assert body["data"]["tender"]["number"] == ours.number
    assert body["data"]["tender"]["estimated_value"] == str(ours.estimated_value)

    contract = ContractFactory(tender=ours, customer=subsidiary)
    with django_capture_on_commit_callbacks(execute=True):
        assert tender_event(ours.pk, "tender.awarded") == 1
    award = json.loads(receiver.requests[1]["body"])["data"]["award"]
    assert award["supplier"]["id"] == contract.supplier_id
    assert award["amount"] == str(contract.amount)


@pytest.mark.django_db
def test_report_ready_reaches_keys_that_may_read_the_report(
    api, receiver, kaluga, tomsk, django_capture_on_commit_callbacks
):
    from roadmap_portal.models import Report
    from roadmap_portal.webhooks.events import report_ready_event

    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["report.ready"])

    def report(region, status="done"):
        return Report.objects.create(
            scope="region",
            region=region,
            subject_key=f"region:{region.pk}",
            year=2025,
            status=status,
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert report_ready_event(report(tomsk).pk) == 0
        assert report_ready_event(report(kaluga, status="failed").pk) == 0
        ready = report(kaluga)
        assert report_ready_event(ready.pk) == 1
    assert len(receiver.requests) == 1
    data = json.loads(receiver.requests[0]["body"])["data"]["report"]
    assert (data["id"], data["region"], data["url"]) == (
        ready.pk,
        "RU-KLU",
        f"/api/v1/reports/{ready.pk}/",
    )


@pytest.mark.django_db
def test_delivery_log_pages_by_cursor_on_request(api, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    endpoint = WebhookEndpoint.objects.get(pk=subscribe(client, "https://p.example.org/")["id"])

    def add(n):
        start = WebhookDelivery.objects.count()
        return [
            WebhookDelivery.objects.create(
                endpoint=endpoint, event="tender.opened", event_key=f"k{start + i}"
            ).pk
            for i in range(n)
        ]

    ids = add(5)
    url = f"{WEBHOOKS}{endpoint.pk}/deliveries/"
    paged = client.get(f"{url}?page_size=2").json()
    assert paged["count"] == 5 and "page=2" in paged["next"]

    first = client.get(f"{url}?mode=cursor&page_size=2").json()
    assert "count" not in first and "cursor=" in first["next"]
    seen = [row["id"] for row in first["results"]]
    newer = add(1)  # arrives while the client pages: it shows on no later page
    page = first["next"]
    while page:
        body = client.get(page).json()
        seen += [row["id"] for row in body["results"]]
        page = body["next"]
    assert seen == sorted(ids, reverse=True)
    assert client.get(f"{url}?mode=cursor").json()["results"][0]["id"] == newer[0]
    assert client.get(f"{url}?cursor=garbage").status_code == 400


@pytest.mark.django_db
def test_a_real_exclusion_reaches_the_partner(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    """From the offer pipeline's own service, through the notification after commit, to
    the partner's server."""
    from suppliers.services import offer_transition

    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), receiver.url, ["offer.excluded"])
    offer = OfferFactory(supplier=SupplierFactory(region=kaluga), status="registered")
    reviewer = user_with_role("reviewer", corporation=offer.roadmap.corporation)

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition(
            offer_id=offer.pk, user=reviewer, action="exclude", comment="certificate revoked"
        )

    assert len(receiver.succeeded) == 1
    data = json.loads(receiver.requests[0]["body"])["data"]
    assert data["offer"]["id"] == offer.pk
    assert data["transition"]["comment"] == "certificate revoked"


@pytest.mark.django_db
def test_admin_lists_endpoints_and_switches_one_back_on(client, kaluga):
    _, api_key = make_key(region=kaluga, write=["webhooks"])
    endpoint = WebhookEndpoint.objects.create(
        api_key=api_key,
        url="https://p.example.org/",
        events=["tender.opened"],
        secret="whsec_do-not-show",
        active=False,
        consecutive_failures=10,
        disabled_reason="HTTP 500",
    )
    WebhookDelivery.objects.create(endpoint=endpoint, event="tender.opened", event_key="k1")
    client.force_login(admin_user())
    changelist = reverse("admin:webhooks_webhookendpoint_changelist")
    assert client.get(changelist).status_code == 200
    page = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    assert "whsec_do-not-show" not in page.content.decode()
    assert client.get(reverse("admin:webhooks_webhookdelivery_changelist")).status_code == 200

    response = client.post(
        changelist, {"action": "enable", "_selected_action": [endpoint.pk]}, follow=True
    )
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_reason) == (
        True,
        0,
        "",
    )


@pytest.mark.django_db
def test_cursor_mode_keeps_its_key_whatever_the_ordering_asked(api, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    client = key_client(api, key)
    endpoint = WebhookEndpoint.objects.get(pk=subscribe(client, "https://p.example.org/")["id"])
    ids = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="tender.opened", event_key=f"k{i}"
        ).pk
        for i in range(3)
    ]
    url = f"{WEBHOOKS}{endpoint.pk}/deliveries/?mode=cursor&ordering=created"
    assert [row["id"] for row in client.get(url).json()["results"]] == sorted(ids, reverse=True)


@pytest.mark.django_db
def test_sweep_sends_deliveries_whose_queueing_was_lost(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from roadmap_portal.webhooks.tasks import deliver_stale_webhooks

    key, _ = make_key(region=kaluga, write=["webhooks"])
    endpoint = WebhookEndpoint.objects.get(pk=subscribe(key_client(api, key), receiver.url)["id"])
    lost = WebhookDelivery.objects.create(endpoint=endpoint, event="tender.opened", event_key="a")
    fresh = WebhookDelivery.objects.create(endpoint=endpoint, event="tender.opened", event_key="b")
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        created=timezone.now() - datetime.timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_stale_webhooks.apply().get() == 1
    assert len(receiver.succeeded) == 1
    assert json.loads(receiver.requests[0]["body"])["id"] == lost.pk
    assert WebhookDelivery.objects.get(pk=fresh.pk).status == "pending"
    assert deliver_stale_webhooks.apply().get() == 0, "a sent one is not sent again"

    # A delivery whose retry was lost (last attempted longer ago than any retry waits).
    WebhookDelivery.objects.filter(pk=fresh.pk).update(
        attempts=3, last_attempt_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_stale_webhooks.apply().get() == 1
    assert json.loads(receiver.requests[-1]["body"])["id"] == fresh.pk
    assert WebhookDelivery.objects.get(pk=fresh.pk).status == "sent"


# --- sequence numbers and redelivery ---------------------------------------------------


def announce_tender(key: str) -> int:
    return webhook_event("tender.opened", key, {"tender": {"key": key}}, lambda user: True)


@pytest.mark.django_db
def test_each_endpoint_numbers_its_events_in_body_and_header(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    key_a, _ = make_key(region=kaluga, write=["webhooks"], username="partner-a")
    key_b, _ = make_key(region=kaluga, write=["webhooks"], username="partner-b")
    first = subscribe(key_client(APIClient(), key_a), receiver.url, ["tender.opened"])
    subscribe(key_client(APIClient(), key_b), f"{receiver.url}/b", ["tender.opened"])
    receiver.statuses = [500]  # the first attempt fails: its retry keeps its number

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            assert announce_tender(f"tender.opened:{n}") == 2
        assert announce_tender("tender.opened:0") == 0, "reported twice, numbered once"

    for request in receiver.succeeded:
        body = json.loads(request["body"])
        assert request["headers"]["X-Roadmap-Sequence"] == str(body["sequence"])
    sequences = {
        endpoint_id: list(
            WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
            .order_by("created", "id")
            .values_list("sequence", flat=True)
        )
        for endpoint_id in WebhookEndpoint.objects.values_list("pk", flat=True)
    }
    assert sorted(sequences.values()) == [[1, 2, 3], [1, 2, 3]]
    assert WebhookEndpoint.objects.get(pk=first["id"]).last_sequence == 3
    retried = [json.loads(r["body"]) for r in receiver.requests[:2]]
    assert retried[0] == retried[1], "the retry sends the same body, the same number"
    assert len(receiver.succeeded) == 6


@pytest.mark.django_db
def test_a_rolled_back_event_gives_its_number_back(api, kaluga):
    key, _ = make_key(region=kaluga, write=["webhooks"])
    created = subscribe(key_client(api, key), "https://p.example.org/", ["tender.opened"])
    with pytest.raises(RuntimeError), transaction.atomic():
        assert announce_tender("tender.opened:gone") == 1
        raise RuntimeError("the change fails")
    assert announce_tender("tender.opened:kept") == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_key, delivery.sequence) == ("tender.opened:kept", 1)
    assert WebhookEndpoint.objects.get(pk=created["id"]).last_sequence == 1


@pytest.mark.django_db
def test_owner_redelivers_one_delivery_and_everything_since_a_time(
    api, receiver, kaluga, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    key, _ = make_key(region=kaluga, write=["webhooks"], username="owner")
    other, _ = make_key(region=kaluga, write=["webhooks"], username="stranger")
    read_only, _ = make_key(region=kaluga, username="reader")
    owner = key_client(APIClient(), key)
    endpoint = subscribe(owner, receiver.url, ["tender.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            announce_tender(f"tender.opened:{n}")
    assert len(receiver.succeeded) == 3
    deliveries = list(WebhookDelivery.objects.order_by("sequence"))
    one = f"{WEBHOOKS}{endpoint['id']}/deliveries/{deliveries[0].pk}/redeliver/"
    since = f"{WEBHOOKS}{endpoint['id']}/redeliver/"
    later = {"since": deliveries[1].created.isoformat()}

    # Another partner's endpoint and delivery answer as missing ones; a read-only key may not.
    stranger = key_client(APIClient(), other)
    assert stranger.post(one).status_code == 404
    assert stranger.post(since, later, format="json").status_code == 404
    assert key_client(APIClient(), read_only).post(one).status_code == 403
    assert APIClient().post(one).status_code == 401
    missing = f"{WEBHOOKS}{endpoint['id']}/deliveries/{deliveries[-1].pk + 1000}/redeliver/"
    assert owner.post(missing).status_code == 404
    assert owner.post(since, {"since": "yesterday"}, format="json").status_code == 400
    assert len(receiver.requests) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(one)
    assert (response.status_code, response.json()) == (202, {"redelivered": 1})
    again = json.loads(receiver.requests[-1]["body"])
    assert (again["id"], again["sequence"]) == (deliveries[0].pk, 1)
    assert receiver.requests[-1]["body"] == receiver.requests[0]["body"], "the same body"

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(since, later, format="json")
    assert (response.status_code, response.json()) == (202, {"redelivered": 2})
    assert [json.loads(r["body"])["sequence"] for r in receiver.requests[4:]] == [2, 3]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}
    log = owner.get(f"{WEBHOOKS}{endpoint['id']}/deliveries/").json()["results"]
    assert [(row["sequence"], row["attempts"]) for row in log] == [(3, 2), (2, 2), (1, 2)]


@pytest.mark.django_db
def test_administrator_redelivers_selected_deliveries_in_the_admin(
    client, receiver, kaluga, django_capture_on_commit_callbacks
):
    _, api_key = make_key(region=kaluga, write=["webhooks"])
    endpoint = WebhookEndpoint.objects.create(
        api_key=api_key, url=receiver.url, events=["tender.opened"], secret="whsec_x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            announce_tender(f"tender.opened:{n}")
    chosen = list(WebhookDelivery.objects.filter(sequence__in=[1, 3]).values_list("pk", flat=True))
    client.force_login(admin_user())
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")
    assert client.get(f"{changelist}?endpoint__id__exact={endpoint.pk}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "redeliver", "_selected_action": chosen}, follow=True
        )
    assert response.status_code == 200
    assert "2 deliveries queued to be sent again." in response.content.decode()
    assert [json.loads(r["body"])["sequence"] for r in receiver.requests[3:]] == [1, 3]


@pytest.mark.django_db
def test_administrator_redelivers_everything_since_a_time_and_switches_off_and_on(
    client, receiver, kaluga, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    _, api_key = make_key(region=kaluga, write=["webhooks"])
    endpoint = WebhookEndpoint.objects.create(
        api_key=api_key, url=receiver.url, events=["tender.opened"], secret="whsec_x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            announce_tender(f"tender.opened:{n}")
    WebhookDelivery.objects.filter(sequence=1).update(
        created=timezone.now() - datetime.timedelta(days=2)
    )
    client.force_login(admin_user())
    changelist = reverse("admin:webhooks_webhookendpoint_changelist")
    chosen = {"action": "redeliver_since", "_selected_action": [endpoint.pk]}

    asked = client.get(changelist)  # the action is offered
    assert "redeliver_since" in asked.content.decode()
    page = client.post(changelist, chosen)
    assert page.status_code == 200, "a page asks for the time"
    assert 'name="since"' in page.content.decode()
    assert len(receiver.requests) == 3
    wrong = client.post(changelist, {**chosen, "apply": "1", "since": "not a time"})
    assert wrong.status_code == 200 and len(receiver.requests) == 3

    since = timezone.localtime(timezone.now() - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist,
            {**chosen, "apply": "1", "since": since.strftime("%Y-%m-%d %H:%M:%S")},
            follow=True,
        )
    assert "2 deliveries queued to be sent again." in done.content.decode()
    assert [json.loads(r["body"])["sequence"] for r in receiver.requests[3:]] == [2, 3]

    # Switched off by hand: events are held; switched on: they are sent.
    client.post(changelist, {"action": "disable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (
        False,
        "Switched off by an administrator.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        announce_tender("tender.opened:while-off")
    assert WebhookDelivery.objects.get(sequence=4).status == "held"
    assert len(receiver.requests) == 5
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "enable", "_selected_action": [endpoint.pk]})
    assert json.loads(receiver.requests[-1]["body"])["sequence"] == 4
    assert WebhookDelivery.objects.get(sequence=4).status == "sent"


@pytest.mark.django_db
def test_attempts_go_only_to_the_webhooks_queue_and_time_out_short(api, kaluga, settings):
    from roadmap_portal.outbox.models import OutboxMessage
    from roadmap_portal.outbox.services import WEBHOOKS, kind_of
    from roadmap_portal.webhooks.tasks import deliver_stale_webhooks

    key, _ = make_key(region=kaluga, write=["webhooks"])
    subscribe(key_client(api, key), "https://p.example.org/", ["tender.opened"])
    announce_tender("tender.opened:queue")
    row = OutboxMessage.objects.get(task=deliver_webhook.name)
    assert row.queue == WEBHOOKS
    assert kind_of(deliver_webhook.name) == kind_of(deliver_stale_webhooks.name) == WEBHOOKS
    assert settings.WEBHOOK_TIMEOUT <= 5
    assert deliver_webhook.time_limit == 3 * settings.WEBHOOK_TIMEOUT + 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_take_gap_free_numbers_and_rolled_back_ones_give_theirs_back(
    api, kaluga, settings
):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    settings.WEBHOOK_MAX_RETRIES = 0
    key, _ = make_key(region=kaluga, write=["webhooks"])
    created = subscribe(key_client(api, key), "https://p.example.org/", ["tender.opened"])
    start = threading.Barrier(12)

    def record(n: int) -> bool:
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                announce_tender(f"tender.opened:concurrent-{n}")
                if n % 3 == 0:
                    raise RuntimeError("this change fails")
            return True
        except RuntimeError:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        committed = sum(pool.map(record, range(12)))

    assert committed == 8
    sequences = sorted(WebhookDelivery.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, committed + 1))
    assert WebhookEndpoint.objects.get(pk=created["id"]).last_sequence == committed
