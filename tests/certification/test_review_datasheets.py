"""The review page shows the supplier's datasheets, each downloading through the scoped view."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suppliers.services import offer_attachment_add
from tests.factories import OfferFactory

from .conftest import PDF, advance, make_offer

pytestmark = pytest.mark.django_db


def attach(w, offer, name):
    """A datasheet added by the supplier's member while the offer was a draft."""
    return offer_attachment_add(
        offer_id=offer.pk,
        user=w.member,
        upload=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
    )


def draft_with_datasheets(w, *names):
    """A forwarded offer whose draft carried the datasheets ``names``, in that order."""
    offer = OfferFactory(supplier=w.supplier, roadmap=w.gaz_roadmap, okpd2="28.14.11.000")
    attachments = [attach(w, offer, name) for name in names]
    return advance(w, offer, "forwarded"), attachments


def test_the_review_page_links_each_datasheet_and_the_link_downloads_it(client, world):
    offer, (first, second) = draft_with_datasheets(world, "AIR-80 datasheet.pdf", "Curves.pdf")
    client.force_login(world.gaz_reviewer)

    page = client.get(f"/certification/review/{offer.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="review-datasheets"' in html
    first_url = f"/suppliers/offers/{offer.pk}/attachments/{first.pk}/"
    second_url = f"/suppliers/offers/{offer.pk}/attachments/{second.pk}/"
    assert f'href="{first_url}"' in html
    assert f'href="{second_url}"' in html
    assert html.index("AIR-80 datasheet.pdf") < html.index("Curves.pdf")
    download = client.get(first_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "AIR-80 datasheet.pdf" in download["Content-Disposition"]


def test_the_review_page_shows_no_datasheet_card_when_none_is_attached(client, world):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)

    page = client.get(f"/certification/review/{offer.pk}/")

    assert page.status_code == 200
    assert 'id="review-datasheets"' not in page.content.decode()


def test_another_corporations_reviewer_reaches_neither_the_page_nor_the_datasheet(client, world):
    offer, (attachment,) = draft_with_datasheets(world, "AIR-80.pdf")
    client.force_login(world.irao_reviewer)

    assert client.get(f"/certification/review/{offer.pk}/").status_code == 404
    url = f"/suppliers/offers/{offer.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 404
