"""Bulk actions: one service call per row, each in its own transaction, one result per row.

A bulk action never holds a rule of its own. It takes the ids a person chose on a list,
hands each to the one service the single action uses (``offer_transition``,
``supplier_verify``) and reports, row by row, what that service answered: done, or the
reason not, in the service's own words. A row that fails rolls back alone; the rows before
and after it keep their result. An id outside the person's scope answers exactly as an
unknown one: "not found", and nothing happens to it.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed

# At most this many ids in one request: a page of the longest list (100 rows) fits.
MAX_IDS = 100

DONE = "done"
NOT_FOUND = "not_found"
NOT_ALLOWED = "not_allowed"  # the row's state does not allow it (a single action's 409)
FORBIDDEN = "forbidden"  # the person's role may not do it to this row (403)
INVALID = "invalid"  # the service refused the input for this row (400)
OUTCOMES = (
    (DONE, pgettext_lazy("bulk result", "Done")),
    (NOT_FOUND, pgettext_lazy("bulk result", "Not found")),
    (NOT_ALLOWED, pgettext_lazy("bulk result", "Not allowed now")),
    (FORBIDDEN, pgettext_lazy("bulk result", "Not allowed for your role")),
    (INVALID, pgettext_lazy("bulk result", "Refused")),
)


@dataclass
class RowResult:
    """What happened to one id: ``outcome`` is one of ``OUTCOMES``; ``detail`` says it in
    words (the service's own message when not done); ``name`` is the row's name when the
    person may see the row, ``status`` its state after the attempt."""

    id: int
    outcome: str
    detail: str
    name: str = ""
    status: str = ""
    status_display: str = ""

    @property
    def done(self) -> bool:
        return self.outcome == DONE

    @property
    def outcome_display(self) -> str:
        return str(dict(OUTCOMES)[self.outcome])


def error_text(exc: Exception) -> str:
    """A service's error as one sentence for a person."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
        return " ".join(str(m) for m in exc.messages)
    return str(getattr(exc, "message", exc))


def check_ids(ids: Iterable[Any], *, field: str = "ids") -> list[int]:
    """The ids in the order given, each once; a ValidationError on ``field`` when none is
    given, one is not a whole number or there are more than ``MAX_IDS``."""
    unique: list[int] = []
    for raw in ids:
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {field: _("“%(value)s” is not an id: ids are whole numbers.") % {"value": raw}}
            ) from exc
        if value < 1:
            raise ValidationError(
                {field: _("“%(value)s” is not an id: ids are whole numbers.") % {"value": raw}}
            )
        if value not in unique:
            unique.append(value)
    if not unique:
        raise ValidationError({field: _("Choose at least one row.")})
    if len(unique) > MAX_IDS:
        raise ValidationError(
            {
                field: _(
                    "%(count)d rows were chosen; one request takes at most %(limit)d. "
                    "Act on fewer rows at a time."
                )
                % {"count": len(unique), "limit": MAX_IDS}
            }
        )
    return unique


def run_each(
    ids: list[int],
    act: Callable[[int], RowResult],
    *,
    names: dict[int, str] | None = None,
) -> list[RowResult]:
    """``act(id)`` for each id in a transaction (a savepoint inside a request's) of its own;
    the service's exception becomes the row's result and rolls back that row only."""
    names = names or {}
    results = []
    for pk in ids:
        try:
            with transaction.atomic():
                result = act(pk)
        except ObjectDoesNotExist:
            result = RowResult(pk, NOT_FOUND, _("Not found: no such row in your scope."))
        except TransitionNotAllowed as exc:
            result = RowResult(pk, NOT_ALLOWED, error_text(exc))
        except RoleNotAllowed as exc:
            result = RowResult(pk, FORBIDDEN, error_text(exc))
        except ValidationError as exc:
            result = RowResult(pk, INVALID, error_text(exc))
        if not result.name and result.outcome != NOT_FOUND:
            result.name = names.get(pk, "")
        results.append(result)
    return results


def summary(results: list[RowResult]) -> dict[str, int]:
    done = sum(1 for r in results if r.done)
    return {"done": done, "not_done": len(results) - done}


# --- the lists' bulk forms --------------------------------------------------------------


def ids_from_form(data) -> list[str]:
    """The ids a list's bulk form sent: the ticked rows, and every row of the page when
    "all on this page" was ticked (it works without the page's script)."""
    chosen = data.getlist("ids")
    if data.get("all_on_page"):
        chosen = data.getlist("page_ids") + chosen
    return chosen


SESSION_KEY = "bulk_results"


def run_from_form(request, run: Callable[..., list[RowResult]], *, default: str, **kwargs: Any):
    """A list page's bulk POST: ``run(ids=..., **kwargs)`` with the form's ids; the results
    (or why nothing was done) are kept for the next page, the list the form came from
    (``next``, else ``default``), which shows them above its rows."""
    try:
        results = run(ids=ids_from_form(request.POST), **kwargs)
    except (ValidationError, RoleNotAllowed) as exc:
        kept: dict[str, Any] = {"error": error_text(exc)}
    else:
        kept = {"results": [asdict(row) for row in results], **summary(results)}
    request.session[SESSION_KEY] = kept
    target = request.POST.get("next")
    if not (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        target = default
    return redirect(target)


def results_for_page(request) -> dict[str, Any] | None:
    """The results a bulk POST kept for this page, once: a reload shows the list alone."""
    session = getattr(request, "session", None)
    kept = session.pop(SESSION_KEY, None) if session is not None else None
    if kept and "results" in kept:
        kept["results"] = [RowResult(**row) for row in kept["results"]]
    return kept
