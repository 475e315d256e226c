"""The demo data, built from the facts of the two real roadmaps.

Every step goes through the services, so the demo's offers carry real history.
Idempotent: reference data is matched by natural keys; the pipeline part is built once.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from certification.choices import CertificateEventKind
from certification.models import Certificate, CertificateEvent, Requirement
from certification.services import applicable_requirements, lapse_certificates
from procurement.eligibility import evaluate
from procurement.models import Bid, Contract, Tender
from roadmap_portal.accounts.models import Profile
from roadmap_portal.conversations.services import message_post
from roadmap_portal.models import (
    CertificationBody,
    Corporation,
    Demand,
    Region,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)
from suppliers.choices import OfferStatus
from suppliers.models import Offer, Supplier
from suppliers.services import offer_create, offer_transition, supplier_verify
from suppliers.validators import inn_with_checksum, ogrn_with_checksum

User = get_user_model()
M = Decimal(1_000_000)


def _corp(name, short_name, inn, parent=None, required_body=None):
    corp, _ = Corporation.objects.update_or_create(
        inn=inn,
        defaults={
            "name": name,
            "short_name": short_name,
            "parent": parent,
            "required_body": required_body,
        },
    )
    return corp


def _user(username, role, first_name, last_name, language="ru", **scope):
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@example.org",
        },
    )
    user.set_password(settings.DEMO_PASSWORD)
    if role == "administrator":
        user.is_staff = user.is_superuser = True
    user.save()
    Profile.objects.update_or_create(
        user=user, defaults={"role": role, "language": language, **scope}
    )
    return user


def _supplier(name, stem, region, kind="manufacturer", **contacts):
    inn = inn_with_checksum(stem)
    supplier, _ = Supplier.objects.get_or_create(
        inn=inn,
        defaults={
            "name": name,
            "ogrn": ogrn_with_checksum(int(f"102{stem:09d}"[:12])),
            "region": region,
            "kind": kind,
            **contacts,
        },
    )
    return supplier


@transaction.atomic
def load_demo():
    tomsk, _ = Region.objects.update_or_create(code="RU-TOM", defaults={"name": "Томская область"})
    kaluga, _ = Region.objects.update_or_create(
        code="RU-KLU", defaults={"name": "Калужская область"}
    )

    intergazcert, _ = CertificationBody.objects.update_or_create(
        short_name="ИНТЕРГАЗСЕРТ",
        defaults={
            "name": "Система добровольной сертификации ИНТЕРГАЗСЕРТ",
            "accreditation": "Рег. № РОСС RU.З1399.04ОГН0",
        },
    )
    gazprom = _corp("ПАО «Газпром»", "Газпром", "7736050003", required_body=intergazcert)
    gazprom_sub = [
        _corp("ООО «Газпром трансгаз Москва»", "Газпром трансгаз Москва", "5003028028", gazprom),
        _corp("ООО «Газпром добыча Надым»", "Газпром добыча Надым", "8903019871", gazprom),
    ]
    interrao = _corp("ПАО «Интер РАО»", "Интер РАО", "2320109650")
    interrao_sub = [
        _corp("АО «Томская генерация»", "Томская генерация", "7017351521", interrao),
        _corp("ООО «Интер РАО – Инжиниринг»", "Интер РАО – Инжиниринг", "7704784072", interrao),
    ]

    tomsk_2014, _ = Roadmap.objects.update_or_create(
        region=tomsk,
        corporation=interrao,
        start_year=2014,
        defaults={
            "title": "Соглашение о сотрудничестве Томской области и ПАО «Интер РАО» 2014–2017",
            "signed_on": datetime.date(2014, 6, 20),
            "end_year": 2017,
            "status": "completed",
            "signatories": "Губернатор Томской области\nПредседатель правления ПАО «Интер РАО»",
        },
    )
    tomsk_2018, _ = Roadmap.objects.update_or_create(
        region=tomsk,
        corporation=interrao,
        start_year=2018,
        defaults={
            "title": "Дорожная карта Томской области и ПАО «Интер РАО» на 2018–2022 годы",
            "signed_on": datetime.date(2018, 2, 15),
            "end_year": 2022,
            "status": "active",
            "previous": tomsk_2014,
            "signatories": "Губернатор Томской области\nПредседатель правления ПАО «Интер РАО»",
        },
    )
    kaluga_2017, _ = Roadmap.objects.update_or_create(
        region=kaluga,
        corporation=gazprom,
        start_year=2017,
        defaults={
            "title": "Дорожная карта Калужской области и ПАО «Газпром» по расширению "
            "использования продукции предприятий региона",
            "signed_on": datetime.date(2017, 11, 29),
            "end_year": 2027,
            "status": "active",
            "signatories": "Губернатор Калужской области\nПредседатель правления ПАО «Газпром»",
        },
    )
    for year, amount in {2018: 1400, 2019: 1500, 2020: 1600, 2021: 1700, 2022: 1800}.items():
        RoadmapTarget.objects.update_or_create(
            roadmap=tomsk_2018, year=year, defaults={"amount": amount * M}
        )
    for year, amount in {2018: 300, 2019: 400, 2020: 500, 2021: 600, 2022: 700}.items():
        RoadmapTarget.objects.update_or_create(
            roadmap=kaluga_2017, year=year, defaults={"amount": amount * M}
        )
    for year, amount in {2014: 150, 2017: 1347}.items():
        ReportedVolume.objects.update_or_create(
            roadmap=tomsk_2014,
            year=year,
            defaults={
                "amount": amount * M,
                "source": "Администрация Томской области, итоги сотрудничества с ПАО «Интер РАО»",
            },
        )

    for corp, reqs in {
        gazprom: [
            (
                "СТО Газпром 2-4.1-212",
                "Общие технические требования к трубопроводной арматуре",
                ["28.14"],
            ),
            ("СТО Газпром 9.1-018", "Защита от коррозии: требования к реагентам", ["20"]),
            ("СТО Газпром 2-1.11-290", "Требования к электрооборудованию", ["27"]),
        ],
        interrao: [
            ("ТТ ИРАО-01", "Технические требования к светотехническому оборудованию", ["27.40"]),
            ("ТТ ИРАО-02", "Требования к электродвигателям", ["27.11"]),
        ],
    }.items():
        for code, title, categories in reqs:
            Requirement.objects.update_or_create(
                corporation=corp, code=code, defaults={"title": title, "categories": categories}
            )

    mikran = _supplier(
        "АО «НПФ «Микран»", 701700446, tomsk, phone="+7 3822 90-00-29", email="mic@micran.ru"
    )
    niipp = _supplier("АО «НИИ полупроводниковых приборов»", 701700521, tomsk, kind="research")
    sibelektromotor = _supplier("АО «Сибэлектромотор»", 701700118, tomsk)
    tomsk_tools = _supplier("ООО «Томский инструмент»", 701700737, tomsk)
    tomsk_chem = _supplier("ООО «ТомскХимРеагент»", 701700854, tomsk)
    kaluga_maker = _supplier("АО «Калужский турбинный завод»", 402900133, kaluga)
    kaluga_valve = _supplier("ООО «Калужская арматура»", 402900471, kaluga)
    kaluga_new = _supplier("ООО «КалугаПриборСервис»", 402900562, kaluga, kind="service")

    staff = {
        "admin": _user("admin", "administrator", "Анна", "Администратор", language="en"),
        "tomsk": _user("tomsk.staff", "region_staff", "Ирина", "Томская", region=tomsk),
        "kaluga": _user("kaluga.staff", "region_staff", "Олег", "Калужский", region=kaluga),
        "interrao": _user(
            "interrao.reviewer", "reviewer", "Павел", "Ревизоров", corporation=interrao
        ),
        "gazprom": _user(
            "gazprom.reviewer", "reviewer", "Мария", "Проверкина", corporation=gazprom
        ),
        "officer": _user(
            "intergazcert.officer",
            "officer",
            "Сергей",
            "Сертификатов",
            certification_body=intergazcert,
        ),
        "mikran": _user("mikran", "supplier", "Дмитрий", "Микранов", supplier=mikran),
        "kaluga_maker": _user(
            "kaluga.maker", "supplier", "Елена", "Турбинная", supplier=kaluga_maker
        ),
        "partner": _user("partner", "partner", "Партнёр", "АРР", language="en"),
    }
    members = {
        niipp: _user("niipp", "supplier", "Николай", "Полупроводников", supplier=niipp),
        sibelektromotor: _user(
            "sibelektromotor", "supplier", "Семён", "Моторов", supplier=sibelektromotor
        ),
        tomsk_tools: _user(
            "tomsk.tools", "supplier", "Тимур", "Инструментов", supplier=tomsk_tools
        ),
        tomsk_chem: _user("tomsk.chem", "supplier", "Татьяна", "Химикова", supplier=tomsk_chem),
        kaluga_valve: _user(
            "kaluga.valve", "supplier", "Вера", "Арматурова", supplier=kaluga_valve
        ),
        kaluga_new: _user("kaluga.new", "supplier", "Кирилл", "Новиков", supplier=kaluga_new),
        mikran: staff["mikran"],
        kaluga_maker: staff["kaluga_maker"],
    }

    if Offer.objects.filter(supplier__in=list(members)).exists():
        return

    for supplier in (
        mikran,
        niipp,
        sibelektromotor,
        tomsk_tools,
        tomsk_chem,
        kaluga_maker,
        kaluga_valve,
    ):
        staff_user = staff["tomsk"] if supplier.region_id == tomsk.pk else staff["kaluga"]
        supplier_verify(supplier_id=supplier.pk, user=staff_user, verified=True)

    demands = [
        Demand.objects.create(
            customer=gazprom_sub[0],
            title="Шаровые краны DN 300 взамен импортных",
            category="28.14.13",
            quantity=Decimal(120),
            unit="шт.",
            replaces="Cameron T31",
            deadline=datetime.date(2027, 6, 30),
        ),
        Demand.objects.create(
            customer=interrao_sub[0],
            title="Реагенты для промывки теплообменников",
            category="20.59",
            quantity=Decimal(40),
            unit="т",
            replaces="Kurita",
            deadline=datetime.date(2027, 3, 31),
        ),
        Demand.objects.create(
            customer=gazprom_sub[1],
            title="Датчики давления для промысловых установок",
            category="26.51",
            quantity=Decimal(500),
            unit="шт.",
            replaces="Emerson Rosemount 3051",
            deadline=datetime.date(2027, 9, 1),
        ),
    ]

    run = _PipelineRunner(staff, members)
    P = {
        "mikran_radar": run.offer(
            mikran,
            tomsk_2018,
            "Системы защиты радиолокационных станций",
            "26.51.20.120",
            replaces="Rohde & Schwarz",
            price=4_500_000,
            capacity=40,
            unit="компл.",
        ),
        "mikran_meter": run.offer(
            mikran,
            tomsk_2018,
            "Измеритель температуры промышленный ИТП-2",
            "26.51.51.110",
            price=38_000,
            capacity=2000,
            unit="шт.",
        ),
        "niipp_led": run.offer(
            niipp,
            tomsk_2018,
            "Светодиодные светильники для промышленных объектов",
            "27.40.39.110",
            replaces="Philips",
            price=12_500,
            capacity=30000,
            unit="шт.",
        ),
        "niipp_led_street": run.offer(
            niipp,
            tomsk_2018,
            "Светодиодные прожекторы наружного освещения",
            "27.40.39.120",
            price=18_900,
            capacity=10000,
            unit="шт.",
        ),
        "sib_motor": run.offer(
            sibelektromotor,
            tomsk_2018,
            "Электродвигатели асинхронные АИР 250",
            "27.11.22.000",
            replaces="Siemens 1LE1",
            price=210_000,
            capacity=3000,
            unit="шт.",
        ),
        "sib_motor_small": run.offer(
            sibelektromotor,
            tomsk_2018,
            "Электродвигатели взрывозащищённые",
            "27.11.24.000",
            price=340_000,
            capacity=800,
            unit="шт.",
        ),
        "tools": run.offer(
            tomsk_tools,
            tomsk_2018,
            "Инструмент для обслуживания энергооборудования",
            "25.73.30.000",
            price=7_800,
            capacity=15000,
            unit="компл.",
        ),
        "reagent": run.offer(
            tomsk_chem,
            tomsk_2018,
            "Реагент для промывки теплообменников ТХР-1",
            "20.59.59.000",
            replaces="Kurita",
            price=145_000,
            capacity=60,
            unit="т",
            demand=demands[1],
        ),
        "klu_valve": run.offer(
            kaluga_valve,
            kaluga_2017,
            "Краны шаровые DN 300 для магистральных газопроводов",
            "28.14.13.131",
            replaces="Cameron T31",
            price=2_900_000,
            capacity=150,
            unit="шт.",
            demand=demands[0],
        ),
        "klu_valve_small": run.offer(
            kaluga_valve,
            kaluga_2017,
            "Затворы дисковые DN 150",
            "28.14.13.140",
            price=380_000,
            capacity=400,
            unit="шт.",
        ),
        "klu_turbine": run.offer(
            kaluga_maker,
            kaluga_2017,
            "Паротурбинные установки малой мощности",
            "28.11.21.000",
            replaces="Siemens SST-110",
            price=95_000_000,
            capacity=12,
            unit="шт.",
        ),
        "klu_turbine_gen": run.offer(
            kaluga_maker,
            kaluga_2017,
            "Турбогенераторы для собственных нужд",
            "27.11.26.000",
            price=41_000_000,
            capacity=20,
            unit="шт.",
        ),
        "klu_turbine_draft": run.offer(
            kaluga_maker,
            kaluga_2017,
            "Приводные турбины для газоперекачивающих агрегатов",
            "28.11.22.000",
            price=120_000_000,
            capacity=6,
            unit="шт.",
        ),
        "klu_sensor": run.offer(
            kaluga_maker,
            kaluga_2017,
            "Датчики давления ДД-100",
            "26.51.52.130",
            replaces="Emerson Rosemount 3051",
            price=54_000,
            capacity=5000,
            unit="шт.",
            demand=demands[2],
        ),
    }
    today = timezone.localdate()
    # Tomsk with Inter RAO (no certification): every stage.
    run.to(P["mikran_meter"], "submitted")
    run.to(P["tools"], "forwarded")
    # A conversation on a submitted offer: the region asks, the supplier answers, and the
    # region keeps a note the supplier never sees.
    meter = P["mikran_meter"].pk
    message_post(
        offer_id=meter,
        user=staff["tomsk"],
        body="Укажите, пожалуйста, класс точности и межповерочный интервал.",
    )
    message_post(
        offer_id=meter,
        user=staff["mikran"],
        body="Класс точности 0,5.\nМежповерочный интервал — 2 года, описание типа приложим.",
    )
    message_post(
        offer_id=meter,
        user=staff["tomsk"],
        body="Поставщик отвечает быстро; после описания типа можно передавать.",
        internal=True,
    )
    run.to(P["niipp_led_street"], "requirements_met")
    run.to(P["sib_motor_small"], "readiness_confirmed")
    run.to(P["mikran_radar"], "registered")
    run.to(P["niipp_led"], "registered")
    run.to(P["sib_motor"], "registered")
    run.to(P["reagent"], "tested")
    # Kaluga with Gazprom (INTERGAZCERT): certificates, one near expiry, one expired.
    run.to(P["klu_turbine_draft"], "draft")
    run.to(P["klu_turbine_gen"], "tested")
    run.to(
        P["klu_valve"],
        "registered",
        cert=(
            "ИГС.RU.1101.001",
            today - datetime.timedelta(days=300),
            today + datetime.timedelta(days=700),
        ),
    )
    run.to(
        P["klu_turbine"],
        "registered",
        cert=(
            "ИГС.RU.1101.002",
            today - datetime.timedelta(days=1080),
            today + datetime.timedelta(days=25),
        ),
    )
    run.to(
        P["klu_sensor"],
        "certified",
        cert=(
            "ИГС.RU.1101.003",
            today - datetime.timedelta(days=200),
            today + datetime.timedelta(days=500),
        ),
    )
    expired = run.to(
        P["klu_valve_small"],
        "registered",
        cert=(
            "ИГС.RU.1101.000",
            today - datetime.timedelta(days=1100),
            today + datetime.timedelta(days=1),
        ),
    )
    Certificate.objects.filter(pk=expired).update(
        issued_on=today - datetime.timedelta(days=1100),
        valid_until=today - datetime.timedelta(days=5),
    )

    lapse_certificates(on=today)
    # A near miss for the open Gazprom tender: registered, but its certificate lapses
    # before the tender's deadline.
    P["klu_control_valve"] = run.offer(
        kaluga_maker,
        kaluga_2017,
        "Клапаны регулирующие DN 100",
        "28.14.12.000",
        price=640_000,
        capacity=250,
        unit="шт.",
    )
    run.to(
        P["klu_control_valve"],
        "registered",
        cert=(
            "ИГС.RU.1101.004",
            today - datetime.timedelta(days=345),
            today + datetime.timedelta(days=20),
        ),
    )

    tender_open = Tender.objects.create(
        customer=gazprom_sub[0],
        number="ГТМ-2026-0415",
        title="Поставка шаровых кранов DN 300",
        categories=["28.14"],
        published_on=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=30),
        estimated_value=Decimal("348000000.00"),
        status="open",
    )
    tender_awarded = Tender.objects.create(
        customer=interrao_sub[0],
        number="ТГ-2025-0117",
        title="Поставка светодиодных светильников",
        categories=["27.40"],
        published_on=datetime.date(2025, 2, 1),
        deadline=datetime.date(2025, 3, 1),
        estimated_value=Decimal("90000000.00"),
        status="awarded",
    )

    awarded_bid = Bid.objects.create(
        tender=tender_awarded,
        supplier=niipp,
        price=Decimal("86400000.00"),
        status="awarded",
        submitted_by=members[niipp],
        eligibility={
            **evaluate(
                tender=Tender(**{**_fields(tender_awarded), "status": "open"}),
                supplier=niipp,
                on=tender_awarded.deadline,
            ).as_dict(),
            "evaluated_on": tender_awarded.deadline.isoformat(),
        },
    )
    awarded_bid.offers.add(P["niipp_led"])
    Contract.objects.create(
        bid=awarded_bid,
        supplier=niipp,
        customer=interrao_sub[0],
        tender=tender_awarded,
        number="ТГ-2025-0117/1",
        subject="Светодиодные светильники",
        amount=Decimal("86400000.00"),
        signed_on=datetime.date(2025, 3, 20),
    )
    for year, (supplier, customer, amount) in {
        2018: (sibelektromotor, interrao_sub[0], 1_420),
        2019: (mikran, interrao, 1_510),
        2020: (sibelektromotor, interrao_sub[1], 1_380),
        2021: (mikran, interrao_sub[0], 1_655),
    }.items():
        Contract.objects.create(
            supplier=supplier,
            customer=customer,
            number=f"ИРАО-{year}-001",
            subject="Поставка продукции",
            amount=amount * M,
            signed_on=datetime.date(year, 6, 1),
        )
    for year, amount in {2018: 210, 2019: 385, 2021: 540}.items():
        Contract.objects.create(
            supplier=kaluga_valve if year != 2019 else kaluga_maker,
            customer=gazprom_sub[0],
            number=f"ГТМ-{year}-017",
            subject="Поставка оборудования",
            amount=amount * M,
            signed_on=datetime.date(year, 9, 15),
        )
    return tender_open


def _fields(instance):
    """The concrete field values of a model instance, for an unsaved look-alike."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


