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


def test_an_unknown_api_url_is_json_in_development_too(client, settings):
    settings.DEBUG = True
    client.force_login(admin_user())
    response = client.get("/api/v1/nope/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_endpoint_without_its_slash_is_redirected_to_it(client):
    client.force_login(admin_user())
    response = client.get("/api/v1/tenders?status=open")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/tenders/?status=open"


def test_a_field_error_is_always_a_list_of_messages(api):
    api.force_authenticate(admin_user())
    from tests.factories import TenderFactory

    response = api.get(f"/api/v1/tenders/{TenderFactory().pk}/eligibility/")
    assert response.status_code == 400
    assert isinstance(response.json()["supplier"], list)


def test_a_missing_object_names_no_model(api):
    api.force_authenticate(admin_user())
    response = api.get("/api/v1/tenders/999999/eligibility/?supplier=1")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_mode_other_than_cursor_is_400(api):
    api.force_authenticate(admin_user())
    response = api.get("/api/v1/register/?mode=bogus")
    assert response.status_code == 400
    assert "mode" in response.json()


def test_the_api_root_lists_every_resource(api):
    api.force_authenticate(admin_user())
    root = api.get("/api/v1/").json()
    for name in ("register", "tenders", "offers", "contracts", "webhooks", "ocds/releases"):
        assert root[name].endswith(f"/api/v1/{name}/"), name


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_write_to_an_unknown_api_url_with_a_session_is_a_json_404(method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user())
    response = getattr(client, method)("/api/v1/webhooks/%C2%84/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
