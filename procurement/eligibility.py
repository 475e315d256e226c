"""Tender eligibility: the five checks, each with its reason.

One evaluation serves one pair or many: ``evaluate_many`` loads what every pair needs
in a fixed number of set-based queries (groups, regions, active roadmaps, offers in the
tenders' categories, active register entries, certificates of those offers) and decides
each pair in memory, so the number of queries does not grow with suppliers or tenders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, ngettext, override

from certification import rules
from certification.choices import CertificateStatus
from certification.models import Certificate, RegisterEntry
from roadmap_portal import okpd2
from roadmap_portal.choices import RoadmapStatus
from roadmap_portal.expressions import IdIn
from roadmap_portal.models import Corporation, Region, Roadmap
from roadmap_portal.translation_cache import cached_gettext as _
from roadmap_portal.translation_cache import current_language, fixed_language, in_language
from suppliers.choices import OfferStatus, VerificationStatus
from suppliers.models import Offer, Supplier
from suppliers.pipeline import CORPORATE

from .categories import HasCategoryIn
from .choices import TenderStatus
from .models import Tender

if TYPE_CHECKING:
    from django.db.models import Choices
    from django_stubs_ext import StrPromise

# Two checks that depend on the supplier and the group only (supplier verified, roadmap
# active), and every result of an evaluation by (tender id, supplier id).
Standing = tuple["Check", "Check"]
Results = dict[tuple[int, int], "Eligibility"]

# Up to this many suppliers, their register entries are read by supplier id as well.
FEW_SUPPLIERS = 100

RULES = (
    "supplier_verified",
    "roadmap_active",
    "registered_offer",
    "certificate_valid",
    "tender_open",
)
# What a person reads for each rule (the API answers the rule's name).
RULE_LABELS = {
    "supplier_verified": gettext_lazy("Supplier verified"),
    "roadmap_active": gettext_lazy("Active roadmap"),
    "registered_offer": gettext_lazy("Registered offer in the tender's categories"),
    "certificate_valid": gettext_lazy("Certificate valid through the deadline"),
    "tender_open": gettext_lazy("Tender open"),
}


class Check:
    """One check's outcome. Its ``detail`` (the reason a person reads) is worded when first
    read, in the language of the evaluation: a tender's thousands of pairs are decided, and
    only the reasons shown are written."""

    __slots__ = ("_detail", "_language", "passed", "rule")

    def __init__(
        self,
        rule: str,
        passed: bool,
        detail: str | Callable[[], str],
        language: str | None = None,
    ):
        self.rule = rule
        self.passed = passed
        self._detail = detail
        self._language = language

    @property
    def detail(self) -> str:
        detail = self._detail
        if not isinstance(detail, str):
            detail = self._detail = in_language(detail, self._language)
        return detail

    @property
    def label(self) -> StrPromise:
        return RULE_LABELS[self.rule]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "passed": self.passed, "detail": self.detail}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Check):
            return NotImplemented
        return (self.rule, self.passed, self.detail) == (other.rule, other.passed, other.detail)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Check({self.rule!r}, {self.passed!r}, {self.detail!r})"


class Eligibility:
    """A supplier's standing for a tender: the five checks and, when it is eligible or has
    registered offers, the offers it may bid with (found when first read)."""

    __slots__ = ("_offers", "checks", "supplier", "tender")

    def __init__(
        self,
        tender: Tender | TenderFacts,
        supplier: Supplier | SupplierFacts,
        checks: list[Check],
        offers: list[OfferFacts] | Callable[[], list[OfferFacts]] | None = None,
    ):
        self.tender = tender
        self.supplier = supplier
        self.checks = checks
        self._offers = [] if offers is None else offers

    @property
    def offers(self) -> list[OfferFacts]:
        offers = self._offers
        if not isinstance(offers, list):
            offers = self._offers = offers()
        return offers

    @property
    def eligible(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def first_failure(self) -> Check | None:
        for check in self.checks:
            if not check.passed:
                return check
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "checks": [c.as_dict() for c in self.checks]}


@dataclass(slots=True)
class TenderFacts:
    """What a supplier's list of open tenders reads of a tender (hundreds are read as rows,
    not as model instances): what the checks decide with and what the list shows."""

    pk: int
    customer_id: int
    number: str
    title: str
    deadline: date
    status: str
    categories: list[str]
    customer: Corporation


@dataclass(slots=True)
class SupplierFacts:
    """What eligibility reads of a supplier (a tender's thousands of candidates are read as
    rows, not as model instances)."""

    pk: int
    name: str
    region_id: int
    verification_status: str


# Reasons are written for thousands of pairs at once: translate (``_``: cached_gettext) and
# format each once, in the language read once per call of ``evaluate_many``.
@lru_cache(maxsize=4096)
def _formatted_day(value: date, language: str | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


@dataclass(slots=True)
class OfferFacts:
    """What eligibility reads of an offer (loaded as rows: thousands at a time)."""

    pk: int
    name: str
    okpd2: str
    status: str
    supplier_id: int
    group_id: int
    entry: Any = None
    covering: list[CertificateFacts] = field(default_factory=list)
    certificate: CertificateFacts | None = None

    def get_status_display(self) -> str:
        return _label(OfferStatus, self.status)


@dataclass(slots=True)
class CertificateFacts:
    pk: int
    number: str
    body_id: int
    supplier_id: int
    status: str
    issued_on: date
    valid_until: date

    def get_status_display(self) -> str:
        return _label(CertificateStatus, self.status)


@lru_cache(maxsize=256)
def _translated_label(choices: type[Choices], value: Any, language: str | None) -> str:
    return str(choices(value).label)


def _label(choices: type[Choices], value: Any) -> str:
    """A choice's label, translated once per language rather than once per pair."""
    return _translated_label(choices, value, current_language())


