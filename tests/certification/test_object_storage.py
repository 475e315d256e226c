"""Object storage: with S3_BUCKET set, datasheets, test protocols, certificate scans and
built reports go to the bucket (a local S3-compatible server, moto's server mode, started
here on a free port), not to MEDIA_ROOT, and come back only through the scoped views."""

import runpy
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from certification import services
from roadmap_portal.models import Report
from roadmap_portal.storage import PrivateS3Storage
from suppliers.models import OfferAttachment
from tests.certification.conftest import PDF, make_offer, pdf_file
from tests.factories import CertificateFactory, OfferFactory

pytestmark = pytest.mark.django_db

SETTINGS = Path(__file__).resolve().parents[2] / "roadmap_portal" / "settings.py"
KEY, SECRET, REGION = "portal-test-key", "portal-test-secret", "eu-central-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path, request) -> Iterator[object]:
    """A fresh bucket, and the STORAGES the portal's own settings make of the S3_* variables."""
    name = f"portal-{request.node.name.replace('_', '-')[:40].lower()}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    for variable, value in {
        "S3_BUCKET": name,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": KEY,
        "S3_SECRET_ACCESS_KEY": SECRET,
    }.items():
        monkeypatch.setenv(variable, value)
    configured = runpy.run_path(str(SETTINGS))
    settings.STORAGES = configured["STORAGES"]
    settings.MEDIA_ROOT = tmp_path / "media"
    yield client, name


def _keys(client, name) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", []))


def _body(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert response["Content-Length"] == str(len(data))
    return data


def test_settings_make_a_private_s3_storage_only_when_a_bucket_is_named(bucket, monkeypatch):
    client, name = bucket
    options = runpy.run_path(str(SETTINGS))["STORAGES"]["default"]
    assert options["BACKEND"] == "roadmap_portal.storage.PrivateS3Storage"
    assert options["OPTIONS"]["bucket_name"] == name
    monkeypatch.delenv("S3_BUCKET")
    local = runpy.run_path(str(SETTINGS))["STORAGES"]["default"]
    assert local == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_uploads_and_reports_live_in_the_bucket_and_come_back_through_scoped_views(
    bucket, world, api_as, client, settings, django_capture_on_commit_callbacks
):
    s3, name = bucket
    datasheet = PDF.replace(b"Catalog", b"Catalog /Datasheet")
    scan = PDF.replace(b"Catalog", b"Catalog /Scan")
    protocol = PDF.replace(b"Catalog", b"Catalog /Protocol")

    # A datasheet through the API, a certificate scan through the API, a protocol by the service.
    offer = OfferFactory(supplier=world.supplier, roadmap=world.gaz_roadmap)
    uploaded = api_as(world.member).post(
        f"/api/v1/offers/{offer.pk}/attachments/",
        {"file": pdf_file("datasheet.pdf", datasheet)},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    attachment = OfferAttachment.objects.get(pk=uploaded.json()["id"])
    certificate = CertificateFactory(body=world.body, supplier=world.supplier)
    attached = api_as(world.officer).post(
        f"/api/v1/certificates/{certificate.pk}/scan/",
        {"scan": pdf_file("scan.pdf", scan)},
        format="multipart",
    )
    assert attached.status_code == 200, attached.content
    certificate.refresh_from_db()
    tested = make_offer(world, status="readiness_confirmed")
    test = services.product_test_record(
        offer_id=tested.pk,
        user=world.gaz_reviewer,
        kind="pilot",
        started_on=timezone.localdate(),
        result="passed",
        protocol=pdf_file("protocol.pdf", protocol),
    )

    # A report built by its task (eager here) after the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        requested = api_as(world.staff).post(
            "/api/v1/reports/", {"roadmap": world.gaz_roadmap.pk, "year": 2020}, format="json"
        )
    assert requested.status_code == 202, requested.content
    report = Report.objects.get(pk=requested.json()["id"])
    assert report.status == "done", report.message

    assert isinstance(attachment.file.storage, PrivateS3Storage)
    assert _keys(s3, name) == sorted(
        [attachment.file.name, certificate.scan.name, test.protocol.name, report.pdf.name]
    )
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))
    stored = s3.get_object(Bucket=name, Key=report.pdf.name)["Body"].read()
    assert stored.startswith(b"%PDF-")

    # Each comes back, whole, through its scoped views, API and page.
    attachment_api = f"/api/v1/offers/{offer.pk}/attachments/{attachment.pk}/"
    assert _body(api_as(world.member).get(attachment_api)) == datasheet
    client.force_login(world.member)
    page = reverse("suppliers:attachment-download", args=[offer.pk, attachment.pk])
    assert _body(client.get(page)) == datasheet
    assert _body(api_as(world.member).get(f"/api/v1/certificates/{certificate.pk}/scan/")) == scan
    assert _body(api_as(world.member).get(f"/api/v1/tests/{test.pk}/protocol/")) == protocol
    client.force_login(world.staff)
    assert _body(client.get(reverse("report-pdf", args=[report.pk]))) == stored
    assert _body(api_as(world.staff).get(f"/api/v1/reports/{report.pk}/pdf/")) == stored

    # Out of scope: 404, as on local disk; no answer names the bucket or signs a URL.
    assert api_as(world.other_member).get(attachment_api).status_code == 404
    assert (
        api_as(world.other_member).get(f"/api/v1/certificates/{certificate.pk}/scan/").status_code
        == 404
    )
    client.force_login(world.irao_reviewer)
    assert client.get(reverse("certification:test-protocol", args=[test.pk])).status_code == 404
    for answer in (uploaded, attached, requested):
        assert name not in answer.content.decode() and "Signature" not in answer.content.decode()
    assert certificate.scan.url == f"/media/{certificate.scan.name}"


def test_a_file_missing_from_the_bucket_is_404(bucket, world, api_as):
    s3, name = bucket
    offer = OfferFactory(supplier=world.supplier, roadmap=world.gaz_roadmap)
    uploaded = api_as(world.member).post(
        f"/api/v1/offers/{offer.pk}/attachments/", {"file": pdf_file()}, format="multipart"
    )
    attachment = OfferAttachment.objects.get(pk=uploaded.json()["id"])
    s3.delete_object(Bucket=name, Key=attachment.file.name)
    url = f"/api/v1/offers/{offer.pk}/attachments/{attachment.pk}/"
    assert api_as(world.member).get(url).status_code == 404


def test_a_pending_import_is_kept_in_the_bucket_until_confirmed(bucket, world, settings):
    from django.test import Client

    from suppliers.models import Offer
    from tests.suppliers.import_files import product_row, xlsx_bytes

    s3, name = bucket
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.member)
    upload = SimpleUploadedFile("products.xlsx", xlsx_bytes([product_row(n) for n in (1, 2, 3)]))
    response = client.post(
        "/suppliers/offers/import/", {"roadmap": world.gaz_roadmap.pk, "file": upload}
    )
    assert response.status_code == 302, response.content
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert _keys(s3, name) == [f"imports/{token}.json", f"imports/{token}.upload"]
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))
    assert 'id="confirm-import"' in client.get(response["Location"]).content.decode()
    confirm = client.post(response["Location"] + "confirm/")
    assert confirm.status_code == 302
    assert Offer.objects.filter(supplier=world.supplier).count() == 3
    assert _keys(s3, name) == []
