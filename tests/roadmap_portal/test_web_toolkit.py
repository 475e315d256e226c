"""The HTML pages' toolkit (roadmap_portal/web.py): one pagination, a service's errors on a
form, Bootstrap's classes, and the domain's errors that the middleware answers."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import resolve, reverse
from rest_framework.exceptions import ValidationError as DRFValidationError

from roadmap_portal.exceptions import TransitionNotAllowed
from roadmap_portal.web import (
    BootstrapFormMixin,
    DomainExceptionMiddleware,
    apply_service_errors,
    form_status,
    is_refused,
    paginate,
    refusal_kept,
    service_errors_on,
)
from suppliers.models import Supplier
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db


class SampleForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label="Name")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B")])
    agreed = forms.BooleanField(label="Agreed", required=False)
    mood = forms.ChoiceField(label="Mood", choices=[("x", "X")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(
        label="Tags", choices=[("t", "T")], widget=forms.CheckboxSelectMultiple, required=False
    )

    service_errors = {"too_late": ("name", "“%(label)s” came too late.")}


def _get(path="/suppliers/organisations/", **params):
    return RequestFactory().get(path, params)


def _suppliers(n):
    for _ in range(n):
        SupplierFactory()
    return Supplier.objects.order_by("id")


def test_a_page_has_the_default_size():
    page = paginate(_get(), _suppliers(30))
    assert len(page.object_list) == 25


def test_a_page_size_of_the_list_sizes_is_taken():
    page = paginate(_get(page_size="50"), _suppliers(30), sizes=(25, 50))
    assert page.size == 50


@pytest.mark.parametrize("asked", ["7", "many"])
def test_a_page_size_outside_the_sizes_falls_back_to_the_first(asked):
    page = paginate(_get(page_size=asked), _suppliers(1), sizes=(25, 50))
    assert page.size == 25


def test_a_list_without_size_choice_ignores_the_page_size():
    page = paginate(_get(page_size="50"), _suppliers(30))
    assert page.size == 25


def test_a_page_past_the_end_is_the_last():
    page = paginate(_get(page="9"), _suppliers(30))
    assert page.number == 2


def test_the_query_keeps_the_filters_without_page_and_export():
    page = paginate(_get(status="x", page="2", export="csv", page_size="50"), _suppliers(1))
    assert page.query == "status=x&page_size=50"


def test_the_size_links_drop_the_page_size_too():
    page = paginate(_get(status="x", page="2", page_size="50"), _suppliers(1))
    assert page.size_query == "status=x"


def test_ids_first_pages_the_same_rows_in_the_same_order():
    rows = _suppliers(30)
    plain = paginate(_get(page="2"), rows)
    by_ids = paginate(_get(page="2"), rows, ids_first=True)
    assert [s.pk for s in by_ids] == [s.pk for s in plain]


def test_widgets_get_bootstraps_classes():
    form = SampleForm()
    classes = {name: form.fields[name].widget.attrs.get("class") for name in form.fields}
    assert classes == {
        "name": "form-control",
        "kind": "form-select",
        "agreed": "form-check-input",
        "mood": "form-check-input",
        "tags": "form-check-input",
    }


def test_a_field_with_an_error_is_marked_invalid():
    form = SampleForm({"kind": "a", "mood": "x"})
    form.is_valid()
    assert "is-invalid" in form.fields["name"].widget.attrs["class"].split()


def test_a_group_of_radios_points_at_its_error():
    form = SampleForm({"name": "n", "kind": "a"})
    form.is_valid()
    assert form.fields["mood"].widget.attrs["aria-describedby"] == "id_mood_error"


def _bound():
    form = SampleForm({"name": "n", "kind": "a", "mood": "x"})
    assert form.is_valid()
    return form


def test_a_service_error_lands_on_its_field():
    form = _bound()
    apply_service_errors(form, ValidationError({"kind": "Not this kind."}))
    assert form.errors["kind"] == ["Not this kind."]


def test_a_service_error_of_an_unknown_key_is_above_the_form():
    form = _bound()
    apply_service_errors(form, ValidationError({"supplier": "Not yours."}))
    assert form.non_field_errors() == ["Not yours."]


def test_a_service_error_follows_the_views_mapping():
    form = _bound()
    apply_service_errors(form, ValidationError({"title": "Too long."}), {"title": "name"})
    assert form.errors["name"] == ["Too long."]


def test_a_service_error_is_placed_by_its_code():
    form = _bound()
    apply_service_errors(form, ValidationError({"data": ValidationError("x", code="too_late")}))
    assert form.errors["name"] == ["“Name” came too late."]


def test_a_service_error_without_a_field_is_above_the_form():
    form = _bound()
    apply_service_errors(form, ValidationError("Closed for today."))
    assert form.non_field_errors() == ["Closed for today."]


def test_a_drf_error_lands_on_its_field():
    form = _bound()
    apply_service_errors(form, DRFValidationError({"kind": ["Not this kind."]}))
    assert form.errors["kind"] == ["Not this kind."]


def test_a_drf_error_list_is_above_the_form():
    form = _bound()
    apply_service_errors(form, DRFValidationError(["Closed for today."]))
    assert form.non_field_errors() == ["Closed for today."]


class NoteForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label="Note", required=False)


def _note(text):
    form = NoteForm({"note": text})
    assert form.is_valid()
    return form


def test_a_refused_step_with_typed_text_is_above_the_form_and_409():
    form = _note("Typed by hand")
    with service_errors_on(form):
        raise TransitionNotAllowed("Someone else moved it.")
    assert form.non_field_errors() == ["Someone else moved it."]
    assert (is_refused(form), form_status(form)) == (True, 409)
    assert form["note"].value() == "Typed by hand"


def test_a_refused_step_with_nothing_typed_goes_on_to_the_middleware():
    form = _note("")
    with pytest.raises(TransitionNotAllowed), refusal_kept(form):
        raise TransitionNotAllowed("Someone else moved it.")
    assert (is_refused(form), form_status(form)) == (False, 200)


def test_a_service_error_inside_the_block_is_on_the_form_and_400():
    form = _note("Typed by hand")
    with service_errors_on(form):
        raise ValidationError({"note": "Too vague."})
    assert (form.errors["note"], form_status(form)) == (["Too vague."], 400)


def test_the_page_of_several_forms_is_409_when_one_was_refused():
    refused, invalid = _note("Typed by hand"), NoteForm({"note": "x"})
    with refusal_kept(refused):
        raise TransitionNotAllowed()
    invalid.is_valid()
    invalid.add_error("note", "Too short.")
    assert form_status(invalid, refused, None) == 409
    assert form_status(invalid, None) == 400
    assert form_status(None) == 200


def test_the_middleware_leaves_the_api_to_drf():
    middleware = DomainExceptionMiddleware(lambda request: None)
    request = RequestFactory().post("/api/v1/tenders/1/transition/")
    assert middleware.process_exception(request, TransitionNotAllowed()) is None


def test_a_refused_step_returns_to_the_views_page_with_its_object_only():
    """``certification:review-register`` takes ``pk`` and ``action``; its ``back_to`` page,
    the review, takes ``pk`` alone."""
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = RequestFactory().post(
        reverse("certification:review-register", kwargs={"pk": 7, "action": "exclude"})
    )
    request.resolver_match = resolve(request.path_info)
    request.session = {}
    request._messages = FallbackStorage(request)
    response = DomainExceptionMiddleware(lambda r: None).process_exception(
        request, TransitionNotAllowed()
    )
    assert response["Location"] == reverse("certification:review", kwargs={"pk": 7})