def _day(value: date) -> str:
    return _formatted_day(value, current_language())


def _offer_facts(offers: QuerySet[Offer]) -> list[OfferFacts]:
    """OfferFacts of an offer queryset, in id order."""
    rows = offers.values_list(
        "id", "name", "okpd2", "status", "supplier_id", "roadmap__corporation_id"
    ).order_by("id")
    return [OfferFacts(*row) for row in rows]


def _tender_offers(tender: Tender) -> QuerySet[Offer]:
    """The offers to the tender's group in its categories, at any corporate stage."""
    return Offer.objects.filter(
        okpd2.q_falls_under(tender.categories),
        roadmap__corporation_id=tender.customer.group_id,
        status__in=CORPORATE,
    )


def evaluate_many(
    *,
    tenders: Iterable[Tender | TenderFacts],
    suppliers: Iterable[Supplier | SupplierFacts],
    on: date | None = None,
    offers: list[OfferFacts] | None = None,
    within: QuerySet[Offer] | None = None,
    most_failures: int | None = None,
    groups: dict[int, Corporation] | None = None,
) -> Results:
    """Eligibility of every supplier for every tender: ``{(tender_id, supplier_id): Eligibility}``.

    ``tenders`` is a list of tenders; ``suppliers`` a list or a queryset of suppliers.
    ``offers``, when given, are the OfferFacts already read for them (at least every offer
    of these suppliers to the tenders' groups in the tenders' categories); others are
    ignored. ``within``, when given, is the reader's scoped offer queryset: the checks then
    weigh and name only those offers, so that no detail names an offer the reader may not
    see (a supplier is eligible only through registered offers, which every reader of the
    tender and the supplier sees, so ``eligible`` does not change).
    ``most_failures``, when given, leaves out the pairs that fail more checks than that
    (decided, not written). ``groups``, when given, are the tenders' corporation groups
    already read (with ``required_body``), by id.
    """
    on = on or timezone.localdate()
    tender_list = list(tenders)
    supplier_list = list(suppliers)
    if not tender_list or not supplier_list:
        return {}
    # The fetched ids, not the queryset as a subquery: repeated in several queries, the
    # subquery misleads the planner's row estimates into nested loops.
    by_supplier = IdIn("supplier_id", sorted({s.pk for s in supplier_list}))

    group_ids = {t.customer.group_id for t in tender_list}
    if groups is None or not group_ids <= groups.keys():
        groups = {
            g.pk: g
            for g in Corporation.objects.select_related("required_body").filter(pk__in=group_ids)
        }
    regions = {r.pk: r for r in Region.objects.filter(pk__in={s.region_id for s in supplier_list})}
    roadmaps = {
        (r["region_id"], r["corporation_id"]): r["title"]
        for r in Roadmap.objects.filter(
            status=RoadmapStatus.ACTIVE,
            corporation_id__in=group_ids,
            region_id__in=list(regions),
        )
        # The latest roadmap of a pair names it.
        .order_by("start_year", "id")
        .values("region_id", "corporation_id", "title")
    }
    categories = sorted({c for t in tender_list for c in t.categories})
    supplier_ids = {s.pk for s in supplier_list}
    if offers is None:
        offers = _offer_facts(
            (Offer.objects if within is None else within).filter(
                okpd2.q_falls_under(categories),
                by_supplier,
                roadmap__corporation_id__in=group_ids,
                status__in=CORPORATE,
            )
        )
    # (supplier id, group id): offers
    offers_by_pair: defaultdict[tuple[int, int], list[OfferFacts]] = defaultdict(list)
    for offer in offers:
        if offer.supplier_id in supplier_ids:
            offers_by_pair[(offer.supplier_id, offer.group_id)].append(offer)
    offers_by_id = {o.pk: o for group in offers_by_pair.values() for o in group}
    # Entries are found by their own group and OKPD2 columns (no nested subquery), and by
    # their supplier's when there are few suppliers: for a tender's thousands, the array of
    # their ids costs more to send and intersect than the few rows it leaves out (the
    # group's entries in the categories are those of these suppliers' offers, or nearly).
    # Rows of offers not loaded above are skipped.
    entries = RegisterEntry.objects.filter(
        okpd2.q_falls_under(categories),
        excluded_on__isnull=True,
        corporation_id__in=group_ids,
    )
    if len(supplier_ids) <= FEW_SUPPLIERS:
        entries = entries.filter(by_supplier)
    for offer_id, corporation_id, number, certificate_id in entries.order_by().values_list(
        "offer_id", "corporation_id", "number", "certificate_id"
    ):
        loaded = offers_by_id.get(offer_id)
        if loaded is not None and corporation_id == loaded.group_id:
            loaded.entry = SimpleNamespace(number=number, certificate_id=certificate_id)
    # Certificates through the offers just loaded: reading the certificates of the suppliers
    # and then their offers' codes joins every certificate of thousands of suppliers. The
    # links first, then the certificates by id: joined in one query, the planner expects a
    # link for every offer and reads the whole certificate table.
    covered: defaultdict[int, list[int]] = defaultdict(list)
    if offers_by_id:
        for certificate_id, covered_id in (
            Certificate.offers.through.objects.filter(IdIn("offer_id", sorted(offers_by_id)))
            .order_by()
            .values_list("certificate_id", "offer_id")
        ):
            covered[certificate_id].append(covered_id)
    rows = (
        Certificate.objects.filter(IdIn("id", sorted(covered)))
        .order_by("-valid_until", "-id")
        .values_list("id", "number", "body_id", "supplier_id", "status", "issued_on", "valid_until")
    )
    for row in rows if covered else ():
        certificate = CertificateFacts(*row)
        if certificate.supplier_id not in supplier_ids:
            continue
        for covered_id in covered[certificate.pk]:
            offers_by_id[covered_id].covering.append(certificate)

    with fixed_language():
        return _decide(
            tender_list,
            supplier_list,
            groups,
            regions,
            roadmaps,
            offers_by_pair,
            on,
            most_failures=5 if most_failures is None else most_failures,
        )


