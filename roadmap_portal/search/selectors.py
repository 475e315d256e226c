"""Search across the portal, and import substitution: selectors, each inside the reader's scope.

One engine for the search box, the search API and a demand's substitutes. On PostgreSQL a
row matches by Russian full text (``russian`` configuration: stemming, each word also as a
prefix), by trigram word similarity of its name (a typo), or by a code's prefix (INN, OGRN,
OKPD2) or part (tender and certificate numbers); every one of these is backed by an index
of the models' ``Meta.indexes`` (GIN over the same ``SearchVector`` expression, GIN
``gin_trgm_ops``, ``varchar_pattern_ops``). Ranked by text rank + name similarity + a code
match. On SQLite (the local demo) it falls back to ``icontains``/``startswith``.

One query ranks and counts every kind (each kind's first ``CANDIDATES`` matching rows, by
id and title only, in one ``UNION ALL``), then one query per kind with rows reads the rows
shown: a search costs at most one query more than it has kinds, whatever the number of
matches. The words and codes are looked for first, typos only when they find fewer than
``CANDIDATES`` rows; the register reaches its entries through the index of the offers in
the register (see :func:`_ranked_sql`, docs/search.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchVector,
    TrigramWordSimilarity,
)
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from certification.selectors import certificates_visible_to, register_visible_to
from procurement.selectors import tenders_visible_to
from roadmap_portal import okpd2
from roadmap_portal.api.statements import Statements, plain, reader
from roadmap_portal.db.postgresql.base import prepared
from roadmap_portal.selectors import demands_visible_to
from suppliers.pipeline import IN_PIPELINE, PUBLIC
from suppliers.selectors import offers_visible_to, suppliers_visible_to

QUERY_MIN_LENGTH = 2
QUERY_MAX_LENGTH = 100
# Rows shown per kind on the grouped page and in the grouped API answer; one kind alone
# (``kind=...``) shows more.
GROUP_SIZE = 5
KIND_SIZE = 25
# At most this many words of a query take part (a pasted paragraph is not a query).
MAX_WORDS = 12
SUBSTITUTES_SIZE = 10
# The matching rows of a kind that are ranked and counted at most.
CANDIDATES = 1000
# A substitute's name holds the demand's title this well (trigram word similarity) to count
# as "similar by name".
TEXT_MATCH_SIMILARITY = 0.3

# Sentinels ts_headline puts around a match: control characters no user text holds (they
# are stripped from the text first), replaced by <mark> only after the text is escaped.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"[^\W_]+")
# A code: digits with dots, dashes or slashes (OKPD2 28.14.1, INN 5401, OGRN 1027...).
_CODE = re.compile(r"^[\d][\d.\-/]*$")


class SearchQueryError(ValueError):
    """A query the engine refuses, with the message for the person who typed it."""


def clean_query(raw: str | None) -> str:
    """The query as searched: whitespace collapsed; too short or too long is refused."""
    query = " ".join((raw or "").split())
    if len(query) < QUERY_MIN_LENGTH:
        raise SearchQueryError(
            _("Type at least %(min)d characters to search.") % {"min": QUERY_MIN_LENGTH}
        )
    if len(query) > QUERY_MAX_LENGTH:
        raise SearchQueryError(
            _("A search query is at most %(max)d characters; this one has %(length)d.")
            % {"max": QUERY_MAX_LENGTH, "length": len(query)}
        )
    return query


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _words(query: str) -> list[str]:
    return _WORD.findall(query.replace(_START, "").replace(_STOP, ""))[:MAX_WORDS]


def _is_code(query: str) -> bool:
    return bool(_CODE.match(query))


def _prefix_tsquery(query: str) -> SearchQuery | None:
    """Every word, stemmed by the ``russian`` configuration, as a prefix: ``насосы`` finds
    «насос», ``центроб`` finds «центробежный». Words are letters and digits only, so the
    raw syntax cannot be injected."""
    words = _words(query)
    if not words:
        return None
    return SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config="russian")


def _any_word_tsquery(text: str) -> SearchQuery | None:
    """Any of the words of ``text`` (a demand's title and analog), stemmed."""
    words = _words(text)
    if not words:
        return None
    return SearchQuery(" | ".join(words), search_type="raw", config="russian")


# --- highlighting ------------------------------------------------------------------------


def _marked(text: str) -> SafeString:
    """``text`` escaped, the sentinel pairs turned into ``<mark>``: no other tag survives."""
    html = escape(text)
    html = re.sub(f"{_START}(.*?){_STOP}", r"<mark>\1</mark>", html, flags=re.S)
    return mark_safe(html.replace(_START, "").replace(_STOP, ""))  # noqa: S308 (escaped above)


def highlight(text: str, query: str) -> SafeString:
    """``text`` escaped, with each occurrence of a word of ``query`` (case-insensitive) in
    ``<mark>``: the SQLite fallback's and the codes' highlighting."""
    text = (text or "").replace(_START, "").replace(_STOP, "")
    words = sorted({w for w in _words(query) if len(w) >= 2} | {query}, key=len, reverse=True)
    pattern = "|".join(re.escape(w) for w in words if w)
    if pattern:
        text = re.sub(f"({pattern})", f"{_START}\\1{_STOP}", text, flags=re.I)
    return _marked(text)


# --- kinds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What is searched of one model, and how a found row is shown."""

    key: str
    label: object
    visible: Callable[[object], QuerySet]
    title_field: str
    document: tuple[str, ...] = ()
    prefix_codes: tuple[str, ...] = ()
    contained_codes: tuple[str, ...] = ()
    url_name: str = ""
    list_url_name: str = ""
    list_parameter: str = "search"
    related: tuple[str, ...] = ()
    subtitle: Callable[[Model], str] = field(default=lambda row: "")
    code_of: Callable[[Model], str] = field(default=lambda row: "")


def _offers(user):
    return offers_visible_to(user)


def _suppliers(user):
    return suppliers_visible_to(user)


def _tenders(user):
    return tenders_visible_to(user)


def _demands(user):
    return demands_visible_to(user)


def _certificates(user):
    return certificates_visible_to(user)


def _register(user):
    return register_visible_to(user)


KINDS: tuple[Kind, ...] = (
    Kind(
        key="offers",
        label=_("Product offers"),
        visible=_offers,
        title_field="name",
        document=("name", "description", "replaces"),
        prefix_codes=("okpd2",),
        url_name="suppliers:offer-detail",
        list_url_name="suppliers:offer-list",
        related=("supplier",),
        subtitle=lambda o: f"{o.supplier.name} · {o.get_status_display()}",
        code_of=lambda o: o.okpd2,
    ),
    Kind(
        key="suppliers",
        label=_("Suppliers"),
        visible=_suppliers,
        title_field="name",
        document=("name",),
        prefix_codes=("inn", "ogrn"),
        url_name="suppliers:supplier-detail",
        list_url_name="suppliers:supplier-list",
        related=("region",),
        subtitle=lambda s: s.region.name,
        code_of=lambda s: f"{_('INN')} {s.inn} · {_('OGRN')} {s.ogrn}",
    ),
    Kind(
        key="tenders",
        label=_("Tenders"),
        visible=_tenders,
        title_field="title",
        document=("title", "description"),
        contained_codes=("number",),
        url_name="procurement:tender-detail",
        list_url_name="procurement:tender-list",
        related=("customer",),
        subtitle=lambda t: f"{t.customer} · {t.get_status_display()}",
        code_of=lambda t: t.number,
    ),
    Kind(
        key="demands",
        label=_("Demands"),
        visible=_demands,
        title_field="title",
        document=("title", "description", "replaces"),
        prefix_codes=("category",),
        url_name="procurement:demand-detail",
        list_url_name="procurement:demand-list",
        related=("customer",),
        subtitle=lambda d: str(d.customer),
        code_of=lambda d: d.category,
    ),
    Kind(
        key="register",
        label=_("Register entries"),
        visible=_register,
        title_field="offer__name",
        prefix_codes=("okpd2",),
        list_url_name="certification:register",
        list_parameter="okpd2",
        related=("offer", "supplier", "corporation"),
        subtitle=lambda e: f"{e.corporation} № {e.number} · {e.supplier.name}",
        code_of=lambda e: e.okpd2,
    ),
    Kind(
        key="certificates",
        label=_("Certificates"),
        visible=_certificates,
        title_field="number",
        contained_codes=("number",),
        url_name="certification:certificate-detail",
        list_url_name="certification:certificate-list",
        related=("supplier", "body"),
        subtitle=lambda c: f"{c.body} · {c.supplier.name} · {c.get_status_display()}",
    ),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def kind_choices() -> list[tuple[str, object]]:
    return [(kind.key, kind.label) for kind in KINDS]


@dataclass
class Hit:
    kind: str
    id: int
    title: SafeString
    subtitle: SafeString
    url: str
    rank: float


@dataclass
class Group:
    kind: str
    label: object
    count: int
    hits: list[Hit]
    more_url: str = ""
    # The count stopped at CANDIDATES: more rows match.
    capped: bool = False


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scoped:
    """A kind's rows in the reader's scope, built once per search and read by every part of
    it (the words, the typos, the count): ``rows`` is a plain queryset a window may count
    over (a selector that needs DISTINCT is taken as ``pk IN (...)``); ``joins`` says
    whether the scope reads another table (a join, or DISTINCT over one)."""

    rows: QuerySet
    joins: bool


def _scoped(kind: Kind, user) -> Scoped:
    """The kind's rows in ``user``'s scope: the kind's selector is called once."""
    visible = kind.visible(user)
    if visible.query.distinct:
        return Scoped(visible.model.objects.filter(pk__in=visible.values("pk")), joins=True)
    rows = visible.select_related(None)
    return Scoped(rows, joins=len(rows.query.alias_map) > 1)


def _text_match(kind: Kind, query: str) -> tuple[Q, Q, object, object] | None:
    """(words, typos, rank, document) for ``query`` in the kind's document: ``words`` finds
    the stemmed words as prefixes (full text), ``typos`` the title by trigram similarity."""
    within = Q()
    if kind.key == "register":
        # A register entry is named by its product: the offers' document and title (and
        # their indexes, through the join) find them, whichever offers the reader may see
        # otherwise (the register is public). Its product is in the register or excluded
        # from it (an entry is made by "register" and "reinstate" only, and such an offer
        # only moves between the two): the index of these offers' documents alone is read,
        # not every offer that holds the words.
        document_fields = ("offer__name", "offer__description", "offer__replaces")
        within = Q(offer__status__in=PUBLIC)
    elif kind.document:
        document_fields = kind.document
    else:
        return None
    tsquery = _prefix_tsquery(query)
    if tsquery is None:
        return None
    document = SearchVector(*document_fields, config="russian")
    similar = Q(**{f"{kind.title_field}__trigram_word_similar": query}) & within
    words = Q(_document=tsquery) & within
    return words, similar, _title_rank(query, kind.title_field), document


def _title_rank(query: str, title_field: str):
    """How well the row's title holds the query: trigram word similarity (0 to 1).

    Not ``ts_rank`` of the document: over an expression index PostgreSQL computes the
    document again for every matching row to rank it (about 60 µs a row for an offer), and
    a common word matches thousands; the title's trigrams cost a few µs and put rows named
    by the query above rows that only mention it."""
    return TrigramWordSimilarity(query, title_field)


def _code_match(kind: Kind, query: str) -> Q | None:
    q = Q()
    if _is_code(query):
        for name in kind.prefix_codes:
            q |= Q(**{f"{name}__startswith": query})
    for name in kind.contained_codes:
        q |= Q(**{f"{name}__icontains": query})
    return q or None


def _matching(kind: Kind, user, query: str) -> QuerySet | None:
    """The kind's rows in scope matching ``query``, annotated ``_rank``; None when the kind
    has nothing to match this query with."""
    conditions = _conditions(kind, _scoped(kind, user).rows, query)
    if conditions is None:
        return None
    qs, words, typos, rank = conditions
    return qs.filter(words if typos is None else words | typos).annotate(_rank=rank)


def _matching_parts(
    kind: Kind, scoped: Scoped, query: str
) -> tuple[QuerySet, QuerySet | None] | None:
    """The kind's rows in scope (``scoped``) matching ``query`` by its words or codes, and
    those matching it by words, codes or as a typo of their title (None where typos are not
    looked for apart: a reader who sees part of the kind has one condition), both annotated
    ``_rank``; None when the kind has nothing to match this query with."""
    conditions = _conditions(kind, scoped.rows, query)
    if conditions is None:
        return None
    qs, words, typos, rank = conditions
    if typos is not None and scoped.joins:
        # A reader's scope through another table (the roadmaps' group, the suppliers'
        # region) narrows the rows the words reach, and the planner reads the text index
        # once per row of that table: the words read twice would cost more than the
        # typos' side saves. One condition.
        return qs.filter(words | typos).annotate(_rank=rank), None
    # The typos' side is the whole condition: with the words beside it the planner reads
    # both indexes (a trigram condition alone, on a small table, it would rather test on
    # every row).
    return (
        qs.filter(words).annotate(_rank=rank),
        None if typos is None else qs.filter(words | typos).annotate(_rank=rank),
    )


def _conditions(
    kind: Kind, qs: QuerySet, query: str
) -> tuple[QuerySet, Q, Q | None, object] | None:
    """(the kind's rows in scope, ``qs``, with the document to match; the words' and codes'
    condition, the typos' condition or None, the rank expression); None when the kind has
    nothing to match ``query`` with."""
    code = _code_match(kind, query)
    if not _is_postgresql():
        q = code or Q()
        if not _is_code(query) and (kind.document or kind.key == "register"):
            fields = kind.document or ("offer__name",)
            # SQLite folds the case of ASCII letters only: Cyrillic is tried as typed,
            # lower case, upper case and capitalised.
            variants = {query, query.lower(), query.upper(), query.capitalize()}
            for name in fields:
                for variant in variants:
                    q |= Q(**{f"{name}__contains": variant})
        if not q:
            return None
        return qs, q, None, Value(0.0, output_field=FloatField())
    text = None if _is_code(query) else _text_match(kind, query)
    if text is None and code is None:
        return None
    words = Q()
    typos = None
    rank = Value(0.0, output_field=FloatField())
    if text is not None:
        words, typos, rank, document = text
        qs = qs.alias(_document=document)
    if code is not None:
        words |= code
        # A code's prefix or part outranks any text match.
        rank = rank + Case(
            When(code, then=Value(1.0)), default=Value(0.0), output_field=FloatField()
        )
    return qs, words, typos, rank


def _ids_and_ranks(qs: QuerySet) -> tuple[str, list]:
    """The SQL of the first ``CANDIDATES`` rows of ``qs`` as ``("_id", "_rank")``, in the
    order the indexes give them; ``EmptyResultSet`` for a queryset that cannot hold a row
    (a reader who may see none of the kind)."""
    candidates = qs.order_by().annotate(_id=F("pk")).values_list("_id", "_rank")[:CANDIDATES]
    sql, params = candidates.query.sql_with_params()
    return sql, list(params)


def _ranked_sql(
    parts: tuple[QuerySet, QuerySet | None], position: int, size: int
) -> tuple[str, list]:
    """The SQL of a kind's first ``size`` rows, ranked, each with the count of the matching
    rows: ``(position, id, rank, total)``.

    The first ``CANDIDATES`` matching rows are taken in the order the indexes give them (a
    common word matches thousands of rows, and ranking or counting them all would cost in
    proportion; the group then counts "1000+"); each is ranked as it is read, by its id
    and title only, and counted by a window over these narrow rows. The rows shown are
    read afterwards (:func:`_shown`): a join to their supplier, customer or product costs
    for ``size`` rows, not for a thousand.

    The words (and codes) are looked for first; typos only when the words find fewer than
    ``CANDIDATES`` rows. A trigram match is checked again on every row it reaches (the
    trigram index is lossy), and a common word's trigrams reach tens of thousands: the
    typo side would cost more than the rest of the search, to add rows to a group that is
    full already. Up to ``CANDIDATES`` matches in all, the rows are those of words or
    typos, as one condition would find them."""
    words, typos = parts
    sql, params = _ids_and_ranks(words)
    if typos is not None:
        typo_sql, typo_params = _ids_and_ranks(typos)
        # The ORM's own SQL, with its parameters apart; only integers are formatted in.
        sql = (
            f"(WITH w AS MATERIALIZED ({sql}) SELECT * FROM w UNION ALL SELECT * FROM ({typo_sql}) t "  # noqa: S608
            f'WHERE (SELECT count(*) FROM w) < {int(CANDIDATES)} AND t."_id" NOT IN (SELECT "_id" FROM w) '
            f"LIMIT {int(CANDIDATES)})"
        )
        params += typo_params
    ranked = (
        f'SELECT {int(position)} AS "_kind", c."_id", c."_rank", count(*) OVER () AS "_total" '  # noqa: S608
        f'FROM ({sql}) c ORDER BY c."_rank" DESC, c."_id" DESC LIMIT {int(size)}'
    )
    return f"SELECT * FROM ({ranked}) k{int(position)}", params  # noqa: S608


@dataclass(frozen=True)
class Ranking:
    """The one query that ranks and counts the matches of every kind searched (the kinds'
    SQL one after another in a ``UNION ALL``: one round trip), with each kind's model.

    ``code`` is the code query the statement was written for, where it stands for any
    code: a code (an INN, an OGRN, an OKPD2 prefix) reaches the same columns the same way
    whatever its digits, and only its parameters differ. The statement of such a search is
    kept per kinds and reader's scope (:func:`_ranking`); each search puts its own code in
    the code's place (codes hold no character that a ``LIKE`` escapes)."""

    sql: str
    params: tuple
    keys: tuple[str, ...]  # the kind of each position in the ``UNION ALL``
    models: dict
    code: str = ""

    @property
    def reusable(self) -> bool:
        return bool(self.code) and all(plain(value) for value in self.params)

    def run(self, query: str) -> dict[str, list[tuple]]:
        """Each kind's first rows as ``(id, rank, total)``, best first."""
        found: dict[str, list[tuple]] = {key: [] for key in self.models}
        if not self.sql:
            return found
        params = self.params
        if self.code:
            code = self.code
            params = tuple(
                p.replace(code, query) if isinstance(p, str) and code in p else p for p in params
            )
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        for position, pk, rank, total in rows:
            found[self.keys[position]].append((pk, float(rank), total))
        for hits in found.values():
            hits.sort(key=lambda hit: (-hit[1], -hit[0]))
        return found


# A code that stands for any code in a kept :class:`Ranking`: a code no one searches for, and
# no other parameter of a search holds.
_ANY_CODE = "9/8-7/6-5/4-3/2-1/0"
# The rankings of code searches, by kinds and reader (:func:`_ranking`).
_code_rankings = Statements(size=1024)


def _ranking(kinds: tuple[Kind, ...], user, query: str, size: int) -> Ranking:
    """The :class:`Ranking` of ``query`` over ``kinds`` for ``user``. A code query's is
    written for :data:`_ANY_CODE` and kept per kinds, size, scope and reader: the next code
    searched by the same reader runs it without building the scoped querysets again."""
    if not (_is_code(query) and _is_postgresql()):
        return _ranking_of(kinds, user, query, size)
    key = (
        tuple(kind.key for kind in kinds),
        size,
        *reader(user),
    )
    ranking = _code_rankings.get(key)
    if ranking is None:
        ranking = _ranking_of(kinds, user, _ANY_CODE, size)
        _code_rankings.keep(key, ranking)
    return ranking


def _ranking_of(kinds: tuple[Kind, ...], user, query: str, size: int) -> Ranking:
    """The :class:`Ranking` of ``query`` over ``kinds`` for ``user``, built."""
    parts, keys, models = [], [], {}
    for kind in kinds:
        matching = _matching_parts(kind, _scoped(kind, user), query)
        if matching is None:
            models[kind.key] = None
            continue
        models[kind.key] = matching[0].model
        try:
            parts.append(_ranked_sql(matching, len(keys), size))
        except EmptyResultSet:
            continue
        keys.append(kind.key)
    sql = " UNION ALL ".join(part for part, _params in parts)
    params = tuple(p for _part, part_params in parts for p in part_params)
    code = (
        query if _is_code(query) and any(isinstance(p, str) and query in p for p in params) else ""
    )
    return Ranking(sql, params, tuple(keys), models, code)


def _shown(kind: Kind, model: type[Model], ids: list[int], query: str) -> dict[int, Model]:
    """The rows shown, by id, with what their title and subtitle read (one query, prepared:
    its plan, a lookup by key, is the same whatever the ids)."""
    qs = model._default_manager.filter(pk__in=ids).select_related(*kind.related).order_by()
    tsquery = None if _is_code(query) or not _is_postgresql() else _prefix_tsquery(query)
    if tsquery is not None and (kind.document or kind.key == "register"):
        qs = qs.annotate(
            _headline=SearchHeadline(
                kind.title_field,
                tsquery,
                config="russian",
                start_sel=_START,
                stop_sel=_STOP,
                highlight_all=True,
            )
        )
    with prepared(qs.db):
        return {row.pk: row for row in qs}


def _title(kind: Kind, row, query: str) -> SafeString:
    headline = getattr(row, "_headline", None)
    if headline is not None and _START in headline:
        return _marked(headline)
    value = row
    for part in kind.title_field.split("__"):
        value = getattr(value, part)
    return highlight(str(value), query)


def _url(kind: Kind, row) -> str:
    if kind.url_name:
        return reverse(kind.url_name, args=[row.pk])
    return reverse(kind.list_url_name) + "?" + urlencode({kind.list_parameter: row.okpd2})


def _more_url(kind: Kind, query: str) -> str:
    if kind.list_parameter == "okpd2" and not _is_code(query):
        return ""
    return reverse(kind.list_url_name) + "?" + urlencode({kind.list_parameter: query})


def _groups(kinds: tuple[Kind, ...], user, query: str, size: int) -> list[Group]:
    """The kinds' groups: one query ranks and counts them all, one more per kind with rows
    reads the rows shown. Each kind's scope is built once (``_scoped``) for all of it."""
    ranking = _ranking(kinds, user, query, size)
    ranked = ranking.run(query)
    groups = []
    for kind in kinds:
        found = ranked.get(kind.key, [])
        model = ranking.models.get(kind.key)
        if not found or model is None:
            groups.append(Group(kind.key, kind.label, 0, [], ""))
            continue
        rows = _shown(kind, model, [pk for pk, _r, _t in found], query)
        hits = [
            Hit(
                kind=kind.key,
                id=pk,
                title=_title(kind, rows[pk], query),
                subtitle=_subtitle(kind, rows[pk], query),
                url=_url(kind, rows[pk]),
                rank=round(rank, 4),
            )
            for pk, rank, _total in found
            if pk in rows
        ]
        total = found[0][2]
        groups.append(
            Group(
                kind.key,
                kind.label,
                total,
                hits,
                _more_url(kind, query),
                capped=total >= CANDIDATES,
            )
        )
    return groups


def _subtitle(kind: Kind, row, query: str) -> SafeString:
    code = str(kind.code_of(row))
    subtitle = escape(kind.subtitle(row))
    if not code:
        return subtitle
    return mark_safe(f"{highlight(code, query)} · {subtitle}")  # noqa: S308 (both escaped)


def search_visible_to(user, raw_query: str | None, *, kind: str | None = None) -> list[Group]:
    """The groups of rows matching ``raw_query`` that ``user`` may see: one per kind (or
    only ``kind``), ranked, highlighted, each with the count of all its matches. Raises
    :class:`SearchQueryError` for an empty or too long query, ``KeyError`` for a kind that
    does not exist."""
    query = clean_query(raw_query)
    if kind is not None:
        return _groups((KINDS_BY_KEY[kind],), user, query, KIND_SIZE)
    return _groups(KINDS, user, query, GROUP_SIZE)


# --- import substitution ---------------------------------------------------------------------


@dataclass
class Substitute:
    offer: Model
    score: float
    same_class: bool
    text_match: bool


@dataclass
class SupplierSuggestion:
    supplier: Model
    score: float
    offers: list[Model]


def substitutes_for(demand, user, *, size: int = SUBSTITUTES_SIZE) -> list[Substitute]:
    """Offers in ``user``'s scope that could replace the item ``demand`` wants: in the
    pipeline (not drafts or rejected), of the demand's OKPD2 class (the same 4-digit class,
    or a code that prefixes either way) or similar by text to its title and imported analog;
    ranked by class closeness + text rank + name similarity. One query."""
    category = (demand.category or "").strip()
    # Offers still or already in the pipeline can replace an imported item; drafts and
    # rejected offers cannot.
    qs = (
        offers_visible_to(user)
        .filter(status__in=IN_PIPELINE)
        .select_related("supplier", "supplier__region")
    )
    # The demand's code and the offer's are prefixes of each other (as the demand coverage
    # matches them), or they share the demand's 4-digit class (28.14 for 28.14.11).
    exact = okpd2.q_related(category)
    group_class = okpd2.class_of(category, 4)
    same_class = okpd2.q_falls_under([group_class]) if len(group_class) == 5 else exact
    class_rank = Case(
        When(exact, then=Value(1.0)),
        When(same_class, then=Value(0.5)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    text = " ".join(p for p in (demand.title, demand.replaces) if p)
    condition = exact | same_class
    text_rank = Value(0.0, output_field=FloatField())
    # Whether the offer's own text holds a word of the demand's: read for the rows shown
    # only (it takes no part in the order, so PostgreSQL computes it after the LIMIT).
    text_hit = Value(False, output_field=BooleanField())
    if _is_postgresql():
        tsquery = _any_word_tsquery(text)
        if tsquery is not None:
            document = SearchVector("name", "description", "replaces", config="russian")
            qs = qs.alias(_document=document)
            condition |= Q(_document=tsquery)
            text_rank = _title_rank(demand.title, "name")
            text_hit = ExpressionWrapper(Q(_document=tsquery), output_field=BooleanField())
    else:
        for word in _words(text):
            if len(word) >= 4:
                for variant in {word.lower(), word.capitalize()}:
                    condition |= Q(name__contains=variant) | Q(replaces__contains=variant)
    qs = (
        qs.filter(condition)
        .annotate(
            _class=class_rank,
            _text=text_rank,
            _score=class_rank + text_rank,
            _text_hit=text_hit,
        )
        .order_by(F("_score").desc(), "-pk")
    )
    return [
        Substitute(
            offer=o,
            score=round(float(o._score), 4),
            same_class=o._class > 0,
            text_match=bool(o._text_hit) or o._text >= TEXT_MATCH_SIMILARITY,
        )
        for o in qs[:size]
    ]


def supplier_suggestions(substitutes: list[Substitute]) -> list[SupplierSuggestion]:
    """The suppliers of ``substitutes``, each scored by its best offer, best first."""
    by_supplier: dict[int, SupplierSuggestion] = {}
    for item in substitutes:
        supplier = item.offer.supplier
        entry = by_supplier.setdefault(
            supplier.pk, SupplierSuggestion(supplier=supplier, score=item.score, offers=[])
        )
        entry.score = max(entry.score, item.score)
        entry.offers.append(item.offer)
    return sorted(by_supplier.values(), key=lambda s: (-s.score, s.supplier.name, s.supplier.pk))
