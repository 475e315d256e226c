"""Every figure of a yearly report against the tables, for two years of the demo.

The expected figures come from SQL over the tables written here (not from the report's
functions); every figure cell of the report carries a ``data-figure`` key, and the keys the
report shows must be exactly the ones computed here, so a figure added to the report
without a check here fails the test. The demo's own history happens today; on top of it the
test writes a history dated 2017 to 2022 (the clock set to those days, the history is
append-only) so that every kind of figure has something to count in both years.
"""

import datetime
import io
import re
import subprocess
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import pypdf
import pytest
from django.db import connection
from django.utils import timezone

from certification.models import Certificate, CertificateEvent
from certification.services import applicable_requirements
from procurement.models import Contract
from roadmap_portal.choices import ReportStatus
from roadmap_portal.insights.reports import report_build
from roadmap_portal.models import CertificationBody, Corporation, Demand, Region, Report, Roadmap
from suppliers.models import Offer
from suppliers.services import offer_transition
from tests.demo_data import load_demo
from tests.factories import (
    ContractFactory,
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

STAGES = [
    "submitted",
    "forwarded",
    "requirements_met",
    "readiness_confirmed",
    "tested",
    "certified",
    "registered",
]
TEXT_END = {"start": 0.0, "middle": 0.5, "end": 1.0}
VOID = {"br", "img", "meta", "link", "input", "hr", "col", "wbr"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- the clock --------------------------------------------------------------------------


def at(day: str, hour: int = 12):
    """The portal's clock set to ``day`` (noon, portal time): rows written meanwhile are
    dated that day (``auto_now_add``)."""
    moment = timezone.make_aware(
        datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour))
    )
    return mock.patch("django.utils.timezone.now", return_value=moment)


# --- reading the report -----------------------------------------------------------------