def _decide(
    tenders: list[Tender | TenderFacts],
    suppliers: list[Supplier | SupplierFacts],
    groups: dict[int, Corporation],
    regions: dict[int, Region],
    roadmaps: dict[tuple[int, int], str],
    offers_by_pair: dict[tuple[int, int], list[OfferFacts]],
    on: date,
    *,
    most_failures: int,
) -> Results:
    # Reasons are worded when read, in the language of this call.
    language = current_language()
    results: Results = {}
    # The first two checks depend on the supplier and the group only: one supplier against
    # thousands of tenders of a few dozen groups builds each of them once per group.
    standing: dict[tuple[int, int], Standing] = {}
    # Each (supplier, group)'s offers with their codes normalised once, not once per tender.
    coded: dict[tuple[int, int], list[tuple[str, OfferFacts]]] = {}
    for tender in tenders:
        group_id = tender.customer.group_id
        group = groups[group_id]
        categories = okpd2.category_prefixes(tender.categories)
        is_open = _tender_open(tender, on, language)
        deadline = tender.deadline
        required_body_id = group.required_body_id
        for supplier in suppliers:
            key = (supplier.pk, group_id)
            offers = coded.get(key)
            if offers is None:
                offers = coded[key] = [
                    (okpd2.normalise(o.okpd2), o) for o in offers_by_pair.get(key, ())
                ]
            # okpd2.falls_under, with the tender's categories and the codes read once.
            candidates = [o for code, o in offers if code.startswith(categories)]
            registered = [
                o for o in candidates if o.status == OfferStatus.REGISTERED and o.entry is not None
            ]
            # Decided first, from the facts alone; the checks are built only for a pair kept.
            facts = None
            certified = True
            if required_body_id is not None:
                facts = rules.OfferFacts(supplier.pk, required_body_id)
                certified = any(
                    _usable_certificate(o, facts, deadline, on) is not None
                    for o in registered or candidates
                )
            title = roadmaps.get((supplier.region_id, group_id))
            failures = (
                (supplier.verification_status != VerificationStatus.VERIFIED)
                + (not title)
                + (not registered)
                + (not certified)
                + (not is_open.passed)
            )
            if failures > most_failures:
                continue
            pair = standing.get(key)
            if pair is None:
                pair = standing[key] = (
                    _supplier_verified(supplier, language),
                    _roadmap_active(regions.get(supplier.region_id), group, title, language),
                )
            certificate, usable = _certificate_valid(
                group, candidates, registered, facts, deadline, on, language, passed=certified
            )
            results[(tender.pk, supplier.pk)] = Eligibility(
                tender,
                supplier,
                [
                    *pair,
                    Check(
                        "registered_offer",
                        bool(registered),
                        partial(_registered_offer, tender, group, candidates, registered),
                        language,
                    ),
                    certificate,
                    is_open,
                ],
                usable if registered else None,
            )
    return results