class _PipelineRunner:
    """Drives demo offers through the real transition service."""

    PATH = [
        ("submit", "supplier"),
        ("forward", "region"),
        ("accept", "reviewer"),
        ("confirm_readiness", "reviewer"),
        ("pass_tests", "reviewer"),
    ]

    def __init__(self, staff, members):
        self.staff, self.members = staff, members

    def offer(
        self, supplier, roadmap, name, okpd2, *, price, capacity, unit, replaces="", demand=None
    ):
        return offer_create(
            user=self.members[supplier],
            supplier_id=supplier.pk,
            roadmap=roadmap,
            name=name,
            okpd2=okpd2,
            description=name,
            import_substitution=bool(replaces),
            replaces=replaces,
            capacity_per_year=Decimal(capacity),
            unit=unit,
            unit_price=Decimal(price),
            demand=demand,
        )

    def _actor(self, offer, who):
        if who == "supplier":
            return self.members[offer.supplier]
        if who == "region":
            return (
                self.staff["tomsk"]
                if offer.supplier.region.code == "RU-TOM"
                else self.staff["kaluga"]
            )
        return (
            self.staff["interrao"]
            if offer.roadmap.corporation.required_body_id is None
            else self.staff["gazprom"]
        )

    def _data(self, offer, action):
        today = timezone.localdate()
        if action == "accept":
            return {
                "requirements": [
                    {"requirement": r.pk, "outcome": "met", "remarks": "Соответствует"}
                    for r in applicable_requirements(offer)
                ]
            }
        if action == "confirm_readiness":
            return {
                "capacity_confirmed": True,
                "site_visit_on": (today - datetime.timedelta(days=60)).isoformat(),
                "findings": "Производственная площадка готова к серийному выпуску.",
            }
        if action == "pass_tests":
            return {
                "test": {
                    "kind": "bench",
                    "started_on": (today - datetime.timedelta(days=40)).isoformat(),
                    "finished_on": (today - datetime.timedelta(days=30)).isoformat(),
                    "result": "passed",
                }
            }
        return {}

    def to(self, offer, target, cert=None):
        if target == OfferStatus.DRAFT:
            return None
        certificate_id = None
        for action, who in self.PATH:
            offer_transition(
                offer_id=offer.pk,
                user=self._actor(offer, who),
                action=action,
                data=self._data(offer, action),
            )
            offer.refresh_from_db()
            if offer.status == target:
                return None
        if cert:
            number, issued, valid_until = cert
            certificate = Certificate.objects.create(
                number=number,
                body=offer.roadmap.corporation.required_body,
                supplier=offer.supplier,
                issued_on=issued,
                valid_until=valid_until,
                issued_by=self.staff["officer"],
            )
            certificate.offers.add(offer)
            CertificateEvent.objects.create(
                certificate=certificate,
                kind=CertificateEventKind.ISSUED,
                status=certificate.status,
                data={"offers": [offer.pk], "renews": None},
                actor=self.staff["officer"],
            )
            certificate_id = certificate.pk
            offer_transition(
                offer_id=offer.pk,
                user=self.staff["officer"],
                action="certify",
                data={"certificate": certificate.pk},
            )
            offer.refresh_from_db()
        if offer.status == target:
            return certificate_id
        offer_transition(offer_id=offer.pk, user=self._actor(offer, "reviewer"), action="register")
        return certificate_id
