"""Datasheets: PDF only, size-limited, stored under generated names, scoped downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from suppliers.models import OfferAttachment

from .conftest import PDF_BYTES, make_offer

pytestmark = pytest.mark.django_db


def upload(client, offer, content=PDF_BYTES, name="datasheet.pdf"):
    return client.post(
        f"/api/v1/offers/{offer.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        format="multipart",
    )


def test_upload_list_and_download(api_as, world):
    offer = make_offer(world)
    client = api_as(world.member)
    response = upload(client, offer, name="../../etc/AIR-250.pdf")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["original_name"] == "AIR-250.pdf" and body["size"] == len(PDF_BYTES)
    attachment = OfferAttachment.objects.get(pk=body["id"])
    assert attachment.file.name.startswith(f"offers/{offer.pk}/")
    assert "AIR-250" not in attachment.file.name  # stored under a generated name
    listing = client.get(f"/api/v1/offers/{offer.pk}/attachments/").json()
    assert [row["id"] for row in listing["results"]] == [attachment.pk]
    download = client.get(f"/api/v1/offers/{offer.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF_BYTES
    offer_row = client.get(f"/api/v1/offers/{offer.pk}/").json()
    assert offer_row["attachments"][0]["id"] == attachment.pk


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"PK\x03\x04 a zip, not a pdf", "not a PDF"), (b"", "empty")],
)
def test_bad_uploads_are_rejected_with_clear_errors(api_as, world, content, message):
    offer = make_offer(world)
    response = upload(api_as(world.member), offer, content=content, name="sheet.pdf")
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not OfferAttachment.objects.exists()


def test_oversize_upload_is_rejected(api_as, world, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    offer = make_offer(world)
    response = upload(api_as(world.member), offer, content=b"%PDF-" + b"x" * 2048)
    assert response.status_code == 400
    assert "limit" in response.json()["file"][0]
    assert not OfferAttachment.objects.exists()


def test_attachments_change_only_on_drafts_and_only_by_the_supplier(api_as, world):
    submitted = make_offer(world, status="submitted")
    assert upload(api_as(world.member), submitted).status_code == 409
    assert upload(api_as(world.staff), submitted).status_code == 403
    draft = make_offer(world, supplier=world.neighbour)
    assert upload(api_as(world.member), draft).status_code == 404


def test_download_by_another_supplier_is_404(api_as, client, world):
    offer = make_offer(world)
    attachment_id = upload(api_as(world.member), offer).json()["id"]
    api_url = f"/api/v1/offers/{offer.pk}/attachments/{attachment_id}/"
    web_url = reverse("suppliers:attachment-download", args=[offer.pk, attachment_id])
    assert api_as(world.neighbour_member).get(api_url).status_code == 404
    client.force_login(world.neighbour_member)
    assert client.get(web_url).status_code == 404
    # A draft's datasheet is the supplier's until submitted; then region staff may read it.
    assert api_as(world.staff).get(api_url).status_code == 404
    offer.status = "submitted"
    offer.save()
    assert api_as(world.staff).get(api_url).status_code == 200
    assert api_as(world.kaluga_staff).get(api_url).status_code == 404
    # The id must belong to the offer in the URL.
    other = make_offer(world, status="submitted")
    assert (
        api_as(world.staff)
        .get(f"/api/v1/offers/{other.pk}/attachments/{attachment_id}/")
        .status_code
        == 404
    )


def test_web_upload_shows_errors_as_messages(client, world):
    offer = make_offer(world)
    client.force_login(world.member)
    url = reverse("suppliers:attachment-upload", args=[offer.pk])
    response = client.post(url, {"file": SimpleUploadedFile("x.pdf", b"GIF89a")}, follow=True)
    assert "not a PDF" in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("spec.pdf", PDF_BYTES)}, follow=True)
    assert "spec.pdf" in response.content.decode()
    attachment = OfferAttachment.objects.get()
    download = client.get(reverse("suppliers:attachment-download", args=[offer.pk, attachment.pk]))
    assert download.status_code == 200
    assert 'filename="spec.pdf"' in download["Content-Disposition"]
    delete = reverse("suppliers:attachment-delete", args=[offer.pk, attachment.pk])
    client.post(delete)
    assert not OfferAttachment.objects.exists()