def evaluate(
    *,
    tender: Tender | TenderFacts,
    supplier: Supplier,
    on: date | None = None,
    within: QuerySet[Offer] | None = None,
) -> Eligibility:
    """Eligibility of one supplier for one tender (``within``: see ``evaluate_many``)."""
    return evaluate_many(tenders=[tender], suppliers=[supplier], on=on, within=within)[
        (tender.pk, supplier.pk)
    ]


def _supplier_verified(supplier: Supplier | SupplierFacts, language: str | None) -> Check:
    passed = supplier.verification_status == VerificationStatus.VERIFIED
    return Check(
        "supplier_verified", passed, partial(_supplier_verified_detail, supplier, passed), language
    )


def _supplier_verified_detail(supplier: Supplier | SupplierFacts, passed: bool) -> str:
    if passed:
        return _("%(name)s is verified.") % {"name": supplier.name}
    return _("%(name)s is not verified (status: %(status)s).") % {
        "name": supplier.name,
        "status": _label(VerificationStatus, supplier.verification_status),
    }


def _roadmap_active(
    region: Region | None, group: Corporation, title: str | None, language: str | None
) -> Check:
    return Check(
        "roadmap_active",
        bool(title),
        partial(_roadmap_active_detail, region, group, title),
        language,
    )


