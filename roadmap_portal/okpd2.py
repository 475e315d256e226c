"""OKPD2 codes and categories: the one home of the prefix rule.

A category is an OKPD2 code used as a prefix: a code falls under a category when the
category is a prefix of it (``28.14`` covers ``28.14.11.000``, and a code covers itself).
Two codes are related when either is a prefix of the other: a demand for ``28.14`` and an
offer of ``28.14.13.131`` answer each other, and so do a demand for ``28.14.13.131`` and an
offer of ``28.14``. Every check of this rule, in Python or in SQL, is written here.

The format is NN, NN.NN, NN.NN.N(N) or NN.NN.NN.NNN, and the two-digit class must exist in
the classifier (OK 034-2014, ``data/okpd2_classes.json``): ``validate`` checks both, for
offers, demands, requirements and tender categories alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext as _

FORMAT = re.compile(r"^\d{2}(\.\d{2}(\.\d{1,2}(\.\d{3})?)?)?$")


def normalise(code: object) -> str:
    """The code as stored: without surrounding spaces (None reads as "")."""
    return str(code or "").strip()


def well_formed(code: str) -> bool:
    """Whether ``code`` (normalised) has the form of an OKPD2 code or category."""
    return bool(FORMAT.match(normalise(code)))


@cache
def classes() -> dict[str, str]:
    """The two-digit OKPD2 classes (OK 034-2014) with their Russian names."""
    path = Path(__file__).parent / "data" / "okpd2_classes.json"
    return json.loads(path.read_text(encoding="utf-8"))


def validate(value: object) -> None:
    """A model and form validator: ``value`` is a well-formed code of an existing class."""
    code = normalise(value)
    if not well_formed(code):
        raise ValidationError(
            _(
                "OKPD2 code %(code)s is not in the form NN, NN.NN, NN.NN.N, NN.NN.NN or NN.NN.NN.NNN."
            )
            % {"code": code},
            code="okpd2_format",
        )
    if code[:2] not in classes():
        raise ValidationError(
            _("OKPD2 class %(cls)s does not exist.") % {"cls": code[:2]}, code="okpd2_class"
        )


def prefixes(code: str) -> list[str]:
    """Every prefix of an OKPD2 code, the code included: the categories it falls under."""
    code = normalise(code)
    return [code[:n] for n in range(1, len(code) + 1)]


def category_prefixes(categories: Iterable[str] | None) -> tuple[str, ...]:
    """``categories`` normalised, empty ones left out: what a normalised code must start
    with to fall under one of them (``code.startswith(...)``; none matches nothing)."""
    return tuple(c for c in (normalise(c) for c in categories or ()) if c)


def falls_under(code: str, categories: Iterable[str] | None) -> bool:
    """Whether ``code`` falls under one of ``categories`` (none: it falls under none)."""
    return normalise(code).startswith(category_prefixes(categories))


def related(code: str, other: str) -> bool:
    """Whether either code is a prefix of the other."""
    code, other = normalise(code), normalise(other)
    return code.startswith(other) or other.startswith(code)


def class_of(code: str, digits: int) -> str:
    """The first ``digits`` digits of an OKPD2 code with its dots (``28.14`` for 4)."""
    out, seen = [], 0
    for ch in code:
        if seen == digits:
            break
        out.append(ch)
        seen += ch.isdigit()
    return "".join(out).rstrip(".")


def q_falls_under(categories: Iterable[str] | None, field: str = "okpd2") -> Q:
    """Q: the code in ``field`` falls under one of ``categories`` (none: no row)."""
    condition = Q(pk__in=[])
    for category in category_prefixes(categories):
        condition |= Q(**{f"{field}__startswith": category})
    return condition


def q_related(code: str | F, field: str = "okpd2") -> Q:
    """Q: the code in ``field`` and ``code`` are prefixes of each other either way.

    ``code`` is a string, or an expression such as ``OuterRef("category")`` (then the
    database tests the reverse prefix itself)."""
    if isinstance(code, str):
        code = normalise(code)
        return Q(**{f"{field}__startswith": code}) | Q(**{f"{field}__in": prefixes(code)})
    return Q(**{f"{field}__startswith": code}) | Q(StartsWith(code, F(field)))


def q_related_to_any(codes: Iterable[str], field: str = "okpd2") -> Q:
    """Q: the code in ``field`` is related to one of ``codes`` (in one IN list and one
    prefix test per code)."""
    codes = category_prefixes(codes)
    condition = Q(**{f"{field}__in": {p for code in codes for p in prefixes(code)}})
    for code in codes:
        condition |= Q(**{f"{field}__startswith": code})
    return condition
