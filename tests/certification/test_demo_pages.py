"""Every certification page renders for the demo's people (no 500s on real data)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from certification.models import Certificate
from suppliers.models import Offer
from suppliers.pipeline import CORPORATE
from tests.demo_data import load_demo

pytestmark = pytest.mark.django_db


def test_demo_pages_render_for_every_role(client):
    load_demo()
    users = get_user_model().objects
    pages = {
        "gazprom.reviewer": ["queue", "requirement-list", "register", "certificate-list"],
        "interrao.reviewer": ["queue", "requirement-list", "register"],
        "intergazcert.officer": ["officer-queue", "certificate-list", "certificate-issue"],
        "kaluga.maker": ["certificate-list", "register"],
        "admin": ["queue", "register", "certificate-list"],
    }
    for username, names in pages.items():
        client.force_login(users.get(username=username))
        for name in names:
            response = client.get(reverse(f"certification:{name}"))
            assert response.status_code == 200, (username, name, response.status_code)
    client.force_login(users.get(username="gazprom.reviewer"))
    queue = client.get(reverse("certification:queue"))
    assert queue.context["total"] > 0
    # The review page opens the corporate stages; earlier stages are not the reviewer's yet.
    offers = Offer.objects.filter(roadmap__corporation__short_name="Газпром")
    assert {o.status in CORPORATE for o in offers} == {True, False}
    for offer in offers:
        response = client.get(reverse("certification:review", args=[offer.pk]))
        expected = 200 if offer.status in CORPORATE else 404
        assert response.status_code == expected, offer.status
    client.force_login(users.get(username="intergazcert.officer"))
    for certificate in Certificate.objects.all():
        response = client.get(reverse("certification:certificate-detail", args=[certificate.pk]))
        assert response.status_code == 200
        assert (
            client.get(
                reverse("certification:certificate-renew", args=[certificate.pk])
            ).status_code
            == 200
        )
    assert Certificate.objects.filter(status="expired").exists()
    client.force_login(users.get(username="interrao.reviewer"))
    gazprom_offer = Offer.objects.filter(roadmap__corporation__short_name="Газпром").first()
    assert client.get(reverse("certification:review", args=[gazprom_offer.pk])).status_code == 404