def _roadmap_active_detail(region: Region | None, group: Corporation, title: str | None) -> str:
    names = {"region": region, "group": group.short_name}
    if title:
        return _("The active roadmap “%(title)s” links %(region)s with %(group)s.") % {
            **names,
            "title": title,
        }
    return _("No active roadmap links %(region)s with the %(group)s group.") % names


def _registered_offer(
    tender: Tender | TenderFacts,
    group: Corporation,
    candidates: list[OfferFacts],
    registered: list[OfferFacts],
) -> str:
    """The registered-offer check's detail."""
    categories = ", ".join(tender.categories)
    if registered:
        offer = registered[0]
        detail = _(
            "“%(offer)s” (OKPD2 %(code)s) is in the %(group)s register, entry № %(number)s."
        ) % {
            "offer": offer.name,
            "code": offer.okpd2,
            "group": group.short_name,
            "number": offer.entry.number,
        }
        if len(registered) > 1:
            more = len(registered) - 1
            with override(current_language()):
                detail += " " + ngettext(
                    "%(count)s more registered offer qualifies.",
                    "%(count)s more registered offers qualify.",
                    more,
                ) % {"count": more}
        return detail
    if candidates:
        offer = candidates[0]
        return _(
            "No offer in categories %(categories)s is in the %(group)s register; "
            "“%(offer)s” (OKPD2 %(code)s) is at the stage “%(status)s”."
        ) % {
            "categories": categories,
            "group": group.short_name,
            "offer": offer.name,
            "code": offer.okpd2,
            "status": offer.get_status_display(),
        }
    return _("The supplier has no offer to %(group)s in categories %(categories)s.") % {
        "group": group.short_name,
        "categories": categories,
    }


def _usable_certificate(
    offer: OfferFacts, facts: rules.OfferFacts, deadline: date, on: date
) -> CertificateFacts | None:
    """The certificate that keeps ``offer`` valid through ``deadline`` (``rules``): the
    register entry's certificate when it does, else the longest-valid other one."""
    entry_certificate_id = offer.entry.certificate_id if offer.entry else None
    # offer.covering: latest expiry first.
    found = rules.usable(offer.covering, facts, on=on, through=deadline)
    for certificate in found:
        if certificate.pk == entry_certificate_id:
            return certificate
    return found[0] if found else None


def _usable_offers(
    offers: list[OfferFacts], facts: rules.OfferFacts, deadline: date, on: date
) -> list[OfferFacts]:
    """Of ``offers``, those with a certificate valid through ``deadline``, each with it."""
    usable = []
    for offer in offers:
        certificate = _usable_certificate(offer, facts, deadline, on)
        if certificate is not None:
            offer.certificate = certificate
            usable.append(offer)
    return usable


def _certificate_valid(
    group: Corporation,
    candidates: list[OfferFacts],
    registered: list[OfferFacts],
    facts: rules.OfferFacts | None,
    deadline: date,
    on: date,
    language: str | None,
    *,
    passed: bool,
) -> tuple[Check, list[OfferFacts] | Callable[[], list[OfferFacts]]]:
    """(the certificate check as decided (``passed``), the offers usable for a bid or the
    function finding them). Looks at registered offers, or at the candidates still in the
    pipeline when none is registered; ``facts`` are None when the group requires no body."""
    if facts is None:
        detail = partial(_no_certificate_required, group)
        return Check("certificate_valid", True, detail, language), list(registered)
    offers = registered or candidates
    usable = partial(_usable_offers, offers, facts, deadline, on)
    detail = partial(_certificate_detail, group, offers, facts, deadline, on)
    return Check("certificate_valid", passed, detail, language), usable


def _no_certificate_required(group: Corporation) -> str:
    return _("%(group)s requires no certificate of compliance.") % {"group": group.short_name}


