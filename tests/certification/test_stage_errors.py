"""A stage form of the review page that cannot be recorded says which field to fill in by
the field's label, in the reader's language, and marks that field: ``is-invalid`` for the
eye, ``aria-invalid`` and ``aria-describedby`` (pointing at the message) for a screen
reader. Nothing is recorded."""

import datetime
import re

import pytest
from django.urls import reverse

from certification import services
from certification.models import ProductTest, ReadinessEvaluation
from tests.certification.conftest import make_offer

pytestmark = pytest.mark.django_db


def tag(html: str, pattern: str) -> str:
    """The one opening tag that matches ``pattern``."""
    found = re.findall(rf"<(?:input|textarea|select)\b[^>]*{pattern}[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


def error_text(html: str, field_id: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback d-block" id="{field_id}_error">(.*?)</div></div>',
        html,
        re.S,
    )
    assert match, f"no error element {field_id}_error"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def post_in(client, language: str, url: str, data: dict) -> str:
    client.cookies["django_language"] = language
    response = client.post(url, data)
    assert response.status_code == 400
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "findings_error", "capacity_error"),
    [
        (
            "en",
            "Fill in “Findings” to confirm readiness.",
            "Tick “Production capacity confirmed” to confirm readiness.",
        ),
        (
            "ru",
            "Заполните поле «Выводы», чтобы подтвердить готовность.",
            "Отметьте «Производственные мощности подтверждены», чтобы подтвердить готовность.",
        ),
    ],
)
def test_confirming_readiness_without_findings_names_and_marks_the_fields(
    world, client, language, findings_error, capacity_error
):
    offer = make_offer(world, status="requirements_met")
    client.force_login(world.gaz_reviewer)
    html = post_in(
        client,
        language,
        reverse("certification:review-readiness", args=[offer.pk]),
        {"decision": "confirm_readiness", "findings": "  "},
    )

    assert error_text(html, "id_findings") == findings_error
    findings = tag(html, 'name="findings"')
    assert re.search(r'class="[^"]*\bis-invalid\b', findings)
    assert 'aria-invalid="true"' in findings
    assert 'aria-describedby="id_findings_helptext id_findings_error"' in findings

    assert error_text(html, "id_capacity_confirmed") == capacity_error
    capacity = tag(html, 'name="capacity_confirmed"')
    assert re.search(r'class="[^"]*\bis-invalid\b', capacity)
    assert 'aria-invalid="true"' in capacity
    assert (
        'aria-describedby="id_capacity_confirmed_helptext id_capacity_confirmed_error"' in capacity
    )

    # The internal names of the API appear in no message.
    assert "“findings”" not in html and "«findings»" not in html
    # A field without an error stays unmarked.
    assert "is-invalid" not in tag(html, 'name="site_visit_on"')
    assert not ReadinessEvaluation.objects.filter(offer=offer).exists()
    offer.refresh_from_db()
    assert offer.status == "requirements_met"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "“Decision”: no test is recorded yet. Record the test above, then decide."),
        (
            "ru",
            "«Решение»: испытания ещё не записаны. Запишите испытание выше, затем примите решение.",
        ),
    ],
)
def test_tests_passed_without_a_test_names_and_marks_the_decision(world, client, language, message):
    offer = make_offer(world, status="readiness_confirmed")
    client.force_login(world.gaz_reviewer)
    html = post_in(
        client,
        language,
        reverse("certification:review-tests-decision", args=[offer.pk]),
        {"decision": "pass_tests"},
    )

    assert error_text(html, "id_decision") == message
    # Not the API's wording, which names its key “test”.
    assert "(“test”)" not in html and "(«test»)" not in html
    radios = re.findall(r'<input type="radio" name="decision"[^>]*>', html)
    assert len(radios) == 2
    for radio in radios:
        assert re.search(r'class="[^"]*\bis-invalid\b', radio)
        assert 'aria-invalid="true"' in radio
        assert 'aria-describedby="id_decision_error"' in radio
    assert not ProductTest.objects.filter(offer=offer).exists()
    offer.refresh_from_db()
    assert offer.status == "readiness_confirmed"


def test_rejecting_without_a_comment_names_and_marks_the_comment(world, client):
    offer = make_offer(world, status="requirements_met")
    client.force_login(world.gaz_reviewer)
    html = post_in(
        client,
        "en",
        reverse("certification:review-readiness", args=[offer.pk]),
        {"decision": "reject", "comment": ""},
    )
    assert (
        error_text(html, "id_comment") == "Fill in “Comment”: the supplier reads it as the reason."
    )
    comment = tag(html, 'name="comment"')
    assert re.search(r'class="[^"]*\bis-invalid\b', comment)
    # The help text and the error both describe the field.
    assert 'aria-describedby="id_comment_helptext id_comment_error"' in comment
    offer.refresh_from_db()
    assert offer.status == "requirements_met"


def test_the_queue_button_opens_rather_than_naming_a_tender_status(world, client):
    make_offer(world)
    client.force_login(world.gaz_reviewer)
    client.cookies["django_language"] = "ru"
    html = client.get(reverse("certification:queue")).content.decode()
    buttons = re.findall(
        r'<a class="btn btn-sm btn-outline-primary" href="[^"]*">([^<]*)</a>', html
    )
    assert buttons == ["Открыть"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Supplier: Enter a number."), ("ru", "Поставщик: Введите число.")],
)
def test_a_queue_filter_error_names_the_filter_by_its_label(world, client, language, expected):
    client.force_login(world.gaz_reviewer)
    client.cookies["django_language"] = language
    html = client.get(reverse("certification:queue"), {"supplier": "abc"}).content.decode()
    footer = re.search(r'<div class="card-footer text-danger small">(.*?)</div>', html, re.S)
    assert footer and footer.group(1).strip() == expected


def test_tests_passed_after_a_failed_test_names_the_decision_and_the_failed_test(world, client):
    offer = make_offer(world, status="readiness_confirmed")
    services.product_test_record(
        offer_id=offer.pk,
        user=world.gaz_reviewer,
        kind="bench",
        started_on=datetime.date(2026, 2, 5),
        finished_on=None,
        result="failed",
        remarks="",
        protocol=None,
    )
    client.force_login(world.gaz_reviewer)
    html = post_in(
        client,
        "ru",
        reverse("certification:review-tests-decision", args=[offer.pk]),
        {"decision": "pass_tests"},
    )
    assert error_text(html, "id_decision") == (
        "«Решение»: последние испытания (Стендовые испытания) не пройдены. "
        "Выберите «Испытания не пройдены» или запишите повторное испытание выше."
    )
    offer.refresh_from_db()
    assert offer.status == "readiness_confirmed"
