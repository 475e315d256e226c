"""The HTML pages' toolkit, the twin of the API's (``roadmap_portal/api/``): who may open a
page (``role_required``), one pagination for every list (``paginate``), a service's errors
on a form (``apply_service_errors``) and Bootstrap's classes on a form's widgets
(``BootstrapFormMixin``), a step the state refuses on a form page (``service_errors_on``,
``refusal_kept``, ``form_status``). The errors a page does not handle itself become answers
in ``DomainExceptionMiddleware``: a role refused 403, an object out of scope or gone 404, a
step the state no longer allows a message on the page the user came from."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.handlers.exception import response_for_exception
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from .exceptions import RoleNotAllowed, TransitionNotAllowed
from .input_limits import FreeTextLimitMixin
from .paginators import IdsFirstPaginator
from .scope import has_role

View = TypeVar("View", bound=Callable[..., HttpResponse])

#: Rows per page of a list that offers no choice.
PAGE_SIZE = 25

# --- who may open a page ---------------------------------------------------------------------


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in (else the login page, as ``login_required``) and of one of ``roles``
    (administrators always, as ``has_role`` says); a signed-in user of another role: 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied(_("Your role does not allow this page."))
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def back_to(url_name: str) -> Callable[[View], View]:
    """The page a step the state refuses (``TransitionNotAllowed``) returns to, with its
    message: ``url_name`` reversed with the view's own URL arguments, else with its ``pk``
    alone, else with none."""

    def decorator(view: View) -> View:
        view.back_to = url_name  # type: ignore[attr-defined]
        return view

    return decorator


# --- pagination ------------------------------------------------------------------------------


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


class ListPage(Page):
    """A page of an HTML list: also its size, the sizes offered, and the query string its
    links keep (``query`` without the page, ``size_query`` without the page size either)."""

    size: int
    sizes: tuple[int, ...]
    query: str
    size_query: str


class _ListPages:
    """Makes ``ListPage``s (mixed into the paginator ``paginate`` uses)."""

    def _get_page(self, *args: Any, **kwargs: Any) -> ListPage:
        return ListPage(*args, **kwargs)


class _Paginator(_ListPages, Paginator):
    pass


class _IdsFirstPaginator(_ListPages, IdsFirstPaginator):
    pass


def paginate(
    request: HttpRequest,
    rows: Any,
    *,
    sizes: Sequence[int] = (PAGE_SIZE,),
    ids_first: bool = False,
) -> ListPage:
    """The page of ``rows`` that ``?page=`` asks for (the last for one past the end, the
    first for nonsense), ``sizes[0]`` rows long unless ``?page_size=`` names another of
    ``sizes``. ``ids_first`` pages a wide queryset over its ids first and reads in full only
    the page's rows (``IdsFirstPaginator``). ``includes/pagination.html`` draws it from the
    page's ``size``, ``sizes``, ``query`` (the filters without the page) and ``size_query``
    (without the page size either)."""
    size = sizes[0]
    if len(sizes) > 1:
        try:
            asked = int(request.GET.get("page_size", size))
        except ValueError:
            asked = size
        size = asked if asked in sizes else size
    cls = _IdsFirstPaginator if ids_first else _Paginator
    page = cls(rows, size).get_page(request.GET.get("page"))
    assert isinstance(page, ListPage)
    page.size = size
    page.sizes = tuple(sizes)
    page.query = _query_without(request, "page", "export")
    page.size_query = _query_without(request, "page", "export", "page_size")
    return page


# --- forms ------------------------------------------------------------------------------------


def _errors_of(exc: DjangoValidationError | DRFValidationError) -> tuple[dict[str, Any], list]:
    """(errors by key, errors of no key) of a Django or DRF ValidationError."""
    if isinstance(exc, DRFValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return {key: detail[key] for key in detail}, []
        return {}, list(detail if isinstance(detail, list) else [detail])
    if hasattr(exc, "error_dict"):
        return dict(exc.error_dict), []
    return {}, exc.messages


def apply_service_errors(
    form: forms.BaseForm,
    exc: DjangoValidationError | DRFValidationError,
    fields: Mapping[str, str | None] | None = None,
) -> None:
    """Put a service's ValidationError on the form: each error on the field it names (or the
    form's field ``fields`` maps its key to), else above the form. A form with
    ``add_service_error`` (``BootstrapFormMixin``) places a Django error by its code too."""
    fields = fields or {}
    by_key, general = _errors_of(exc)
    for key, errors in by_key.items():
        name = fields.get(key, key)
        for error in errors if isinstance(errors, list) else [errors]:
            if isinstance(error, DjangoValidationError) and hasattr(form, "add_service_error"):
                form.add_service_error(name, error)
            else:
                messages_ = error.messages if isinstance(error, DjangoValidationError) else error
                if not isinstance(messages_, list):
                    messages_ = [messages_]
                form.add_error(name if name in form.fields else None, [str(m) for m in messages_])
    if general:
        form.add_error(None, [str(m) for m in general])


def _css(widget: forms.Widget) -> str:
    """The Bootstrap class of a widget (of each input of a group of radios or checkboxes)."""
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select):  # SelectMultiple too
        return "form-select"
    return "form-control"


class BootstrapFormMixin(FreeTextLimitMixin):
    """Bootstrap classes on every widget, and ``is-invalid`` on the fields with errors
    (Django adds ``aria-invalid`` and ``aria-describedby``, which points at the error's id
    ``<field id>_error`` that ``includes/field.html`` renders)."""

    #: Errors of a service that belong to a field of this form although the service names
    #: none (its API key is ``data``), by their code: the field, and the message the page
    #: shows instead of the API's, which names the API's keys. ``%(label)s`` is the field's
    #: label; the error's params fill the rest.
    service_errors: dict[str, tuple[str, str]] = {}

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {_css(widget)}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        self.mark_invalid(self._errors)  # type: ignore[attr-defined]

    def mark_invalid(self, errors: Iterable[str] | None = None) -> None:
        """``is-invalid`` on the widget of every field with an error."""
        for name in self.errors if errors is None else errors:  # type: ignore[attr-defined]
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "").split()
                if "is-invalid" not in css:
                    widget.attrs["class"] = " ".join([*css, "is-invalid"])
                bound = self[name]  # type: ignore[index]
                if bound.use_fieldset and bound.auto_id:
                    # Django describes only single inputs; each radio points at the error.
                    widget.attrs["aria-describedby"] = f"{bound.auto_id}_error"

    def label_of(self, name: str) -> str:
        return str(self.fields[name].label)

    def add_service_error(self, key: str | None, error: DjangoValidationError) -> None:
        """One error of a service on the form: on the field it is about (by the error's
        code when the service names no field of the form), else above the form."""
        if error.code in self.service_errors:
            name, text = self.service_errors[error.code]
            self.add_error(name, text % {**(error.params or {}), "label": self.label_of(name)})
        else:
            self.add_error(key if key in self.fields else None, error.messages)

    def require_for(self, name: str, message: str) -> None:
        """An error on ``name`` saying what to do, naming the field by its label."""
        self.add_error(name, message % {"label": self.label_of(name)})


# --- a step the state refuses on a form page ---------------------------------------------------

#: The status of a form page shown again because the state refused its step (Conflict, as
#: the API answers ``TransitionNotAllowed``).
REFUSED_STATUS = 409


@contextmanager
def refusal_kept(form: forms.BaseForm) -> Iterator[None]:
    """A step the state no longer allows (``TransitionNotAllowed``, e.g. another user moved
    the object meanwhile), raised inside, on ``form``: its message above the form and the
    form marked refused, so the page shows it again with what the user typed (409,
    ``form_status``). A form the user typed nothing into (a button) lets the refusal through
    to ``DomainExceptionMiddleware``: its message on the ``back_to`` page, as before.
    ``form`` is bound and validated."""
    try:
        yield
    except TransitionNotAllowed as exc:
        if not form.has_changed():
            raise
        form.add_error(None, str(exc.message))
        form.refused = True  # type: ignore[attr-defined]


@contextmanager
def service_errors_on(
    form: forms.BaseForm, fields: Mapping[str, str | None] | None = None
) -> Iterator[None]:
    """A form page's call of a service: its ValidationError on the form
    (``apply_service_errors``), a step the state refuses as ``refusal_kept`` says. The code
    after the call inside the block runs only when the service succeeded; after the block,
    the page shows the form with its errors (``form_status``)."""
    with refusal_kept(form):
        try:
            yield
        except (DjangoValidationError, DRFValidationError) as exc:
            apply_service_errors(form, exc, fields)


def is_refused(form: forms.BaseForm | None) -> bool:
    """Whether the state refused the step ``form`` posted (``refusal_kept``)."""
    return bool(getattr(form, "refused", False))


def form_status(*forms_: forms.BaseForm | None) -> int:
    """The status of a form page: 409 when the state refused a form's step, 400 when a bound
    form has errors, else 200."""
    if any(is_refused(form) for form in forms_):
        return REFUSED_STATUS
    if any(form is not None and form.is_bound and form.errors for form in forms_):
        return 400
    return 200


# --- the errors a page leaves to the toolkit --------------------------------------------------


def safe_next(request: HttpRequest, default: str) -> str:
    """The page the form or link names (``next``) when it is on this site, else ``default``."""
    return _safe(request, request.POST.get("next") or request.GET.get("next")) or default


def _safe(request: HttpRequest, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _back_url(request: HttpRequest, view: Callable[..., Any] | None) -> str:
    """Where a refused step sends the user: the view's ``back_to`` page, else the page the
    form says (``next``), else the page the request came from, else home."""
    name = getattr(view, "back_to", None)
    if name:
        kwargs = request.resolver_match.kwargs if request.resolver_match else {}
        # The view's own arguments, else its object's ``pk`` alone, else none.
        for candidate in (kwargs, {"pk": kwargs["pk"]} if "pk" in kwargs else None):
            if candidate:
                try:
                    return reverse(name, kwargs=candidate)
                except NoReverseMatch:
                    pass
        try:
            return reverse(name)
        except NoReverseMatch:
            pass  # the page needs arguments this view does not have: the fallbacks below
    return (
        _safe(request, request.POST.get("next") or request.GET.get("next"))
        or _safe(request, request.headers.get("referer"))
        or reverse("home")
    )


class DomainExceptionMiddleware:
    """The domain's errors that an HTML page does not handle, as the page's answer: a role
    refused (``RoleNotAllowed``) is 403, an object out of scope or gone
    (``ObjectDoesNotExist``, ``Http404``) 404, a step the state no longer allows
    (``TransitionNotAllowed``) its message and a redirect back (``back_to``); a form page
    whose user typed something keeps the refusal on its form instead (``refusal_kept``). The
    API's answers stay DRF's (``roadmap_portal.api.exceptions``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path_info.startswith("/api/"):
            return None
        if isinstance(exc, RoleNotAllowed):
            return response_for_exception(request, PermissionDenied(str(exc.message)))
        # A missing related object (``user.profile``) is also an AttributeError: a bug, not
        # a missing page, so it stays a 500.
        if isinstance(exc, ObjectDoesNotExist | Http404) and not isinstance(exc, AttributeError):
            return response_for_exception(request, exc if isinstance(exc, Http404) else Http404())
        if isinstance(exc, TransitionNotAllowed):
            messages.error(request, str(exc.message))
            match = request.resolver_match
            return HttpResponseRedirect(_back_url(request, match.func if match else None))
        return None