def _certificate_detail(
    group: Corporation,
    offers: list[OfferFacts],
    facts: rules.OfferFacts,
    deadline: date,
    on: date,
) -> str:
    """The certificate check's detail: the first usable certificate, or why there is none."""
    assert group.required_body is not None  # only asked of a group that requires a body
    body = group.required_body.short_name
    usable = _usable_offers(offers, facts, deadline, on)
    if not usable:
        return _certificate_problem(offers, facts, deadline, body, on)
    offer = usable[0]
    assert offer.certificate is not None  # set for every usable offer
    return _(
        "Certificate № %(number)s of %(body)s for “%(offer)s” is valid until "
        "%(until)s, through the deadline %(deadline)s."
    ) % {
        "number": offer.certificate.number,
        "body": body,
        "offer": offer.name,
        "until": _day(offer.certificate.valid_until),
        "deadline": _day(deadline),
    }


def _certificate_problem(
    offers: list[OfferFacts], facts: rules.OfferFacts, deadline: date, body: str, on: date
) -> str:
    """Why no offer has a usable certificate, told of the required body's certificate that
    is valid longest (``rules.TENDER_MESSAGES``)."""
    messages = rules.TENDER_MESSAGES
    of_body = [
        (offer, c)
        for offer in offers
        for c in offer.covering
        if c.body_id == facts.required_body_id
    ]
    if not of_body:
        if not offers:
            return _(messages["no_offer"]) % {"body": body}
        return _(messages["none_of_body"]) % {"body": body, "offer": offers[0].name}
    offer, certificate = max(of_body, key=lambda pair: pair[1].valid_until)
    names = {
        "number": certificate.number,
        "offer": offer.name,
        "until": _day(certificate.valid_until),
        "deadline": _day(deadline),
    }
    problem = rules.certificate_problem(certificate, facts, on=on, through=deadline)
    if problem == rules.NOT_VALID:
        return _(messages[problem]) % {
            **names,
            "status": certificate.get_status_display().lower(),
        }
    if problem == rules.EXPIRED:
        return _(messages[problem]) % names
    return _(messages[rules.NOT_YET]) % names


def _tender_open(tender: Tender | TenderFacts, on: date, language: str | None) -> Check:
    passed = tender.status == TenderStatus.OPEN and on <= tender.deadline
    return Check("tender_open", passed, partial(_tender_open_detail, tender, on), language)


def _tender_open_detail(tender: Tender | TenderFacts, on: date) -> str:
    names = {"deadline": _day(tender.deadline)}
    if tender.status != TenderStatus.OPEN:
        return _("The tender is %(status)s, not open for bids.") % {
            "status": _label(TenderStatus, tender.status).lower()
        }
    if on > tender.deadline:
        return _("The submission deadline %(deadline)s has passed.") % names
    return _("The tender is open until %(deadline)s.") % names


def suppliers_for_tender(
    tender: Tender, suppliers: QuerySet[Supplier]
) -> tuple[list[Eligibility], list[Eligibility]]:
    """(eligible, near misses) among ``suppliers`` (a scoped queryset): a near miss fails
    exactly one check. Both lists are of Eligibility, ordered by supplier name."""
    # The tender's offers first: their suppliers are the candidates, and the same rows
    # serve the checks (filtered by thousands of supplier ids, the offer query loses the
    # group-and-category index).
    offers = _offer_facts(_tender_offers(tender))
    candidates = [
        SupplierFacts(*row)
        for row in suppliers.filter(IdIn("id", sorted({o.supplier_id for o in offers})))
        .select_related(None)
        .order_by()
        .values_list("id", "name", "region_id", "verification_status")
    ]
    results = evaluate_many(tenders=[tender], suppliers=candidates, offers=offers, most_failures=1)
    ordered = sorted(results.values(), key=lambda e: (e.supplier.name, e.supplier.pk))
    eligible = [e for e in ordered if e.eligible]
    near = [e for e in ordered if not e.eligible]
    return eligible, near


def tenders_for_supplier(supplier: Supplier, tenders: Iterable[Tender]) -> list[Eligibility]:
    """Eligibility of ``supplier`` for each of ``tenders``, in the tenders' order."""
    tender_list = list(tenders)
    results = evaluate_many(tenders=tender_list, suppliers=[supplier])
    return [results[(t.pk, supplier.pk)] for t in tender_list]


