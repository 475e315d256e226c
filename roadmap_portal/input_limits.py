"""What any request may carry: no NUL character, no value past a documented length, no JSON
nested past a documented depth. One set of rules, applied at three doors:

* HTML forms and query strings: ``InputLimitsMiddleware`` answers 400 naming the field
  before any view runs (a view that reads ``request.POST`` itself is covered too);
* API JSON bodies: ``roadmap_portal.api.parsers.LimitedJSONParser`` raises a 400 field
  error while parsing, nested values included (``data.requirements[0].note``);
* free-text fields: ``FreeTextField`` (every model ``TextField`` a serializer maps, and the
  free-text ``CharField``s of request serializers) and ``FreeTextLimitMixin`` for forms cap
  them at ``INPUT_TEXT_MAX_LENGTH``; services that take text straight from a view check it
  with ``check_free_text`` and ``check_json_value``.

The maxima are settings (``roadmap_portal/settings.py``, README "Configuration"):
``INPUT_TEXT_MAX_LENGTH`` for every free-text field (comments, descriptions, reasons,
remarks, findings, signatories, sources), ``INPUT_VALUE_MAX_LENGTH`` for any single value of
a request, ``INPUT_JSON_MAX_DEPTH`` for nesting. PostgreSQL cannot store a NUL in text or
``jsonb`` at all, which is why a NUL was a server error before these checks.
"""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from rest_framework import serializers

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def text_max_length() -> int:
    return settings.INPUT_TEXT_MAX_LENGTH


def nul_message(path: str) -> str:
    return _("%(field)s contains a NUL character (\\0), which is not allowed.") % {"field": path}


def too_long_message(path: str, length: int, limit: int) -> str:
    return _("%(field)s is %(length)d characters long; the limit is %(limit)d.") % {
        "field": path,
        "length": length,
        "limit": limit,
    }


def too_deep_message(path: str, limit: int) -> str:
    return _("%(field)s is nested more than %(limit)d levels deep.") % {
        "field": path,
        "limit": limit,
    }


def text_problem(path: str, text: str, *, limit: int | None = None) -> str | None:
    """Why ``text`` (the value or key at ``path``) is refused, or None."""
    if "\x00" in text:
        return nul_message(path)
    limit = settings.INPUT_VALUE_MAX_LENGTH if limit is None else limit
    if len(text) > limit:
        return too_long_message(path, len(text), limit)
    return None


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def json_problems(value: Any, path: str = "", *, text_limit: int | None = None) -> Iterator:
    """(top-level field, message) for each refused string, key or nesting in a JSON value.

    Walks with its own stack: a body nested a million levels deep is refused, not a
    ``RecursionError``.
    """
    max_depth = settings.INPUT_JSON_MAX_DEPTH
    stack = [(path, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        top = where.split(".", 1)[0].split("[", 1)[0] or "non_field_errors"
        if isinstance(item, str):
            problem = text_problem(where or "value", item, limit=text_limit)
            if problem:
                yield top, problem
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                yield top, too_deep_message(where or "body", max_depth)
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    problem = text_problem(_child(where, key), key)
                    if problem:
                        yield (key if not where else top), problem
                        continue
                stack.append((_child(where, key), child, depth + 1))


def check_json_value(value: Any, *, field: str) -> None:
    """Django ValidationError ``{field: [...]}`` for a JSON value a service is given (its
    strings are free text)."""
    problems = [
        message for _top, message in json_problems(value, field, text_limit=text_max_length())
    ]
    if problems:
        raise ValidationError({field: problems[:1]})


def check_free_text(value: str | None, *, field: str) -> None:
    """Django ValidationError ``{field: [...]}`` for free text past ``INPUT_TEXT_MAX_LENGTH``
    or holding a NUL: the rule services apply to text a view hands them unparsed."""
    problem = text_problem(field, value or "", limit=text_max_length())
    if problem:
        raise ValidationError({field: [problem]})


# --- forms and query strings -----------------------------------------------------------


def _query_problem(data) -> tuple[str, str] | None:
    for key, values in data.lists():
        problem = text_problem(key, key)
        if problem:
            return key, problem
        for value in values:
            problem = text_problem(key, value)
            if problem:
                return key, problem
    return None


class InputLimitsMiddleware:
    """400 naming the field for a NUL or an over-long value in a query string or an HTML
    form, before any view. The API's JSON bodies are checked by its parser, and its forms by
    its serializers, so that each endpoint answers in its own documented shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            problem = _query_problem(request.GET)
            if (
                problem is None
                and request.method == "POST"
                and request.content_type in FORM_CONTENT_TYPES
            ):
                try:
                    problem = _query_problem(request.POST)
                except Exception:  # a malformed body: the view answers it as before
                    problem = None
            if problem is not None:
                field, message = problem
                return HttpResponseBadRequest(
                    format_html(
                        '<!doctype html><html lang="{}"><meta charset="utf-8">'
                        "<title>{}</title><h1>{}</h1><p>{}</p></html>",
                        getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
                        _("Bad request"),
                        _("The form was not accepted"),
                        message,
                    ),
                    content_type="text/html; charset=utf-8",
                )
        return self.get_response(request)


class FreeTextLimitMixin:
    """A form whose text fields without a maximum get ``INPUT_TEXT_MAX_LENGTH`` (and the
    browser's ``maxlength``): mixed into ``roadmap_portal.web.BootstrapFormMixin``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = text_max_length()
        for field in self.fields.values():
            if (
                isinstance(field, forms.CharField)
                and not isinstance(field, forms.JSONField)
                and field.max_length is None
            ):
                field.max_length = limit
                field.validators.append(MaxLengthValidator(limit))
                field.widget.attrs.setdefault("maxlength", str(limit))


# --- the API --------------------------------------------------------------------------


class FreeTextField(serializers.CharField):
    """A free-text API field: ``INPUT_TEXT_MAX_LENGTH`` unless told otherwise (DRF's own
    CharField already refuses NUL)."""

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("read_only"):  # what the portal wrote is shown whole
            kwargs.setdefault("max_length", text_max_length())
        super().__init__(**kwargs)


class LimitedDictField(serializers.DictField):
    """A JSON object field whose strings, keys and nesting follow the request limits and
    whose strings are free text (``INPUT_TEXT_MAX_LENGTH``)."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        problems = [
            message
            for _top, message in json_problems(value, self.field_name, text_limit=text_max_length())
        ]
        if problems:
            raise serializers.ValidationError(problems[:1])
        return value


def bound_model_text_fields() -> None:
    """Every model ``TextField`` that a ``ModelSerializer`` maps becomes a ``FreeTextField``
    (called once from ``RoadmapPortalConfig.ready``)."""
    serializers.ModelSerializer.serializer_field_mapping[models.TextField] = FreeTextField
