"""One way in for every id a request carries: relation fields that resolve through a scope
selector.

A selector is the function that gives the rows a user may see (``roadmaps_visible_to``,
``offers_visible_to``, ...). A serializer field, a form field and a filter all take one and
query it with the sender, so an id outside the sender's scope is looked up in a queryset that
does not hold it: it answers exactly what a nonexistent id answers, and no message can name a
row the sender may not see. Rules that go further than visibility (the same region, an open
tender) stay in the services; what a field may resolve at all comes from here.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from rest_framework import serializers

Selector = Callable[[Any], QuerySet]


def _nobody_sees(selector: Selector) -> QuerySet:
    """The selector's empty queryset: it names the model (for the schema) and holds no row."""
    return selector(AnonymousUser())


def user_of(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None else AnonymousUser()


class ScopedRelatedFieldMixin:
    """A DRF relation field whose rows are ``selector(request.user)``, never the whole table."""

    def __init__(self, *, selector: Selector, **kwargs: Any) -> None:
        self.selector = selector
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", _nobody_sees(selector))
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.selector(user_of(self.context.get("request")))


class ScopedPrimaryKeyRelatedField(ScopedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    """``ScopedPrimaryKeyRelatedField(selector=roadmaps_visible_to)``: an id in the body is
    looked up among the sender's roadmaps; another scope's id is "Invalid pk"."""


class ScopedSlugRelatedField(ScopedRelatedFieldMixin, serializers.SlugRelatedField):
    """The same for a natural key, e.g. a region's code."""


def is_scoped_relation(field: serializers.Field) -> bool:
    """True for a scoped relation, a list of them included."""
    if isinstance(field, serializers.ManyRelatedField):
        field = field.child_relation
    return isinstance(field, ScopedRelatedFieldMixin)


class ScopedFormFieldMixin:
    """A form's model choice field bound to ``selector(user)`` by :class:`ScopedFormMixin`.

    Until it is bound it offers nothing, so a form built without its user refuses every id.
    """

    def __init__(self, *, selector: Selector, **kwargs: Any) -> None:
        self.selector = selector
        kwargs.setdefault("queryset", _nobody_sees(selector))
        super().__init__(**kwargs)

    def bind(self, user: Any) -> None:
        self.queryset = self.selector(user)


class ScopedModelChoiceField(ScopedFormFieldMixin, forms.ModelChoiceField):
    pass


class ScopedModelMultipleChoiceField(ScopedFormFieldMixin, forms.ModelMultipleChoiceField):
    pass


class ScopedFormMixin:
    """A form that takes ``user=`` and binds every scoped field to that user's rows. A view
    may narrow a bound field further (``form.fields[name].queryset = ...filter(...)``) but
    never widen it."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, ScopedFormFieldMixin):
                field.bind(user)

    def narrow(self, name: str, refine: Callable[[QuerySet], QuerySet]) -> None:
        """Offer fewer of the user's rows in field ``name`` (``refine`` filters the bound
        queryset: the choices stay inside the user's scope)."""
        field = self.fields[name]
        field.queryset = refine(field.queryset)


def scoped_queryset(selector: Selector) -> Callable[[HttpRequest | None], QuerySet]:
    """A django-filter ``queryset=`` callable: the requesting user's rows (none without a
    request), so a filter on another scope's id is the same 400 as on a missing one."""

    def queryset(request: HttpRequest | None) -> QuerySet:
        return selector(user_of(request))

    queryset.selector = selector  # type: ignore[attr-defined]
    return queryset


def resolve_scoped(selector: Selector, user: Any, raw: Any) -> Model | None:
    """The row with id ``raw`` among the user's, or None when it is missing, out of scope or
    not an id at all: the three are one answer. For ids read from free-form ``data``."""
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    if isinstance(raw, bool) or pk <= 0 or pk > 2**63 - 1:
        return None
    return selector(user).filter(pk=pk).first()