def candidate_tenders(supplier: Supplier, tenders: QuerySet[Tender]) -> QuerySet[Tender]:
    """Of ``tenders`` (a queryset), those with a category over an offer of ``supplier`` to
    the customer's group: for every other tender the supplier has no offer to check, so it
    fails both the registered-offer and the certificate checks."""
    categories = _categories_by_group(
        Offer.objects.filter(supplier_id=supplier.pk, status__in=CORPORATE)
        .values_list("roadmap__corporation_id", "okpd2")
        .distinct()
    )
    if not categories:
        return tenders.none()
    corporations = _of_groups(Corporation.objects.all(), categories).values_list("pk", "parent_id")
    return _in_categories(tenders, categories, corporations)


def _categories_by_group(pairs: Iterable[tuple[int, str]]) -> dict[int, set[str]]:
    """{group id: the categories its (group id, OKPD2 code) ``pairs`` fall under}."""
    categories: defaultdict[int, set[str]] = defaultdict(set)
    for group_id, code in pairs:
        categories[group_id].update(okpd2.prefixes(code))
    return categories


def _of_groups(corporations: QuerySet[Corporation], groups: Iterable[int]) -> QuerySet[Corporation]:
    """The groups' heads and their subsidiaries among ``corporations``."""
    return corporations.filter(Corporation.in_groups(list(groups)))


def _in_categories(
    tenders: QuerySet[Tender],
    categories: dict[int, set[str]],
    corporations: Iterable[tuple[int, int | None]],
) -> QuerySet[Tender]:
    """``tenders`` with one of a group's ``categories``, their customer in that group
    (``corporations``: (id, parent id) of the groups' heads and subsidiaries)."""
    customers_by_group: defaultdict[int, list[int]] = defaultdict(list)
    for pk, parent_id in corporations:
        customers_by_group[parent_id or pk].append(pk)
    condition = Q(pk__in=[])
    for group_id, group_categories in categories.items():
        condition |= Q(IdIn("customer_id", customers_by_group[group_id])) & Q(
            HasCategoryIn(group_categories)
        )
    return tenders.filter(condition)


@dataclass
class SupplierTenders:
    """A supplier's standing across tenders: ``may_bid`` and ``may_not`` (Eligibility, in
    the tenders' order) for the tenders in its offers' categories, and how many others
    there are (none of them open to it: it has no offer there)."""

    may_bid: list[Eligibility]
    may_not: list[Eligibility]
    outside: int


def supplier_tenders(supplier: Supplier, tenders: QuerySet[Tender]) -> SupplierTenders:
    """``SupplierTenders`` of ``supplier`` over ``tenders`` (a queryset, in display order)."""
    # The supplier's offers and the corporations of their groups, read once: they pick
    # the candidate tenders, name each one's customer and decide the checks.
    offers = _offer_facts(Offer.objects.filter(supplier_id=supplier.pk, status__in=CORPORATE))
    categories = _categories_by_group((o.group_id, o.okpd2) for o in offers)
    if not categories:
        return SupplierTenders(may_bid=[], may_not=[], outside=tenders.count())
    corporations = {
        c.pk: c for c in _of_groups(Corporation.objects.select_related("required_body"), categories)
    }
    rows = _in_categories(
        tenders, categories, [(c.pk, c.parent_id) for c in corporations.values()]
    ).values_list("id", "customer_id", "number", "title", "deadline", "status", "categories")
    candidates = [TenderFacts(*row, customer=corporations[row[1]]) for row in rows]
    results = evaluate_many(
        tenders=candidates,
        suppliers=[supplier],
        offers=offers,
        groups={pk: c for pk, c in corporations.items() if c.parent_id is None},
    )
    ordered = [results[(t.pk, supplier.pk)] for t in candidates]
    return SupplierTenders(
        may_bid=[r for r in ordered if r.eligible],
        may_not=[r for r in ordered if not r.eligible],
        outside=tenders.count() - len(candidates),
    )
