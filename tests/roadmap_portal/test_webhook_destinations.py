"""Webhook destinations: nothing reaches loopback, private or metadata addresses however the
URL spells them or the name resolves (at registration and again at the connection, on the
address actually used), and a partner's delivery log cannot tell one failure from another.

Real servers listen on 127.0.0.1; DNS answers come from tests/network.py, where
documentation addresses stand for the public internet and are never connected to.
"""

import http.server
import ipaddress
import logging
import socket
import ssl
import threading
import time

import pytest
import trustme
from django.urls import reverse

from roadmap_portal.webhooks import destinations
from roadmap_portal.webhooks.destinations import AddressKind, address_kind
from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from roadmap_portal.webhooks.services import delivery_send, webhook_event
from tests.factories import admin_user
from tests.roadmap_portal.test_webhooks import WEBHOOKS, key_client, make_key

COULD_NOT_CONNECT = "Could not connect to the endpoint."


@pytest.fixture(autouse=True)
def quiet(settings, network):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    settings.WEBHOOK_TIMEOUT = 2


# --- servers on 127.0.0.1 -----------------------------------------------------------------


class Receiver:
    """An HTTP(S) server on an ephemeral port of 127.0.0.1 that counts every TCP connection
    it accepts (before any TLS handshake), the SNI names it is offered and the POSTs it gets."""

    def __init__(self, tls=None):
        self.connections = 0
        self.sni = []
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def get_request(self):
                sock, address = self.socket.accept()
                receiver.connections += 1
                if tls is not None:
                    sock.settimeout(5)
                    sock = tls.wrap_socket(sock, server_side=True)
                return sock, address

        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.sni.append(name)
        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A certificate authority that the portal trusts for the test (OpenSSL's SSL_CERT_FILE,
    read whenever a TLS context is made)."""
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return authority


def tls_context(ca, name):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subscribe(api, url, **key):
    key, _ = make_key(write=["webhooks"], **key)
    return key_client(api, key).post(
        WEBHOOKS, {"url": url, "events": ["tender.opened"]}, format="json"
    )


def endpoint_at(url):
    """An endpoint row as registration left it earlier (other rules, or the setting on then)."""
    _, api_key = make_key(write=["webhooks"])
    return WebhookEndpoint.objects.create(
        api_key=api_key, url=url, events=["tender.opened"], secret="whsec_test"
    )


def deliver_once(endpoint, key="tender.opened:1"):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="tender.opened", event_key=key, payload={"n": 1}
    )
    delivery_send(delivery_id=delivery.pk, final=True)
    delivery.refresh_from_db()
    return delivery


def announce(key, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return webhook_event("tender.opened", key, {"tender": {"id": 1}}, lambda user: True)


# --- which addresses ---------------------------------------------------------------------

PUBLIC, PRIVATE, FORBIDDEN = AddressKind.PUBLIC, AddressKind.PRIVATE, AddressKind.FORBIDDEN


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", PUBLIC),
        ("2606:4700:4700::1111", PUBLIC),
        ("::ffff:8.8.8.8", PUBLIC),
        ("64:ff9b::8.8.8.8", PUBLIC),
        ("2002:808:808::1", PUBLIC),
        ("127.0.0.1", PRIVATE),
        ("127.255.255.254", PRIVATE),
        ("::1", PRIVATE),
        ("10.0.0.1", PRIVATE),
        ("172.31.255.255", PRIVATE),
        ("192.168.0.1", PRIVATE),
        ("100.64.0.1", PRIVATE),
        ("fd12:3456::1", PRIVATE),
        ("::ffff:127.0.0.1", PRIVATE),
        ("::ffff:10.0.0.1", PRIVATE),
        ("::127.0.0.1", PRIVATE),
        ("64:ff9b::127.0.0.1", PRIVATE),
        ("64:ff9b::a00:1", PRIVATE),
        ("2002:7f00:1::", PRIVATE),
        ("2002:c0a8:101::", PRIVATE),
        ("169.254.169.254", FORBIDDEN),
        ("::ffff:169.254.169.254", FORBIDDEN),
        ("64:ff9b::a9fe:a9fe", FORBIDDEN),
        ("2002:a9fe:a9fe::", FORBIDDEN),
        ("100.100.100.200", FORBIDDEN),
        ("fd00:ec2::254", FORBIDDEN),
        ("0.0.0.0", FORBIDDEN),
        ("0.1.2.3", FORBIDDEN),
        ("::", FORBIDDEN),
        ("224.0.0.1", FORBIDDEN),
        ("239.255.255.250", FORBIDDEN),
        ("ff02::1", FORBIDDEN),
        ("240.0.0.1", FORBIDDEN),
        ("255.255.255.255", FORBIDDEN),
        ("192.0.0.8", FORBIDDEN),
        ("192.0.2.1", FORBIDDEN),
        ("198.51.100.1", FORBIDDEN),
        ("203.0.113.1", FORBIDDEN),
        ("2001:db8::1", FORBIDDEN),
        ("198.18.0.1", FORBIDDEN),
        ("fe80::1", FORBIDDEN),
        ("fe80::1%eth0", FORBIDDEN),
        ("fec0::1", FORBIDDEN),
        ("2001::1", FORBIDDEN),  # Teredo
        ("64:ff9b:1::1", FORBIDDEN),
        ("100::1", FORBIDDEN),
        ("::ffff:0:7f00:1", FORBIDDEN),  # IPv4-translated: reserved IPv6
        ("4000::1", FORBIDDEN),  # outside 2000::/3
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(ipaddress.ip_address(address)) is kind


# --- registration --------------------------------------------------------------------------

# Every spelling of a loopback, private or metadata address, and names that resolve to them:
# (URL, kind of the address it reaches). All are refused without the setting; with it the
# private ones are admitted and the forbidden ones still refused.
SPELLINGS = [
    ("https://127.0.0.1/hooks", PRIVATE),
    ("https://127.1/hooks", PRIVATE),
    ("https://127.0.1/hooks", PRIVATE),
    ("https://2130706433/hooks", PRIVATE),
    ("https://0x7f000001/hooks", PRIVATE),
    ("https://0x7f.0.0.1/hooks", PRIVATE),
    ("https://0177.0.0.1/hooks", PRIVATE),
    ("https://017700000001/hooks", PRIVATE),
    ("https://0x7F.1/hooks", PRIVATE),
    ("https://\uff11\uff12\uff17.0.0.1/hooks", PRIVATE),  # fullwidth digits
    ("https://localhost/hooks", PRIVATE),
    ("https://LocalHost./hooks", PRIVATE),
    ("https://[::1]/hooks", PRIVATE),
    ("https://[0:0:0:0:0:0:0:1]/hooks", PRIVATE),
    ("https://[::ffff:127.0.0.1]/hooks", PRIVATE),
    ("https://[::ffff:7f00:1]/hooks", PRIVATE),
    ("https://[0:0:0:0:0:ffff:127.0.0.1]/hooks", PRIVATE),
    ("https://[::127.0.0.1]/hooks", PRIVATE),
    ("https://[64:ff9b::127.0.0.1]/hooks", PRIVATE),
    ("https://[2002:7f00:1::]/hooks", PRIVATE),
    ("https://10.0.0.1/hooks", PRIVATE),
    ("https://10.1/hooks", PRIVATE),
    ("https://167772161/hooks", PRIVATE),
    ("https://172.16.0.1/hooks", PRIVATE),
    ("https://192.168.1.1/hooks", PRIVATE),
    ("https://3232235777/hooks", PRIVATE),
    ("https://0xc0a80101/hooks", PRIVATE),
    ("https://100.64.0.1/hooks", PRIVATE),
    ("https://[fd00::1]/hooks", PRIVATE),
    ("https://[::ffff:192.168.1.1]/hooks", PRIVATE),
    ("https://loopback.partner.test/hooks", PRIVATE),
    ("https://loopback6.partner.test/hooks", PRIVATE),
    ("https://intranet.partner.test/hooks", PRIVATE),
    ("https://169.254.169.254/latest/meta-data/", FORBIDDEN),
    ("https://2852039166/latest/meta-data/", FORBIDDEN),
    ("https://0xa9fea9fe/latest/meta-data/", FORBIDDEN),
    ("https://0251.0376.0251.0376/latest/meta-data/", FORBIDDEN),
    ("https://169.254.43518/latest/meta-data/", FORBIDDEN),
    ("https://[::ffff:169.254.169.254]/latest/meta-data/", FORBIDDEN),
    ("https://[::ffff:a9fe:a9fe]/latest/meta-data/", FORBIDDEN),
    ("https://[64:ff9b::169.254.169.254]/latest/meta-data/", FORBIDDEN),
    ("https://[fd00:ec2::254]/latest/meta-data/", FORBIDDEN),
    ("https://100.100.100.200/latest/meta-data/", FORBIDDEN),
    ("https://metadata.partner.test/latest/meta-data/", FORBIDDEN),
    ("https://0/hooks", FORBIDDEN),
    ("https://0.0.0.0/hooks", FORBIDDEN),
    ("https://[::]/hooks", FORBIDDEN),
    ("https://[fe80::1]/hooks", FORBIDDEN),
    ("https://224.0.0.1/hooks", FORBIDDEN),
    ("https://[ff02::1]/hooks", FORBIDDEN),
    ("https://255.255.255.255/hooks", FORBIDDEN),
    ("https://240.0.0.1/hooks", FORBIDDEN),
    ("https://198.18.0.1/hooks", FORBIDDEN),
    # One bad address among good ones is enough.
    ("https://mixed.partner.test/hooks", PRIVATE),
    ("https://mixed6.partner.test/hooks", FORBIDDEN),
]


@pytest.fixture
def partner_names(network):
    network.dns.add("loopback.partner.test", "127.0.0.1")
    network.dns.add("loopback6.partner.test", "::1")
    network.dns.add("intranet.partner.test", "10.20.30.40")
    network.dns.add("metadata.partner.test", "169.254.169.254")
    network.dns.add("mixed.partner.test", ["203.0.113.7", "127.0.0.1"])
    network.dns.add("mixed6.partner.test", ["203.0.113.7", "2001:db8::7", "fe80::1"])
    network.dns.add("public.partner.test", ["203.0.113.7", "2001:db8::7"])
    return network


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "kind"), SPELLINGS)
def test_every_spelling_is_refused_at_registration(api, settings, partner_names, url, kind):
    response = subscribe(api, url)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["url"]
    assert "resolve to public internet addresses" in response.json()["url"][0]
    assert WebhookEndpoint.objects.count() == 0

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    response = subscribe(api, url)
    assert response.status_code == (201 if kind is PRIVATE else 400), response.content
    assert partner_names.blocked == [], "registration connects to nothing"


@pytest.mark.django_db
def test_a_public_host_is_accepted_and_plain_http_only_for_private_networks(
    api, settings, partner_names
):
    assert subscribe(api, "https://public.partner.test/hooks").status_code == 201
    for private in (False, True):
        settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = private
        response = subscribe(api, "http://public.partner.test/hooks")
        assert response.status_code == 400
        assert "https://" in response.json()["url"][0]
    assert subscribe(api, "http://intranet.partner.test/hooks").status_code == 201
    assert subscribe(api, "http://mixed.partner.test/hooks").status_code == 400
    assert partner_names.blocked == []


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_answers_as_a_private_one(api, partner_names):
    """The answer must not tell a partner which internal names exist."""
    unknown = subscribe(api, "https://db.partner.test/hooks").json()["url"][0]
    private = subscribe(api, "https://intranet.partner.test/hooks").json()["url"][0]
    assert unknown.replace("db.", "") == private.replace("intranet.", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://partner.example.org:99999/hooks",
        "https://partner.example.org:x/hooks",
        "https://partner.example.org/ho oks",
        "https://partner.example.org/hooks\r\nX-Injected: 1",
        "https:///hooks",
        "file:///etc/passwd",
        "gopher://partner.example.org/",
        "//partner.example.org/hooks",
    ],
)
def test_malformed_urls_are_refused(api, url):
    response = subscribe(api, url)
    assert response.status_code == 400
    assert list(response.json()) == ["url"]


@pytest.mark.django_db
def test_the_admin_cannot_register_or_redirect_an_endpoint(client, network):
    """Endpoints are registered through the API only, which refuses what is above: the
    admin has no add form, and the URL is not a field of its change form."""
    endpoint = endpoint_at("https://partner.example.org/hooks")
    client.force_login(admin_user())
    assert client.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403
    change = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    client.post(change, {"url": "http://127.0.0.1:9/", "description": "x", "active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.url == "https://partner.example.org/hooks"


# --- connection time -----------------------------------------------------------------------


def loopback_spellings(port):
    return [
        f"http://127.0.0.1:{port}/hooks",
        f"http://127.1:{port}/hooks",
        f"http://2130706433:{port}/hooks",
        f"http://0x7f000001:{port}/hooks",
        f"http://0177.0.0.1:{port}/hooks",
        f"http://[::ffff:127.0.0.1]:{port}/hooks",
        f"http://localhost:{port}/hooks",
        f"http://loopback.partner.test:{port}/hooks",
        f"https://loopback.partner.test:{port}/hooks",
    ]


@pytest.mark.django_db
def test_a_local_server_gets_nothing_unless_private_networks_are_admitted(
    settings, partner_names, receiver, django_capture_on_commit_callbacks, caplog
):
    """Endpoints stored earlier (the setting on then, or older rules) in every spelling of
    127.0.0.1: with the setting off, no connection reaches the server, on any attempt."""
    urls = loopback_spellings(receiver.port)
    for url in urls:
        endpoint_at(url)

    with caplog.at_level(logging.WARNING, logger="roadmap_portal.webhooks.services"):
        assert announce("tender.opened:1", django_capture_on_commit_callbacks) == len(urls)

    assert receiver.connections == 0
    assert receiver.requests == []
    assert partner_names.blocked == []
    failed = WebhookDelivery.objects.all()
    assert {(d.status, d.last_error, d.response_code) for d in failed} == {
        ("failed", COULD_NOT_CONNECT, None)
    }
    assert {d.attempts for d in failed} == {settings.WEBHOOK_MAX_RETRIES + 1}
    assert "resolves to 127.0.0.1 (private)" in caplog.text

    # The same endpoints with private networks admitted: each spelling reaches the server
    # (the TLS one connects too, then fails its handshake with a plain-HTTP server).
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    WebhookEndpoint.objects.update(consecutive_failures=0)
    announce("tender.opened:2", django_capture_on_commit_callbacks)
    sent = WebhookDelivery.objects.filter(event_key="tender.opened:2")
    assert sorted(d.endpoint.url for d in sent if d.status == "sent") == sorted(
        u for u in urls if u.startswith("http:")
    )
    assert len(receiver.requests) == len(urls) - 1
    assert receiver.connections >= len(urls)


@pytest.mark.django_db
def test_dns_rebinding_to_loopback_is_refused_at_the_connection(
    api, settings, network, ca, django_capture_on_commit_callbacks, caplog
):
    """Registration sees a public address; the connection's own lookup gets 127.0.0.1 and
    is refused. With the setting on, the same answer is used and reached over TLS: the socket
    goes to the address vetted at the connection, while Host, SNI and the certificate check
    carry the name."""
    with Receiver(tls=tls_context(ca, "rebind.example.org")) as server:
        network.dns.add("rebind.example.org", ["203.0.113.7"], ["127.0.0.1"])
        url = f"https://rebind.example.org:{server.port}/hooks"
        assert subscribe(api, url).status_code == 201

        with caplog.at_level(logging.WARNING, logger="roadmap_portal.webhooks.services"):
            announce("tender.opened:1", django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.last_error) == ("failed", COULD_NOT_CONNECT)
        assert server.connections == 0 and network.blocked == []
        assert "rebind.example.org resolves to 127.0.0.1 (private)" in caplog.text

        settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
        WebhookEndpoint.objects.update(active=True, consecutive_failures=0)
        announce("tender.opened:2", django_capture_on_commit_callbacks)
        assert WebhookDelivery.objects.get(event_key="tender.opened:2").status == "sent"
        assert len(server.requests) == 1
        assert server.requests[0]["headers"]["Host"] == f"rebind.example.org:{server.port}"
        assert server.sni == ["rebind.example.org"]
        assert network.blocked == []


@pytest.mark.django_db
def test_the_connection_goes_to_the_vetted_address_without_a_second_lookup(api, network, receiver):
    """The connection's lookup answers a public address; any later lookup would answer
    127.0.0.1. The socket goes to the public one (stopped before it leaves the machine):
    nothing resolved the name again, and the local server hears nothing."""
    network.dns.add("pinned.example.org", ["203.0.113.7"], ["203.0.113.7"], ["127.0.0.1"])
    url = f"https://pinned.example.org:{receiver.port}/hooks"
    assert subscribe(api, url).status_code == 201

    delivery = deliver_once(WebhookEndpoint.objects.get())
    assert (delivery.status, delivery.last_error) == ("failed", COULD_NOT_CONNECT)
    assert network.blocked == [("203.0.113.7", receiver.port)]
    assert len(network.dns.lookups_of("pinned.example.org")) == 2
    assert receiver.connections == 0


@pytest.mark.django_db
def test_one_refused_address_among_the_answers_refuses_the_connection(api, network, receiver):
    network.dns.add("half.example.org", ["203.0.113.7"], ["203.0.113.7", "127.0.0.1"])
    assert subscribe(api, f"https://half.example.org:{receiver.port}/").status_code == 201
    delivery = deliver_once(WebhookEndpoint.objects.get())
    assert delivery.last_error == COULD_NOT_CONNECT
    assert network.blocked == [] and receiver.connections == 0


@pytest.mark.django_db
def test_plain_http_to_a_public_address_is_refused_at_the_connection(settings, network):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    network.dns.add("moved.example.org", "203.0.113.9")
    delivery = deliver_once(endpoint_at("http://moved.example.org/hooks"))
    assert delivery.last_error == COULD_NOT_CONNECT
    assert network.blocked == []


# --- what a partner is told ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_connection_failure_reads_the_same_to_the_partner(api, settings, network, ca, caplog):
    """A closed port, another closed port, a port that accepts and closes, a port that never
    answers, TLS with the wrong certificate, TLS to a plain HTTP server, a name that does not
    resolve and a refused address: one message in the delivery log (API and admin) and in
    the reason the endpoint was switched off; the difference only in the server log."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_DISABLE_AFTER = 1
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 0  # switched off at the first failure
    network.dns.add("hooks.partner.test", "127.0.0.1")
    network.dns.add("metadata.partner.test", "169.254.169.254")

    hang_up = socket.create_server(("127.0.0.1", 0))
    silent = socket.create_server(("127.0.0.1", 0))

    def accept_and_close():
        while True:
            try:
                conn, _ = hang_up.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept_and_close, daemon=True).start()
    with (
        Receiver(tls=tls_context(ca, "someone-else.test")) as wrong_cert,
        Receiver() as plain,
    ):
        urls = {
            "closed": f"http://127.0.0.1:{closed_port()}/hooks",
            "closed too": f"http://127.0.0.1:{closed_port()}/hooks",
            "hangs up": f"http://127.0.0.1:{hang_up.getsockname()[1]}/hooks",
            "never answers": f"http://127.0.0.1:{silent.getsockname()[1]}/hooks",
            "wrong certificate": f"https://hooks.partner.test:{wrong_cert.port}/hooks",
            "TLS to plain HTTP": f"https://hooks.partner.test:{plain.port}/hooks",
            "does not resolve": "https://gone.partner.test/hooks",
            "refused address": "https://metadata.partner.test/hooks",
        }
        key, api_key = make_key(write=["webhooks"])
        client = key_client(api, key)
        endpoints = {
            what: WebhookEndpoint.objects.create(
                api_key=api_key, url=url, events=["tender.opened"], secret="whsec_test"
            )
            for what, url in urls.items()
        }
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="roadmap_portal.webhooks.services"):
            deliveries = {what: deliver_once(e) for what, e in endpoints.items()}
        assert time.monotonic() - started < 30
        assert wrong_cert.connections == 1 and wrong_cert.requests == []
        assert plain.connections == 1 and plain.requests == []
    hang_up.close()
    silent.close()

    for what, delivery in deliveries.items():
        assert (delivery.status, delivery.response_code, delivery.last_error) == (
            "held",
            None,
            COULD_NOT_CONNECT,
        ), what
        endpoint = WebhookEndpoint.objects.get(pk=endpoints[what].pk)
        assert (endpoint.active, endpoint.disabled_reason) == (False, COULD_NOT_CONNECT), what
        log = client.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/").json()["results"]
        assert [(e["last_error"], e["response_code"]) for e in log] == [(COULD_NOT_CONNECT, None)]
        listed = client.get(f"{WEBHOOKS}{endpoint.pk}/").json()
        assert listed["disabled_reason"] == COULD_NOT_CONNECT

    # The server log keeps what happened, one line per attempt.
    details = [r.getMessage() for r in caplog.records if "could not connect" in r.getMessage()]
    assert len(details) == len(urls)
    expected = {
        "closed": ["ConnectionRefusedError"],
        "closed too": ["ConnectionRefusedError"],
        "hangs up": ["BrokenPipeError", "RemoteDisconnected", "ConnectionResetError"],
        "never answers": ["TimeoutError: timed out"],
        "wrong certificate": ["SSLCertVerificationError", "Hostname mismatch"],
        "TLS to plain HTTP": ["SSLError"],
        "does not resolve": ["gone.partner.test does not resolve"],
        "refused address": ["169.254.169.254 (forbidden)"],
    }
    for what, url in urls.items():
        (line,) = [d for d in details if f" to {url} " in d]
        assert any(token in line for token in expected[what]), (what, line)
    assert network.blocked == []


