"""Error answers under /api/ are JSON whatever went wrong or was asked for."""

import pytest

from tests.factories import admin_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/api/v1/no-such-thing/", "/api/v1/offers/not-a-number/", "/api/v1/certificates/%C2%84/scan/"],
)
def test_an_unknown_api_url_is_a_json_404(client, url):
    client.force_login(admin_user())
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_site_page_that_is_missing_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "url", ["/api/v1/reports/999999/pdf/?format=pdf", "/api/v1/offers/999999/attachments/1/"]
)
def test_a_pdf_download_that_fails_answers_json(api, url):
    api.force_authenticate(admin_user())
    response = api.get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