class Figures(HTMLParser):
    """``data-figure`` key → the element's text (whitespace collapsed), and the charts."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.open: list[list[Any]] = []  # [key, depth, text parts]
        self.depth = 0
        self.charts: list[dict[str, Any]] = []
        self.text_attrs: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "svg":
            width, height = attributes["viewbox"].split()[2:]
            self.charts.append({"width": float(width), "height": float(height), "texts": []})
        if tag == "text":
            self.text_attrs = attributes
            self.charts[-1]["texts"].append([attributes, ""])
        if tag in VOID:
            return
        self.depth += 1
        if "data-figure" in attributes:
            self.open.append([attributes["data-figure"], self.depth, []])

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag == "text":
            self.text_attrs = None
        if self.open and self.open[-1][1] == self.depth:
            key, _depth, parts = self.open.pop()
            assert key not in self.figures, f"{key} shown twice"
            self.figures[key] = " ".join("".join(parts).split())
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        for item in self.open:
            item[2].append(data)
        if self.text_attrs is not None:
            self.charts[-1]["texts"][-1][1] += data


def read(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


# --- formatting as the report's language writes numbers ---------------------------------


def money(value: Decimal | None, language: str) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(Decimal(1), ROUND_HALF_UP):,}"
    return text.replace(",", " ") if language == "ru" else text


def decimal_text(value: Decimal, places: int, language: str) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if language == "ru" else text


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percent_text(value: Decimal | None, language: str) -> str:
    return "—" if value is None else decimal_text(value, 1, language) + " %"


# --- the expected figures, from the tables ----------------------------------------------


def rows(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def expected_figures(series: list[int], year: int, language: str) -> dict[str, str]:
    """Every figure of the ``year`` report of the roadmap series ``series`` (ids, oldest
    first; one region and one group), from the tables."""
    (region_id, group_id, first_year) = rows(
        "SELECT region_id, corporation_id, start_year FROM roadmap_portal_roadmap WHERE id = %s",
        [series[0]],
    )[0]
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
    last_day = datetime.date(year, 12, 31)
    group = [
        r[0]
        for r in rows(
            "SELECT id FROM roadmap_portal_corporation WHERE id = %s OR parent_id = %s",
            [group_id, group_id],
        )
    ]
    contracts_of_pair = """
        FROM procurement_contract c JOIN suppliers_supplier s ON s.id = c.supplier_id
        JOIN roadmap_portal_corporation k ON k.id = c.customer_id
        WHERE s.region_id = %s AND c.customer_id = ANY(%s)"""
    figures: dict[str, str] = {}

    # Volume: contracts of the year when there are any, else the reported figure.
    contracts = dict(
        rows(
            "SELECT EXTRACT(YEAR FROM c.signed_on)::int, SUM(c.amount)"
            + contracts_of_pair
            + " GROUP BY 1",
            [region_id, group],
        )
    )
    reported = dict(
        rows(
            "SELECT year, amount FROM roadmap_portal_reportedvolume WHERE roadmap_id = ANY(%s)",
            [series],
        )
    )
    targets = dict(
        rows(
            "SELECT year, amount FROM roadmap_portal_roadmaptarget WHERE roadmap_id = ANY(%s)",
            [series],
        )
    )
    known = []
    source_text = {
        "contracts": {"en": "contracts in the portal", "ru": "договоры на портале"},
        "reported": {"en": "reported", "ru": "по отчётности"},
    }
    for y in range(first_year, year + 1):
        source = "contracts" if y in contracts else "reported" if y in reported else None
        amount = contracts.get(y, reported.get(y))
        target = targets.get(y)
        fulfilment = percent(amount, target) if amount is not None and target else None
        no_data = {"en": "no data", "ru": "нет данных"}[language]
        figures[f"volume.0.{y}.amount"] = no_data if amount is None else money(amount, language)
        figures[f"volume.0.{y}.source"] = source_text[source][language] if source else "—"
        figures[f"volume.0.{y}.target"] = money(target, language)
        figures[f"volume.0.{y}.fulfilment"] = percent_text(fulfilment, language)
        if amount is not None:
            known.append(amount)
        if y == year:
            figures["volume.0.kpi.amount"] = money(amount, language)
            figures["volume.0.kpi.fulfilment"] = percent_text(fulfilment, language)
    growth = (
        (known[-1] / known[0]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if len(known) > 1 and known[0]
        else None
    )
    figures["volume.0.kpi.growth"] = (
        "—" if growth is None else decimal_text(growth, 2, language) + "×"
    )

    # Contracts signed in the year, by supplier and by customer (the ten biggest).
    in_year = " AND c.signed_on BETWEEN %s AND %s"
    params = [region_id, group, datetime.date(year, 1, 1), last_day]
    (total,) = rows("SELECT SUM(c.amount)" + contracts_of_pair + in_year, params)[0]
    for kind, name in (("supplier", "s.name"), ("customer", "k.short_name")):
        ranked = rows(
            f"SELECT {name}, COUNT(*), SUM(c.amount)"
            + contracts_of_pair
            + in_year
            + f" GROUP BY c.{kind}_id, {name} ORDER BY 3 DESC, 1 LIMIT 10",
            params,
        )
        for i, (label, count, amount) in enumerate(ranked):
            figures[f"contracts.{kind}.{i}.name"] = label
            figures[f"contracts.{kind}.{i}.contracts"] = str(count)
            figures[f"contracts.{kind}.{i}.total"] = money(amount, language)
            figures[f"contracts.{kind}.{i}.share"] = percent_text(percent(amount, total), language)
    if total is not None:
        figures["contracts.total"] = money(total, language)

    # Offers: the furthest stage each had reached, and its stage, at two moments.
    history = defaultdict(list)
    offers = rows(
        "SELECT id, import_substitution FROM suppliers_offer WHERE roadmap_id = ANY(%s)",
        [series],
    )
    for offer_id, to_status, created in rows(
        "SELECT t.offer_id, t.to_status, t.created FROM suppliers_offertransition t "
        "JOIN suppliers_offer o ON o.id = t.offer_id WHERE o.roadmap_id = ANY(%s) "
        "ORDER BY t.created, t.id",
        [series],
    ):
        history[offer_id].append((to_status, created))

    def reached(moment: datetime.datetime) -> list[int]:
        counts = [0] * len(STAGES)
        for offer_id, _substitute in offers:
            passed = [STAGES.index(s) for s, c in history[offer_id] if c < moment and s in STAGES]
            for i in range(max(passed, default=-1) + 1):
                counts[i] += 1
        return counts

    by_end, by_start = reached(end), reached(start)
    for i, stage in enumerate(STAGES):
        figures[f"funnel.{stage}.count"] = str(by_end[i])
        figures[f"funnel.{stage}.conversion"] = percent_text(
            percent(by_end[i], by_end[i - 1]) if i else None, language
        )
        figures[f"funnel.{stage}.in_year"] = str(by_end[i] - by_start[i])

    def stage_then(offer_id: int) -> str | None:
        before = [s for s, c in history[offer_id] if c < end]
        return before[-1] if before else None

    beyond = [sub for oid, sub in offers if stage_then(oid) not in (None, "draft")]
    registered = [sub for oid, sub in offers if stage_then(oid) == "registered"]
    figures["offers.beyond_draft"] = str(len(beyond))
    figures["offers.substitutes"] = (
        f"{sum(beyond)} ({percent_text(percent(sum(beyond), len(beyond)), language)})"
    )
    figures["offers.registered"] = str(len(registered))
    figures["offers.registered_substitutes"] = (
        f"{sum(registered)} ({percent_text(percent(sum(registered), len(registered)), language)})"
    )
    figures["offers.submitted_in_year"] = str(
        sum(
            1
            for oid, _sub in offers
            if any(s == "submitted" and start <= c < end for s, c in history[oid])
        )
    )

    # Suppliers of the region.
    new, by_then = rows(
        "SELECT COUNT(*) FILTER (WHERE created >= %s AND created < %s), "
        "COUNT(*) FILTER (WHERE created < %s) FROM suppliers_supplier WHERE region_id = %s",
        [start, end, end, region_id],
    )[0]
    figures["suppliers.new"], figures["suppliers.total"] = str(new), str(by_then)

    # Certificates of the series' offers: issued in the year; valid on 31 December.
    certificates = rows(
        "SELECT DISTINCT c.id, c.issued_on, c.valid_until FROM certification_certificate c "
        "JOIN certification_certificate_offers co ON co.certificate_id = c.id "
        "JOIN suppliers_offer o ON o.id = co.offer_id WHERE o.roadmap_id = ANY(%s)",
        [series],
    )
    issued = valid = 0
    for certificate_id, issued_on, valid_until in certificates:
        issued += issued_on.year == year
        events = rows(
            "SELECT status FROM certification_certificateevent WHERE certificate_id = %s "
            "AND created < %s ORDER BY created DESC, id DESC LIMIT 1",
            [certificate_id, end],
        )
        status = events[0][0] if events else "valid"
        valid += issued_on <= last_day <= valid_until and status not in ("suspended", "revoked")
    figures["certificates.issued"], figures["certificates.valid"] = str(issued), str(valid)

    # Demands of the group: published in the year; open on 31 December and not covered by
    # an offer of the region registered by then.
    demands = rows(
        "SELECT id, title, deadline, created FROM roadmap_portal_demand WHERE customer_id = ANY(%s) "
        "ORDER BY deadline NULLS LAST, id",
        [group],
    )
    figures["demands.published"] = str(sum(1 for d in demands if start <= d[3] < end))
    answers = defaultdict(list)
    for offer_id, demand_id in rows(
        "SELECT o.id, o.demand_id FROM suppliers_offer o JOIN suppliers_supplier s "
        "ON s.id = o.supplier_id WHERE o.demand_id IS NOT NULL AND s.region_id = %s",
        [region_id],
    ):
        answers[demand_id].append(offer_id)
    covered_offers = set()
    for offer_id, to_status, created in rows(
        "SELECT DISTINCT ON (offer_id) offer_id, to_status, created "
        "FROM suppliers_offertransition WHERE created < %s ORDER BY offer_id, created DESC, id DESC",
        [end],
    ):
        if to_status == "registered":
            covered_offers.add(offer_id)
    open_demands = [
        title
        for demand_id, title, deadline, created in demands
        if created < end
        and (deadline is None or deadline >= last_day)
        and not covered_offers.intersection(answers[demand_id])
    ]
    figures["demands.open"] = str(len(open_demands))
    for i, title in enumerate(open_demands[:10]):
        figures[f"demands.row.{i}"] = title
    return figures


# --- the charts: no text past the chart's edge ------------------------------------------


def font_widths():
    from fontTools.ttLib import TTFont

    fonts = {}
    for weight, pattern in (("normal", "DejaVu Sans"), ("bold", "DejaVu Sans:bold")):
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=True
        ).stdout
        font = TTFont(path)
        fonts[weight] = (font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm)
    return fonts


def assert_no_text_cut(charts: list[dict[str, Any]], fonts) -> None:
    assert charts, "the report draws charts"
    for chart in charts:
        for attrs, content in chart["texts"]:
            cmap, hmtx, units = fonts["bold" if attrs.get("font-weight") == "bold" else "normal"]
            size = float(attrs["font-size"])
            width = sum(hmtx[cmap[ord(ch)]][0] for ch in content) / units * size
            left = float(attrs["x"]) - width * TEXT_END[attrs.get("text-anchor", "start")]
            assert left >= 0 and left + width <= chart["width"], (
                f"{content!r} spans {left:.1f}–{left + width:.1f} of {chart['width']}"
            )


# --- the dated history on top of the demo -----------------------------------------------


def dated_history() -> None:
    """Offers, demands, suppliers and certificates of the Tomsk roadmaps dated 2017–2022."""
    tomsk = Region.objects.get(code="RU-TOM")
    interrao = Corporation.objects.get(short_name="Интер РАО")
    generation = Corporation.objects.get(short_name="Томская генерация")
    tomsk_2014 = Roadmap.objects.get(region=tomsk, start_year=2014)
    tomsk_2018 = Roadmap.objects.get(region=tomsk, start_year=2018)
    staff = user_with_role("region_staff", region=tomsk)
    reviewer = user_with_role("reviewer", corporation=interrao)
    body = CertificationBody.objects.get()

    def offer(roadmap: Roadmap, day: str, name: str, *, substitute: bool, demand=None) -> Offer:
        with at(day):
            supplier = SupplierFactory(region=tomsk, name=f"Поставщик {name}")
            return OfferFactory(
                supplier=supplier,
                roadmap=roadmap,
                name=name,
                import_substitution=substitute,
                replaces="Siemens" if substitute else "",
                demand=demand,
            )

    def step(item: Offer, day: str, action: str, **extra: Any) -> None:
        item.refresh_from_db()
        if action == "submit":
            who = user_with_role("supplier", supplier=item.supplier)
        else:
            who = staff if action in ("forward", "return") else reviewer
        today = datetime.date.fromisoformat(day)
        data = {
            "accept": {
                "requirements": [
                    {"requirement": r.pk, "outcome": "met"} for r in applicable_requirements(item)
                ]
            },
            "confirm_readiness": {
                "capacity_confirmed": True,
                "site_visit_on": (today - datetime.timedelta(days=3)).isoformat(),
                "findings": "Готово",
            },
            "pass_tests": {
                "test": {
                    "kind": "bench",
                    "started_on": (today - datetime.timedelta(days=9)).isoformat(),
                    "finished_on": (today - datetime.timedelta(days=2)).isoformat(),
                    "result": "passed",
                }
            },
        }.get(action, {})
        with at(day):
            offer_transition(offer_id=item.pk, user=who, action=action, data=data, **extra)

    # 2017: one offer forwarded, one returned to draft; two demands, one closed by 31 Dec.
    with at("2017-09-01"):
        open_2017 = DemandFactory(
            customer=generation, title="Трансформаторы 2017", deadline="2018-06-30"
        )
        DemandFactory(customer=generation, title="Кабель 2017", deadline="2017-10-01")
    forwarded = offer(tomsk_2014, "2017-03-10", "Двигатели 2017", substitute=True)
    step(forwarded, "2017-03-11", "submit")
    step(forwarded, "2017-04-01", "forward")
    returned = offer(tomsk_2014, "2017-05-05", "Светильники 2017", substitute=False)
    step(returned, "2017-05-06", "submit")
    step(returned, "2017-06-01", "return", comment="Нужен паспорт")
    # 2018: the forwarded offer's requirements are met (a later year for the 2017 report).
    step(forwarded, "2018-02-01", "accept")
    # 2020–2021: an offer answers a 2021 demand and is registered in May 2021.
    with at("2021-01-10"):
        answered = DemandFactory(customer=interrao, title="Датчики 2021", deadline="2023-01-01")
        DemandFactory(customer=generation, title="Насосы 2021", deadline=None)
    registered = offer(tomsk_2018, "2020-11-01", "Датчики ИТП", substitute=True, demand=answered)
    step(registered, "2020-11-02", "submit")
    for day, action in (
        ("2021-01-15", "forward"),
        ("2021-02-01", "accept"),
        ("2021-03-01", "confirm_readiness"),
        ("2021-04-01", "pass_tests"),
        ("2021-05-01", "register"),
    ):
        step(registered, day, action)
    step(forwarded, "2021-06-01", "confirm_readiness")
    step(forwarded, "2022-03-01", "pass_tests")  # after 2021
    # Certificates of the registered offer: valid through 2021; suspended in 2021; old.
    for number, issued, until, suspended in (
        ("T-1", "2021-04-15", "2024-04-15", "2022-02-01"),
        ("T-2", "2021-02-01", "2025-01-01", "2021-11-01"),
        ("T-3", "2019-01-10", "2020-01-10", None),
    ):
        with at(issued):
            certificate = Certificate.objects.create(
                number=number,
                body=body,
                supplier=registered.supplier,
                issued_on=issued,
                valid_until=until,
            )
            certificate.offers.add(registered)
            CertificateEvent.objects.create(certificate=certificate, kind="issued", status="valid")
        if suspended:
            with at(suspended):
                CertificateEvent.objects.create(
                    certificate=certificate, kind="suspended", status="suspended"
                )
    assert open_2017.pk


def test_every_figure_of_the_2017_and_2021_reports_matches_the_tables():
    load_demo()
    dated_history()
    tomsk_2014 = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    tomsk_2018 = Roadmap.objects.get(region__code="RU-TOM", start_year=2018)
    series = [tomsk_2014.pk, tomsk_2018.pk]
    fonts = font_widths()
    shown = {}
    for year, language in ((2017, "en"), (2017, "ru"), (2021, "en"), (2021, "ru")):
        report = Report.objects.create(
            scope="roadmap",
            roadmap=tomsk_2014,
            subject_key=f"roadmap:{tomsk_2014.pk}:{language}",
            year=year,
            language=language,
        )
        assert report_build(report_id=report.pk) == ReportStatus.DONE
        report.refresh_from_db()
        page = read(report.html)
        expected = expected_figures(series, year, language)
        assert page.figures == expected, (year, language)
        assert_no_text_cut(page.charts, fonts)
        with report.pdf.open("rb") as handle:
            pdf = " ".join(
                " ".join(p.extract_text().split())
                for p in pypdf.PdfReader(io.BytesIO(handle.read())).pages
            )
        for key, text in expected.items():
            if (
                re.search(r"\d", text)
                and len(text) >= 5
                and key.startswith(("volume", "contracts"))
            ):
                assert text in pdf, (year, language, key, text)
        shown[year, language] = page.figures
    # What the two years show, pinned (en): the 2017 report counts nothing of later years.
    in_2017, in_2021 = shown[2017, "en"], shown[2021, "en"]
    assert [in_2017[f"funnel.{s}.count"] for s in STAGES] == ["2", "1", "0", "0", "0", "0", "0"]
    assert in_2017["offers.beyond_draft"] == "1" and in_2017["offers.submitted_in_year"] == "2"
    assert in_2017["offers.substitutes"] == "1 (100.0 %)"
    assert (in_2017["demands.published"], in_2017["demands.open"]) == ("2", "1")
    assert in_2017["demands.row.0"] == "Трансформаторы 2017"
    assert in_2017["suppliers.new"] == in_2017["suppliers.total"] == "2"
    assert in_2017["volume.0.kpi.amount"] == "1,347,000,000"
    assert in_2017["volume.0.kpi.growth"] == "8.98×"
    assert "contracts.total" not in in_2017
    assert [in_2021[f"funnel.{s}.count"] for s in STAGES] == ["3", "2", "2", "2", "1", "1", "1"]
    assert [in_2021[f"funnel.{s}.in_year"] for s in STAGES] == ["0", "1", "1", "2", "1", "1", "1"]
    assert (in_2021["offers.registered"], in_2021["offers.registered_substitutes"]) == (
        "1",
        "1 (100.0 %)",
    )
    assert (in_2021["certificates.issued"], in_2021["certificates.valid"]) == ("2", "1")
    assert (in_2021["demands.published"], in_2021["demands.open"]) == ("2", "1")
    assert in_2021["demands.row.0"] == "Насосы 2021"
    assert in_2021["contracts.total"] == "1,655,000,000"
    assert in_2021["volume.0.kpi.fulfilment"] == "97.4 %"


def test_a_demand_offer_contract_or_certificate_after_the_year_is_not_in_its_report():
    region = RegionFactory()
    group = CorporationFactory()
    roadmap = RoadmapFactory(region=region, corporation=group, start_year=2016, end_year=2020)
    with at("2017-06-01"):
        supplier = SupplierFactory(region=region, name="Supplier of 2017")
        early = OfferFactory(supplier=supplier, roadmap=roadmap, name="Offer of 2017")
        DemandFactory(customer=group, title="Demand of 2017", deadline=None)
    member = user_with_role("supplier", supplier=supplier)
    with at("2017-06-02"):
        offer_transition(offer_id=early.pk, user=member, action="submit")
    ContractFactory(
        supplier=supplier, customer=group, amount=Decimal(5_000_000), signed_on="2017-07-01"
    )
    # Everything below happens in 2018 or later.
    with at("2018-01-01", hour=0):  # the first moment of 2018 in the portal's time zone
        late_supplier = SupplierFactory(region=region, name="Supplier of 2018")
        late = OfferFactory(supplier=late_supplier, roadmap=roadmap, name="Offer of 2018")
        DemandFactory(customer=group, title="Demand of 2018", deadline=None)
        offer_transition(
            offer_id=early.pk, user=user_with_role("region_staff", region=region), action="forward"
        )
        offer_transition(
            offer_id=late.pk,
            user=user_with_role("supplier", supplier=late_supplier),
            action="submit",
        )
    ContractFactory(
        supplier=late_supplier, customer=group, amount=Decimal(7_000_000), signed_on="2018-01-01"
    )
    with at("2027-03-01"):
        DemandFactory(customer=group, title="Demand of 2027", deadline="2027-12-31")
    certificate = Certificate.objects.create(
        number="C-2018",
        body=CertificationBody.objects.create(name="Body", short_name="B"),
        supplier=supplier,
        issued_on="2018-02-01",
        valid_until="2020-02-01",
    )
    certificate.offers.add(early)
    report = Report.objects.create(
        scope="roadmap", roadmap=roadmap, subject_key="roadmap:late", year=2017, language="en"
    )
    assert report_build(report_id=report.pk) == ReportStatus.DONE
    report.refresh_from_db()
    figures = read(report.html).figures
    for later in ("Supplier of 2018", "Offer of 2018", "Demand of 2018", "Demand of 2027"):
        assert later not in report.html
    assert figures["contracts.supplier.0.name"] == "Supplier of 2017"
    assert "contracts.supplier.1.name" not in figures
    assert figures["contracts.total"] == "5,000,000"
    assert figures["funnel.submitted.count"] == "1"
    assert figures["funnel.forwarded.count"] == "0"
    assert figures["offers.beyond_draft"] == "1"
    assert figures["offers.submitted_in_year"] == "1"
    assert (figures["demands.published"], figures["demands.open"]) == ("1", "1")
    assert figures["demands.row.0"] == "Demand of 2017"
    assert (figures["suppliers.new"], figures["suppliers.total"]) == ("1", "1")
    assert (figures["certificates.issued"], figures["certificates.valid"]) == ("0", "0")
    assert Demand.objects.count() == 3 and Contract.objects.count() == 2