@pytest.mark.django_db
def test_the_admin_delivery_log_shows_the_partner_message_only(client, settings, network):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    delivery = deliver_once(endpoint_at(f"http://127.0.0.1:{closed_port()}/hooks"))
    client.force_login(admin_user())
    for page in (
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]),
        reverse("admin:webhooks_webhookendpoint_change", args=[delivery.endpoint_id]),
    ):
        html = client.get(page).content.decode()
        assert COULD_NOT_CONNECT in html
        assert "refused" not in html.lower() and "errno" not in html.lower()


@pytest.mark.django_db
def test_an_http_answer_is_still_shown_with_its_code(settings, network):
    """An answer comes from the partner's own server: its code is the partner's to see."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True

    class Teapot(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(418)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Teapot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        delivery = deliver_once(endpoint_at(f"http://127.0.0.1:{server.server_address[1]}/"))
    finally:
        server.shutdown()
        server.server_close()
    assert (delivery.response_code, delivery.last_error) == (418, "HTTP 418")


def test_destinations_keep_the_path_and_query_and_drop_the_fragment():
    destination = destinations.parse_destination("https://Partner.Example.org/a/b?x=1&y=2#frag")
    assert destination == destinations.Destination(
        scheme="https", host="partner.example.org", port=443, target="/a/b?x=1&y=2"
    )
