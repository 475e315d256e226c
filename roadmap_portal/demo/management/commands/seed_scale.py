# SQL here is composed from this module's constants and integers, never from input.
# ruff: noqa: S608
"""Generate a large, referentially consistent data set on PostgreSQL for load tests.

The rows are produced by the database itself (``INSERT ... SELECT generate_series``) or
streamed with ``COPY`` from in-memory CSV, never saved one by one. Identifiers are assigned
arithmetically so that every reference is known without a lookup:

* regions 1..R; groups (parent corporations) 1..G; subsidiaries G+1..G+B, the i-th one
  belonging to group ((i - 1) mod G) + 1;
* suppliers 1..S, supplier s in region ((s - 1) mod R) + 1;
* region r has K current roadmaps, slot j with the group ((r - 1) * 7 + j) mod G + 1 and id
  (r - 1) * K + j + 1; the last slot is a draft in every third region, the others are
  active; every second pair also has a completed predecessor.

Offer statuses are drawn from a fixed distribution; each offer's history is the path of
``suppliers.pipeline`` that leads to its status (checked against the declaration when the
command starts), so history, register entries and certificates agree with the status.
"""

import csv
import datetime
import io
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from certification.models import (
    Certificate,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    Requirement,
    RequirementCheck,
)
from procurement.models import Bid, Contract, Tender
from roadmap_portal import okpd2
from roadmap_portal.accounts.models import Profile
from roadmap_portal.models import (
    CertificationBody,
    Corporation,
    Demand,
    Region,
    Report,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)
from suppliers import pipeline
from suppliers.choices import OfferStatus as S
from suppliers.models import Offer, OfferAttachment, OfferTransition, Supplier
from suppliers.validators import inn_with_checksum, ogrn_with_checksum

USER_PREFIX = "scale-"


def lit(value):
    """A text literal for SQL built here from our own constants (no user input)."""
    return "'" + str(value).replace("'", "''") + "'"


def text_array(values):
    return "(ARRAY[" + ", ".join(lit(v) for v in values) + "]::text[])"


@dataclass(frozen=True)
class Scale:
    regions: int
    groups: int
    subsidiaries: int
    bodies: int
    suppliers: int
    offers: int
    tenders: int
    contracts: int
    demands: int
    roadmaps_per_region: int


SCALES = {
    "federal": Scale(85, 30, 1000, 5, 50_000, 1_000_000, 100_000, 5_000_000, 10_000, 6),
    "small": Scale(85, 30, 100, 5, 500, 10_000, 1_000, 50_000, 100, 6),
    # For tests: every kind of row, a few of each.
    "tiny": Scale(4, 3, 6, 2, 30, 400, 40, 300, 10, 2),
}

# The 85 constituent entities (ISO 3166-2:RU style codes).
REGIONS = [
    ("RU-AD", "Республика Адыгея"),
    ("RU-AL", "Республика Алтай"),
    ("RU-BA", "Республика Башкортостан"),
    ("RU-BU", "Республика Бурятия"),
    ("RU-DA", "Республика Дагестан"),
    ("RU-IN", "Республика Ингушетия"),
    ("RU-KB", "Кабардино-Балкарская Республика"),
    ("RU-KL", "Республика Калмыкия"),
    ("RU-KC", "Карачаево-Черкесская Республика"),
    ("RU-KR", "Республика Карелия"),
    ("RU-KO", "Республика Коми"),
    ("RU-CR", "Республика Крым"),
    ("RU-ME", "Республика Марий Эл"),
    ("RU-MO", "Республика Мордовия"),
    ("RU-SA", "Республика Саха (Якутия)"),
    ("RU-SE", "Республика Северная Осетия — Алания"),
    ("RU-TA", "Республика Татарстан"),
    ("RU-TY", "Республика Тыва"),
    ("RU-UD", "Удмуртская Республика"),
    ("RU-KK", "Республика Хакасия"),
    ("RU-CE", "Чеченская Республика"),
    ("RU-CU", "Чувашская Республика"),
    ("RU-ALT", "Алтайский край"),
    ("RU-ZAB", "Забайкальский край"),
    ("RU-KAM", "Камчатский край"),
    ("RU-KDA", "Краснодарский край"),
    ("RU-KYA", "Красноярский край"),
    ("RU-PER", "Пермский край"),
    ("RU-PRI", "Приморский край"),
    ("RU-STA", "Ставропольский край"),
    ("RU-KHA", "Хабаровский край"),
    ("RU-AMU", "Амурская область"),
    ("RU-ARK", "Архангельская область"),
    ("RU-AST", "Астраханская область"),
    ("RU-BEL", "Белгородская область"),
    ("RU-BRY", "Брянская область"),
    ("RU-VLA", "Владимирская область"),
    ("RU-VGG", "Волгоградская область"),
    ("RU-VLG", "Вологодская область"),
    ("RU-VOR", "Воронежская область"),
    ("RU-IVA", "Ивановская область"),
    ("RU-IRK", "Иркутская область"),
    ("RU-KGD", "Калининградская область"),
    ("RU-KLU", "Калужская область"),
    ("RU-KEM", "Кемеровская область"),
    ("RU-KIR", "Кировская область"),
    ("RU-KOS", "Костромская область"),
    ("RU-KGN", "Курганская область"),
    ("RU-KRS", "Курская область"),
    ("RU-LEN", "Ленинградская область"),
    ("RU-LIP", "Липецкая область"),
    ("RU-MAG", "Магаданская область"),
    ("RU-MOS", "Московская область"),
    ("RU-MUR", "Мурманская область"),
    ("RU-NIZ", "Нижегородская область"),
    ("RU-NGR", "Новгородская область"),
    ("RU-NVS", "Новосибирская область"),
    ("RU-OMS", "Омская область"),
    ("RU-ORE", "Оренбургская область"),
    ("RU-ORL", "Орловская область"),
    ("RU-PNZ", "Пензенская область"),
    ("RU-PSK", "Псковская область"),
    ("RU-ROS", "Ростовская область"),
    ("RU-RYA", "Рязанская область"),
    ("RU-SAM", "Самарская область"),
    ("RU-SAR", "Саратовская область"),
    ("RU-SAK", "Сахалинская область"),
    ("RU-SVE", "Свердловская область"),
    ("RU-SMO", "Смоленская область"),
    ("RU-TAM", "Тамбовская область"),
    ("RU-TVE", "Тверская область"),
    ("RU-TOM", "Томская область"),
    ("RU-TUL", "Тульская область"),
    ("RU-TYU", "Тюменская область"),
    ("RU-ULY", "Ульяновская область"),
    ("RU-CHE", "Челябинская область"),
    ("RU-YAR", "Ярославская область"),
    ("RU-MOW", "Москва"),
    ("RU-SPE", "Санкт-Петербург"),
    ("RU-SEV", "Севастополь"),
    ("RU-YEV", "Еврейская автономная область"),
    ("RU-NEN", "Ненецкий автономный округ"),
    ("RU-KHM", "Ханты-Мансийский автономный округ — Югра"),
    ("RU-CHU", "Чукотский автономный округ"),
    ("RU-YAN", "Ямало-Ненецкий автономный округ"),
]

GROUPS = [
    ("ПАО «Газпром»", "Газпром"),
    ("ПАО «Интер РАО»", "Интер РАО"),
    ("ПАО «Россети»", "Россети"),
    ("ПАО «НК «Роснефть»", "Роснефть"),
    ("ПАО «ЛУКОЙЛ»", "ЛУКОЙЛ"),
    ("Госкорпорация «Росатом»", "Росатом"),
    ("ПАО «РусГидро»", "РусГидро"),
    ("ОАО «РЖД»", "РЖД"),
    ("ПАО «Транснефть»", "Транснефть"),
    ("ПАО «Газпром нефть»", "Газпром нефть"),
    ("ПАО «СИБУР Холдинг»", "СИБУР"),
    ("ПАО «НОВАТЭК»", "НОВАТЭК"),
    ("ПАО «ГМК «Норильский никель»", "Норникель"),
    ("ПАО «Северсталь»", "Северсталь"),
    ("ПАО «НЛМК»", "НЛМК"),
    ("ПАО «ММК»", "ММК"),
    ("Госкорпорация «Ростех»", "Ростех"),
    ("ПАО «ОАК»", "ОАК"),
    ("АО «ОСК»", "ОСК"),
    ("ПАО «КАМАЗ»", "КАМАЗ"),
    ("ПАО «Аэрофлот»", "Аэрофлот"),
    ("ПАО «МТС»", "МТС"),
    ("ПАО «Ростелеком»", "Ростелеком"),
    ("МКПАО «РУСАЛ»", "РУСАЛ"),
    ("ПАО «ФосАгро»", "ФосАгро"),
    ("ПАО «АК «АЛРОСА»", "АЛРОСА"),
    ("ПАО «Татнефть»", "Татнефть"),
    ("ПАО «Юнипро»", "Юнипро"),
    ("ПАО «Т Плюс»", "Т Плюс"),
    ("ПАО «Мосэнерго»", "Мосэнерго"),
]

SUBSIDIARY_KINDS = [
    "добыча",
    "трансгаз",
    "энергосбыт",
    "генерация",
    "инжиниринг",
    "ремонт",
    "переработка",
    "сервис",
    "логистика",
    "снабжение",
]

BODIES = [
    ("ИНТЕРГАЗСЕРТ", "Система добровольной сертификации ИНТЕРГАЗСЕРТ"),
    ("ТЭКСЕРТ", "Система добровольной сертификации ТЭКСЕРТ"),
    ("ЭНСЕРТИКО", "Система добровольной сертификации ЭНСЕРТИКО"),
    ("СДС РЖД", "Система добровольной сертификации на железнодорожном транспорте"),
    ("ОБОРОНСЕРТ", "Система добровольной сертификации ОБОРОНСЕРТ"),
]

# (OKPD2 prefix, product, unit, imported analog it replaces)
PRODUCTS = [
    ("20.59", "Реагент для промывки теплообменников", "т", "Kurita"),
    ("22.19", "Уплотнения резинотехнические", "шт.", "Parker"),
    ("22.21", "Трубы полимерные напорные", "м", "Uponor"),
    ("23.20", "Изделия огнеупорные", "т", "RHI Magnesita"),
    ("24.20", "Трубы стальные бесшовные", "т", "Tenaris"),
    ("25.21", "Котлы водогрейные", "шт.", "Viessmann"),
    ("25.73", "Инструмент для обслуживания энергооборудования", "компл.", "Hilti"),
    ("25.94", "Крепёжные изделия высокопрочные", "т", "Würth"),
    ("26.20", "Серверное оборудование", "шт.", "HPE"),
    ("26.30", "Оборудование радиосвязи", "шт.", "Motorola"),
    ("26.51", "Датчики давления", "шт.", "Emerson Rosemount"),
    ("26.51", "Расходомеры ультразвуковые", "шт.", "Endress+Hauser"),
    ("27.11", "Электродвигатели асинхронные", "шт.", "Siemens"),
    ("27.12", "Комплектные распределительные устройства", "шт.", "ABB"),
    ("27.20", "Аккумуляторные батареи", "шт.", "Exide"),
    ("27.32", "Кабели силовые", "км", "Nexans"),
    ("27.40", "Светодиодные светильники", "шт.", "Philips"),
    ("27.90", "Станции катодной защиты", "компл.", "Corrpro"),
    ("28.11", "Паротурбинные установки", "шт.", "Siemens SST"),
    ("28.12", "Гидроцилиндры", "шт.", "Bosch Rexroth"),
    ("28.13", "Насосы центробежные", "шт.", "Grundfos"),
    ("28.14", "Краны шаровые", "шт.", "Cameron"),
    ("28.14", "Затворы дисковые", "шт.", "Bray"),
    ("28.25", "Теплообменники пластинчатые", "шт.", "Alfa Laval"),
    ("28.29", "Фильтры-сепараторы газовые", "шт.", "Pall"),
    ("28.92", "Буровое оборудование", "шт.", "NOV"),
    ("29.10", "Автомобили специальные", "шт.", "Caterpillar"),
    ("30.20", "Вагоны грузовые", "шт.", "Greenbrier"),
    ("33.12", "Ремонт энергетического оборудования", "усл.", ""),
    ("62.01", "Программное обеспечение АСУ ТП", "лиц.", "Schneider Electric"),
    ("71.20", "Испытания и анализ продукции", "усл.", "SGS"),
    ("72.19", "НИОКР в области энергетики", "усл.", ""),
]

NAMES = text_array(p[1] for p in PRODUCTS)
PREFIXES = text_array(p[0] for p in PRODUCTS)
UNITS = text_array(p[2] for p in PRODUCTS)
ANALOGS = text_array(p[3] for p in PRODUCTS)

NAME_ROOTS = [
    "Сибэлектро",
    "Уралмаш",
    "Волгахим",
    "Техносила",
    "Промарматура",
    "Энергоприбор",
    "Северкабель",
    "Термотрон",
    "Гидромаш",
    "Светотехника",
    "Нефтесервис",
    "Радиоприбор",
    "Металлист",
    "Инструмент",
    "Полимерпласт",
    "Электромотор",
    "Турбоатом",
    "Теплообмен",
    "Автоматика",
    "Композит",
]
LEGAL_FORMS = ["ООО", "АО", "ПАО", "ЗАО"]

# Offer statuses: cumulative thresholds of a uniform draw. Offers of corporations with no
# required body that fall on ``certified`` stay ``tested``.
STATUS_SHARES = [
    (S.DRAFT, 0.14),
    (S.SUBMITTED, 0.09),
    (S.WITHDRAWN, 0.03),
    (S.FORWARDED, 0.09),
    (S.REQUIREMENTS_MET, 0.07),
    (S.READINESS_CONFIRMED, 0.06),
    (S.TESTED, 0.05),
    (S.CERTIFIED, 0.03),
    (S.REJECTED, 0.155),
    (S.REGISTERED, 0.253),
    (S.EXCLUDED, 0.032),
]
EARLY = (S.DRAFT, S.SUBMITTED, S.WITHDRAWN)

# Which path variant an offer follows, from its id: drafts returned once, rejections at
# three stages, registered offers excluded once and reinstated.
VARIANT_SQL = (
    "CASE {t}.status WHEN 'draft' THEN ({t}.id % 10 < 3)::int "
    "WHEN 'rejected' THEN {t}.id % 3 WHEN 'registered' THEN ({t}.id % 20 = 0)::int ELSE 0 END"
)
# Days between two steps of one offer; offers are created at least 150 days ago.
GAP_SQL = "make_interval(days => 2 + ({t}.id % 12)::int)"

COMMENTS = {
    "return": "Уточните производственную мощность и приложите паспорт изделия.",
    "reject": "Продукция не соответствует корпоративным требованиям.",
    "fail_tests": "Испытания не пройдены: параметры вне допусков.",
    "exclude": "Исключено по результатам эксплуатации у заказчика.",
}
ACTORS = {
    "submit": "supplier",
    "withdraw": "supplier",
    "return": "region",
    "forward": "region",
    "certify": "officer",
}


def pipeline_paths():
    """Every (status, variant, certification required) with its list of actions.

    Each step is checked against ``suppliers.pipeline`` so the generated history can only
    contain transitions the pipeline allows, ending in the offer's status.
    """
    review = ["submit", "forward", "accept", "confirm_readiness", "pass_tests"]
    paths = {}
    for cert in (False, True):
        to_register = [*review, "certify", "register"] if cert else [*review, "register"]
        paths[(S.DRAFT, 0, cert)] = []
        paths[(S.DRAFT, 1, cert)] = ["submit", "return"]
        paths[(S.SUBMITTED, 0, cert)] = ["submit"]
        paths[(S.WITHDRAWN, 0, cert)] = ["submit", "withdraw"]
        for n, status in enumerate(
            (S.FORWARDED, S.REQUIREMENTS_MET, S.READINESS_CONFIRMED, S.TESTED), start=2
        ):
            paths[(status, 0, cert)] = review[:n]
        if cert:
            paths[(S.CERTIFIED, 0, cert)] = [*review, "certify"]
        paths[(S.REJECTED, 0, cert)] = ["submit", "forward", "reject"]
        paths[(S.REJECTED, 1, cert)] = ["submit", "forward", "accept", "reject"]
        paths[(S.REJECTED, 2, cert)] = [*review[:4], "fail_tests"]
        paths[(S.REGISTERED, 0, cert)] = to_register
        paths[(S.REGISTERED, 1, cert)] = [*to_register, "exclude", "reinstate"]
        paths[(S.EXCLUDED, 0, cert)] = [*to_register, "exclude"]
    rows = []
    for (status, variant, cert), actions in paths.items():
        current = S.DRAFT
        for step_no, action in enumerate(actions, start=1):
            step = pipeline.find(action, current)
            if step is None:
                raise CommandError(f"The pipeline has no “{action}” from {current}.")
            following = actions[step_no] if step_no < len(actions) else None
            rows.append(
                (
                    status,
                    variant,
                    cert,
                    step_no,
                    action,
                    current,
                    step.target,
                    ACTORS.get(action, "reviewer"),
                    COMMENTS.get(action, ""),
                    following == "exclude",
                )
            )
            current = step.target
        if current != status:
            raise CommandError(f"The path to {status} ends in {current}.")
    return paths, rows


def generated_models():
    """Models whose tables the command fills (and truncates with --reset)."""
    return [
        Region,
        Corporation,
        Roadmap,
        RoadmapTarget,
        ReportedVolume,
        Profile,
        Report,
        CertificationBody,
        Requirement,
        RequirementCheck,
        ReadinessEvaluation,
        ProductTest,
        Certificate,
        RegisterEntry,
        Supplier,
        Offer,
        OfferAttachment,
        OfferTransition,
        Demand,
        Tender,
        Bid,
        Contract,
    ]


def generated_tables():
    tables = []
    for model in generated_models():
        tables.append(model._meta.db_table)
        tables.extend(
            f.remote_field.through._meta.db_table
            for f in model._meta.local_many_to_many
            if f.remote_field.through._meta.auto_created
        )
    return tables


SEEDED_MODELS = (Region, Corporation, Supplier, Offer, Tender, Contract)


def existing_data():
    """Names of the seeded tables that already hold rows."""
    return [m._meta.db_table for m in SEEDED_MODELS if m.objects.exists()]


class Command(BaseCommand):
    help = (
        "Generate a large consistent data set on PostgreSQL (--scale small or federal) for "
        "benchmarks. Refuses a database that already has data unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Truncate the generated tables (and delete the scale- users) first.",
        )
        parser.add_argument("--seed", type=float, default=0.42, help="Random seed, -1..1.")

    def handle(self, *args, scale, reset, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_scale needs PostgreSQL (it loads with COPY and generate_series); this "
                f"database is {connection.vendor}. Set DATABASE_URL=postgres://USER@HOST:5432/NAME."
            )
        started = time.perf_counter()
        generator = Generator(SCALES[scale], seed=seed, log=self._log)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One seeder at a time; a second one waits, then finds the data and refuses.
                cursor.execute("SELECT pg_advisory_xact_lock(4201)")
            found = existing_data()
            if found and not reset:
                raise CommandError(
                    "The database already has data in "
                    + ", ".join(found)
                    + ". Run with --reset to truncate the generated tables first."
                )
            if reset:
                generator.reset()
            counts = generator.run()
        if not connection.in_atomic_block:
            generator.vacuum()
        elapsed = time.perf_counter() - started
        for table, count in counts.items():
            self.stdout.write(f"{table:45} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale {scale} generated in {elapsed:.1f} s ({elapsed / 60:.1f} min)."
            )
        )
        return None

    def _log(self, message):
        self.stdout.write(message)
        self.stdout.flush()


class Generator:
    def __init__(self, scale, *, seed=0.42, log=print):
        self.scale = scale
        self.seed = seed
        self.log = log
        self.today = timezone.localdate()
        self.paths, self.path_rows = pipeline_paths()
        if scale.regions > len(REGIONS) or scale.groups > len(GROUPS):
            raise CommandError("The scale asks for more regions or groups than are known.")
        if scale.roadmaps_per_region < 2 or scale.roadmaps_per_region > scale.groups:
            raise CommandError("Each region needs 2..groups roadmaps.")
        if scale.suppliers < scale.regions:
            raise CommandError("Every region needs a supplier.")
        classes = okpd2.classes()
        for prefix, *_rest in PRODUCTS:
            if prefix[:2] not in classes:
                raise CommandError(f"OKPD2 class {prefix[:2]} does not exist.")
        self.timings = {}

    # --- helpers ------------------------------------------------------------------------

    @contextmanager
    def step(self, name):
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started
        self.log(f"  {name}: {self.timings[name]:.1f} s")

    def sql(self, statement, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.rowcount

    def copy(self, model_or_table, columns, rows, chunk=50_000):
        """Stream ``rows`` into the table with COPY, ``chunk`` rows per in-memory CSV."""
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for row in rows:
                writer.writerow(["\\N" if v is None else v for v in row])
                count += 1
                if count % chunk == 0:
                    buffer.seek(0)
                    raw.copy_expert(statement, buffer)
                    buffer.seek(0)
                    buffer.truncate()
            if buffer.tell():
                buffer.seek(0)
                raw.copy_expert(statement, buffer)
        return count

    @contextmanager
    def without_secondary_indexes(self, models):
        """Drop the indexes that back no constraint while loading, rebuild them after.

        Everything runs in the command's transaction: a failure leaves the indexes as they were.
        """
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = (quote_ident(i.schemaname) || '.' ||
                                        quote_ident(i.indexname))::regclass)
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        yield
        with self.step(f"rebuild {len(indexes)} indexes"), connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)

    # --- reset ----------------------------------------------------------------------------

    def reset(self):
        with self.step("truncate"):
            tables = ", ".join(generated_tables())
            self.sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()

    # --- generation -------------------------------------------------------------------------

    def run(self):
        sc = self.scale
        self.log(
            f"Generating: {sc.regions} regions, {sc.groups} groups with {sc.subsidiaries} "
            f"subsidiaries, {sc.suppliers:,} suppliers, {sc.offers:,} offers, "
            f"{sc.tenders:,} tenders, {sc.contracts:,} contracts"
        )
        # Foreign keys are checked at the end of each statement (Django declares them
        # deferred), so indexes can be rebuilt inside the transaction.
        self.sql("SET CONSTRAINTS ALL IMMEDIATE")
        self.sql("SET LOCAL synchronous_commit = off")
        self.sql("SET LOCAL maintenance_work_mem = '512MB'")
        self.sql("SET LOCAL work_mem = '64MB'")
        self.sql("SELECT setseed(%s)", [self.seed])
        with self.step("reference data"):
            self.reference_data()
        with self.step("users and profiles"):
            self.users()
        with self.step("suppliers"):
            self.suppliers()
        self.temp_tables()
        big = [Offer, OfferTransition, Certificate, RegisterEntry, Contract, Tender]
        with self.without_secondary_indexes(big):
            with self.step("offers"):
                self.offers()
            with self.step("certificates"):
                self.certificates()
            with self.step("register entries"):
                self.register_entries()
            with self.step("offer history"):
                self.history()
            with self.step("tenders and demands"):
                self.tenders()
            with self.step("contracts"):
                self.contracts()
        with self.step("sequences and analyze"):
            self.reset_sequences()
            for table in generated_tables():
                self.sql(f"ANALYZE {table}")
        return self.counts()

    def counts(self):
        counts = {}
        with connection.cursor() as cursor:
            for table in generated_tables():
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts[table] = cursor.fetchone()[0]
        return counts

    def vacuum(self):
        """Set the visibility map so that counts can use index-only scans (outside a transaction)."""
        with self.step("vacuum"), connection.cursor() as cursor:
            for model in (Offer, OfferTransition, RegisterEntry, Contract, Tender, Supplier):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")

    def reference_data(self):
        sc = self.scale
        R, G, B = sc.regions, sc.groups, sc.subsidiaries
        Region.objects.bulk_create(
            Region(id=i, code=code, name=name)
            for i, (code, name) in enumerate(REGIONS[:R], start=1)
        )
        bodies = [
            CertificationBody(id=i, short_name=short, name=name, accreditation=f"РОСС RU.{i:04d}")
            for i, (short, name) in enumerate(BODIES[: sc.bodies], start=1)
        ]
        CertificationBody.objects.bulk_create(bodies)
        corporations = []
        for g in range(1, G + 1):
            name, short = GROUPS[g - 1]
            corporations.append(
                Corporation(
                    id=g,
                    name=name,
                    short_name=short,
                    inn=inn_with_checksum(990_000_000 + g),
                    required_body_id=self.body_of(g),
                )
            )
        for i in range(1, B + 1):
            g = (i - 1) % G + 1
            kind = SUBSIDIARY_KINDS[(i - 1) // G % len(SUBSIDIARY_KINDS)]
            region = REGIONS[(i * 13) % R][1]
            short = f"{GROUPS[g - 1][1]} {kind} {region.split()[0]}"
            if i > G * len(SUBSIDIARY_KINDS):
                short = f"{short} {i}"
            corporations.append(
                Corporation(
                    id=G + i,
                    name=f"ООО «{short}»",
                    short_name=short[:100],
                    inn=inn_with_checksum(990_000_000 + G + i),
                    parent_id=g,
                )
            )
        Corporation.objects.bulk_create(corporations)
        requirements = []
        for g in range(1, G + 1):
            for n in range(3):
                prefix = PRODUCTS[(g * 5 + n * 11) % len(PRODUCTS)][0]
                requirements.append(
                    Requirement(
                        corporation_id=g,
                        code=f"СТО {GROUPS[g - 1][1]} {n + 1}.{g:02d}",
                        title=f"Технические требования к продукции {prefix}",
                        categories=[prefix],
                    )
                )
        Requirement.objects.bulk_create(requirements)
        self.roadmaps()

    def body_of(self, group):
        """A third of the groups require a certification body."""
        if group % 3 != 1 or not self.scale.bodies:
            return None
        return (group // 3) % self.scale.bodies + 1

    def group_of_slot(self, region, slot):
        return ((region - 1) * 7 + slot) % self.scale.groups + 1

    def roadmaps(self):
        sc = self.scale
        R, K = sc.regions, sc.roadmaps_per_region
        roadmaps, targets, reported = [], [], []
        previous_id = R * K
        for r in range(1, R + 1):
            code, region_name = REGIONS[r - 1]
            for j in range(K):
                g = self.group_of_slot(r, j)
                corp = GROUPS[g - 1][0]
                rid = (r - 1) * K + j + 1
                prev = None
                if (r + j) % 2 == 0:
                    previous_id += 1
                    prev = previous_id
                    roadmaps.append(
                        Roadmap(
                            id=prev,
                            region_id=r,
                            corporation_id=g,
                            title=f"Соглашение о сотрудничестве: {region_name} и {corp}, 2015–2020",
                            signed_on=datetime.date(2015, 3, 1)
                            + datetime.timedelta(days=r * 3 + j),
                            start_year=2015,
                            end_year=2020,
                            status="completed",
                            signatories=f"Губернатор ({region_name})\nРуководитель {corp}",
                        )
                    )
                    for year in range(2015, 2021):
                        targets.append((prev, year, 100 + (r * 17 + j * 31 + year) % 400))
                    for year in (2015, 2016):
                        reported.append(
                            ReportedVolume(
                                roadmap_id=prev,
                                year=year,
                                amount=(80 + (r * 13 + j * 7 + year) % 300) * 1_000_000,
                                source=f"Администрация: {region_name}, итоги сотрудничества с {corp}",
                            )
                        )
                draft = j == K - 1 and r % 3 == 0
                roadmaps.append(
                    Roadmap(
                        id=rid,
                        region_id=r,
                        corporation_id=g,
                        title=f"Дорожная карта: {region_name} и {corp}, 2021–2027",
                        signed_on=datetime.date(2021, 2, 1) + datetime.timedelta(days=r * 3 + j),
                        start_year=2021,
                        end_year=2027,
                        status="draft" if draft else "active",
                        previous_id=prev,
                        signatories=f"Губернатор ({region_name})\nРуководитель {corp}",
                    )
                )
                for year in range(2021, 2028):
                    targets.append((rid, year, 300 + (r * 11 + j * 23 + year) % 900))
        # Predecessors first: a roadmap refers to its previous one.
        roadmaps.sort(key=lambda rm: rm.previous_id is not None)
        Roadmap.objects.bulk_create(roadmaps)
        RoadmapTarget.objects.bulk_create(
            RoadmapTarget(roadmap_id=rid, year=year, amount=amount * 1_000_000)
            for rid, year, amount in targets
        )
        ReportedVolume.objects.bulk_create(reported)

    def users(self):
        sc = self.scale
        User = get_user_model()
        password = make_password(None)
        people = []
        for r in range(1, sc.regions + 1):
            code = REGIONS[r - 1][0].lower()
            people.append((f"{USER_PREFIX}staff-{code}", "region_staff", {"region_id": r}))
            # A member of the region's first supplier.
            people.append((f"{USER_PREFIX}supplier-{r}", "supplier", {"supplier_id": r}))
        for g in range(1, sc.groups + 1):
            people.append((f"{USER_PREFIX}reviewer-{g}", "reviewer", {"corporation_id": g}))
        for b in range(1, sc.bodies + 1):
            people.append((f"{USER_PREFIX}officer-{b}", "officer", {"certification_body_id": b}))
        people.append((f"{USER_PREFIX}partner", "partner", {}))
        people.append((f"{USER_PREFIX}admin", "administrator", {}))
        users = User.objects.bulk_create(
            User(
                username=username,
                password=password,
                email=f"{username}@example.org",
                is_staff=role == "administrator",
                is_superuser=role == "administrator",
            )
            for username, role, _scope in people
        )
        self.user_ids = {u.username: u.pk for u in users}
        # Profiles of supplier members wait for their suppliers.
        self.profiles = [
            Profile(user_id=self.user_ids[username], role=role, **scope)
            for username, role, scope in people
        ]

    def suppliers(self):
        sc = self.scale
        R = sc.regions
        staff = {
            r: self.user_ids[f"{USER_PREFIX}staff-{REGIONS[r - 1][0].lower()}"]
            for r in range(1, R + 1)
        }
        now = timezone.now()
        kinds = ["manufacturer"] * 6 + ["research", "service"]

        def rows():
            for s in range(1, sc.suppliers + 1):
                r = (s - 1) % R + 1
                root = NAME_ROOTS[(s * 7) % len(NAME_ROOTS)]
                form = LEGAL_FORMS[s % len(LEGAL_FORMS)]
                status = self.verification(s)
                verified_at = now - datetime.timedelta(days=200 + s % 1500)
                yield (
                    s,
                    f"{form} «{root}-{s}»",
                    inn_with_checksum(r * 10_000_000 + s),
                    ogrn_with_checksum(int(f"1{(s % 20) + 2:02d}{r:02d}{s:07d}")),
                    r,
                    kinds[s % len(kinds)],
                    f"Контактное лицо {s}",
                    f"info{s}@supplier{r}.example.ru",
                    f"+7 900 {s % 1000:03d}-{s % 100:02d}-{r:02d}",
                    f"{REGIONS[r - 1][1]}, ул. Промышленная, д. {s % 200 + 1}",
                    "",
                    status,
                    "" if status != "rejected" else "Не подтверждено местное производство.",
                    staff[r] if status != "pending" else None,
                    verified_at.isoformat() if status != "pending" else None,
                    (verified_at - datetime.timedelta(days=30)).isoformat(),
                )

        self.copy(
            Supplier,
            [
                "id",
                "name",
                "inn",
                "ogrn",
                "region_id",
                "kind",
                "contact_person",
                "email",
                "phone",
                "address",
                "website",
                "verification_status",
                "verification_comment",
                "verified_by_id",
                "verified_at",
                "created",
            ],
            rows(),
        )
        Profile.objects.bulk_create(self.profiles)

    @staticmethod
    def verification(s):
        if s % 14 == 0:
            return "pending"
        if s % 33 == 0:
            return "rejected"
        return "verified"

    def temp_tables(self):
        sc = self.scale
        # A second run in the same transaction (tests) finds the previous run's tables.
        self.sql(
            "DROP TABLE IF EXISTS seed_path, seed_path_length, seed_actor, seed_group_region, "
            "seed_group_links"
        )
        self.sql(
            "CREATE TEMP TABLE seed_path (status text, variant int, cert bool, step_no int, "
            "action text, from_status text, to_status text, actor text, comment text, "
            "excluded_next bool) ON COMMIT DROP"
        )
        self.sql(
            "INSERT INTO seed_path VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(self.path_rows)),
            [v for row in self.path_rows for v in row],
        )
        self.sql(
            "CREATE TEMP TABLE seed_path_length ON COMMIT DROP AS "
            "SELECT status, variant, cert, count(*)::int AS steps FROM seed_path "
            "GROUP BY status, variant, cert"
        )
        self.sql(
            "INSERT INTO seed_path_length SELECT %s, 0, c, 0 FROM (VALUES (false), (true)) v(c)",
            [S.DRAFT],
        )
        self.sql("CREATE TEMP TABLE seed_actor (kind text, key int, user_id int) ON COMMIT DROP")
        actors = []
        for r in range(1, sc.regions + 1):
            actors.append(
                ("region", r, self.user_ids[f"{USER_PREFIX}staff-{REGIONS[r - 1][0].lower()}"])
            )
        for g in range(1, sc.groups + 1):
            actors.append(("reviewer", g, self.user_ids[f"{USER_PREFIX}reviewer-{g}"]))
        for b in range(1, sc.bodies + 1):
            actors.append(("officer", b, self.user_ids[f"{USER_PREFIX}officer-{b}"]))
        self.sql(
            "INSERT INTO seed_actor VALUES " + ", ".join(["(%s, %s, %s)"] * len(actors)),
            [v for row in actors for v in row],
        )
        # Regions linked with each group by a current roadmap (for contracts of tenders).
        links = []
        counts = {}
        for r in range(1, sc.regions + 1):
            for j in range(sc.roadmaps_per_region):
                g = self.group_of_slot(r, j)
                links.append((g, counts.get(g, 0), r))
                counts[g] = counts.get(g, 0) + 1
        self.sql(
            "CREATE TEMP TABLE seed_group_region (group_id int, n int, region_id int) ON COMMIT DROP"
        )
        self.sql(
            "INSERT INTO seed_group_region VALUES " + ", ".join(["(%s, %s, %s)"] * len(links)),
            [v for row in links for v in row],
        )
        self.sql("CREATE TEMP TABLE seed_group_links (group_id int, links int) ON COMMIT DROP")
        self.sql(
            "INSERT INTO seed_group_links VALUES " + ", ".join(["(%s, %s)"] * len(counts)),
            [v for row in counts.items() for v in row],
        )
        self.sql("ANALYZE seed_path; ANALYZE seed_path_length; ANALYZE seed_actor")

    def offers(self):
        sc = self.scale
        R, K, G, N = sc.regions, sc.roadmaps_per_region, sc.groups, sc.suppliers
        thresholds = []
        total = 0.0
        for status, share in STATUS_SHARES:
            total += share
            thresholds.append((status, round(total, 6)))
        status_case = (
            "CASE "
            + " ".join(f"WHEN u < {limit} THEN '{status}'" for status, limit in thresholds[:-1])
            + f" ELSE '{thresholds[-1][0]}' END"
        )
        unverified = "({s} % 14 = 0 OR {s} % 33 = 0)"
        early = ", ".join(f"'{s}'" for s in EARLY)
        products = PRODUCTS
        gap = GAP_SQL.format(t="o")
        self.sql(
            f"""
            WITH drawn AS (
                SELECT i, 1 + floor(random() * {N})::int AS s0,
                       floor(random() * {K - 1})::int AS slot,
                       random() AS u, floor(random() * {len(products)})::int + 1 AS p,
                       random() AS v, random() AS w
                FROM generate_series(1, {sc.offers}) AS i
            ), staged AS (
                SELECT *, {status_case} AS drawn_status FROM drawn
            ), placed AS (
                -- Past the supplier's own steps, the supplier must be verified.
                SELECT *,
                  CASE WHEN drawn_status IN ({early}) OR NOT {unverified.format(s="s0")} THEN s0
                       WHEN NOT {unverified.format(s=f"(s0 % {N} + 1)")} THEN s0 % {N} + 1
                       ELSE (s0 + 1) % {N} + 1 END AS s
                FROM staged
            ), o AS (
                SELECT p.*, (p.s - 1) % {R} + 1 AS region,
                       ((((p.s - 1) % {R}) * 7 + p.slot) % {G}) + 1 AS grp,
                       now() - make_interval(days => 150 + floor(p.w * 1800)::int,
                                             secs => floor(p.v * 86400)::int) AS created
                FROM placed p
            ), typed AS (
                SELECT o.*, c.required_body_id IS NOT NULL AS cert,
                       CASE WHEN o.drawn_status = 'certified' AND c.required_body_id IS NULL
                            THEN 'tested' ELSE o.drawn_status END AS status
                FROM o JOIN roadmap_portal_corporation c ON c.id = o.grp
            )
            INSERT INTO suppliers_offer (
                id, supplier_id, roadmap_id, demand_id, name, description, okpd2,
                import_substitution, replaces, gisp_number, capacity_per_year, unit, unit_price,
                status, status_changed, created, updated)
            SELECT t.i, t.s, (t.region - 1) * {K} + t.slot + 1, NULL,
                   {NAMES}[t.p] || ' ' || upper(substr(md5(t.i::text), 1, 3)) || '-' || (100 + t.i % 900),
                   {NAMES}[t.p] || ': серийное производство, поставка по техническим условиям заказчика.',
                   {PREFIXES}[t.p] || '.' || to_char(10 + t.i % 30, 'FM00') || '.' || to_char((t.i * 37) % 1000, 'FM000'),
                   {ANALOGS}[t.p] <> '' AND t.i % 3 <> 0,
                   CASE WHEN {ANALOGS}[t.p] <> '' AND t.i % 3 <> 0 THEN {ANALOGS}[t.p] ELSE '' END,
                   CASE WHEN t.i % 5 < 2 THEN 'ГИСП-' || to_char(t.i, 'FM00000000') ELSE '' END,
                   round((10 + t.v * 50000)::numeric, 2), {UNITS}[t.p],
                   round((1000 + t.w * t.w * 5000000)::numeric, 2),
                   t.status,
                   t.created + pl.steps * {gap.replace("o.id", "t.i")},
                   t.created,
                   t.created + pl.steps * {gap.replace("o.id", "t.i")}
            FROM typed t
            JOIN seed_path_length pl ON pl.status = t.status AND pl.cert = t.cert
             AND pl.variant = {VARIANT_SQL.format(t="t").replace("t.id", "t.i")}
            """
        )

    def _offer_paths(self, where, joins=""):
        """FROM clause: offers with their group, certification need and path steps."""
        variant = VARIANT_SQL.format(t="o")
        return f"""
            FROM suppliers_offer o
            JOIN roadmap_portal_roadmap rm ON rm.id = o.roadmap_id
            JOIN roadmap_portal_corporation c ON c.id = rm.corporation_id
            JOIN seed_path p ON p.status = o.status AND p.variant = {variant}
             AND p.cert = (c.required_body_id IS NOT NULL)
            {joins}
            WHERE {where}
        """

    def certificates(self):
        """One certificate per offer that reached ``certified`` with a required body.

        Certified and registered offers hold a valid one; excluded offers lost theirs
        (expired on the day of exclusion, or revoked).
        """
        gap = GAP_SQL.format(t="o")
        officer = "LEFT JOIN seed_actor a ON a.kind = 'officer' AND a.key = c.required_body_id"
        self.sql(
            f"""
            INSERT INTO certification_certificate (
                id, number, body_id, supplier_id, issued_on, valid_until, status, status_reason,
                scan, renews_id, issued_by_id, created)
            SELECT row_number() OVER (ORDER BY o.id), 'СС-' || to_char(o.id, 'FM00000000'),
                   c.required_body_id, o.supplier_id,
                   (o.created + p.step_no * {gap})::date,
                   CASE WHEN o.status = 'excluded' AND o.id % 2 = 0
                        THEN (o.created + (p.step_no + 2) * {gap})::date
                        ELSE current_date + 20 + ((o.id * 13) % 1100)::int END,
                   CASE WHEN o.status <> 'excluded' THEN 'valid'
                        WHEN o.id % 2 = 0 THEN 'expired' ELSE 'revoked' END,
                   CASE WHEN o.status <> 'excluded' THEN ''
                        WHEN o.id % 2 = 0 THEN 'Срок действия истёк.'
                        ELSE 'Отозван по результатам инспекционного контроля.' END,
                   '', NULL, a.user_id, o.created + p.step_no * {gap}
            {self._offer_paths("p.action = 'certify'", officer)}
            """
        )
        self.sql(
            """
            INSERT INTO certification_certificate_offers (certificate_id, offer_id)
            SELECT id, substr(number, 4)::int FROM certification_certificate
            """
        )

    def register_entries(self):
        gap = GAP_SQL.format(t="o")
        certificate = "LEFT JOIN certification_certificate_offers co ON co.offer_id = o.id"
        self.sql(
            f"""
            INSERT INTO certification_registerentry (
                corporation_id, number, offer_id, supplier_id, okpd2, certificate_id,
                included_on, excluded_on, exclusion_reason, updated)
            SELECT rm.corporation_id,
                   row_number() OVER (PARTITION BY rm.corporation_id
                                      ORDER BY o.created + p.step_no * {gap}, o.id),
                   o.id, o.supplier_id, o.okpd2, co.certificate_id,
                   (o.created + p.step_no * {gap})::date,
                   CASE WHEN p.excluded_next THEN (o.created + (p.step_no + 1) * {gap})::date END,
                   CASE WHEN p.excluded_next THEN {lit(COMMENTS["exclude"])} ELSE '' END,
                   now()
            {self._offer_paths("p.action IN ('register', 'reinstate')", certificate)}
            """
        )

    def history(self):
        gap = GAP_SQL.format(t="o")
        joins = f"""
            LEFT JOIN seed_actor a ON a.kind = p.actor AND a.key = CASE p.actor
                WHEN 'region' THEN rm.region_id WHEN 'reviewer' THEN rm.corporation_id
                WHEN 'officer' THEN c.required_body_id END
            LEFT JOIN certification_certificate_offers co
              ON p.action = 'certify' AND co.offer_id = o.id
            LEFT JOIN certification_registerentry e
              ON p.action IN ('register', 'reinstate') AND e.offer_id = o.id
             AND e.included_on = (o.created + p.step_no * {gap})::date
        """
        self.sql(
            f"""
            INSERT INTO suppliers_offertransition (
                offer_id, action, from_status, to_status, actor_id, comment, data, created)
            SELECT o.id, p.action, p.from_status, p.to_status, a.user_id, p.comment,
                   CASE WHEN p.action = 'certify'
                          THEN jsonb_build_object('certificate', co.certificate_id)
                        WHEN p.action IN ('register', 'reinstate')
                          THEN jsonb_build_object('register_entry', e.id, 'number', e.number)
                        ELSE '{{}}'::jsonb END,
                   o.created + p.step_no * {gap}
            {self._offer_paths("true", joins)}
            """
        )

    def tenders(self):
        sc = self.scale
        corporations = sc.groups + sc.subsidiaries
        prefixes = [p[0] for p in PRODUCTS]
        # Status by id modulo 20: 2 open, 1 announced, 1 cancelled, 4 closed, 12 awarded.
        self.sql(
            f"""
            INSERT INTO procurement_tender (
                id, customer_id, number, title, description, categories, published_on,
                deadline, estimated_value, status, created, updated)
            SELECT t.i, t.customer, 'Т-' || to_char(t.i, 'FM0000000'),
                   'Поставка: ' || {NAMES}[t.p],
                   'Закупка для нужд заказчика, ОКПД2 ' || {PREFIXES}[t.p],
                   CASE WHEN t.i % 4 = 0
                        THEN jsonb_build_array({PREFIXES}[t.p], {PREFIXES}[t.p2])
                        WHEN t.i % 7 = 0 THEN jsonb_build_array(left({PREFIXES}[t.p], 2))
                        ELSE jsonb_build_array({PREFIXES}[t.p]) END,
                   t.published, t.deadline,
                   round((500000 + t.w * t.w * 300000000)::numeric, 2), t.status, now(), now()
            FROM (
                SELECT i, 1 + floor(random() * {corporations})::int AS customer,
                       1 + floor(random() * {len(prefixes)})::int AS p,
                       1 + floor(random() * {len(prefixes)})::int AS p2, random() AS w,
                       CASE WHEN i % 20 < 2 THEN 'open' WHEN i % 20 = 2 THEN 'announced'
                            WHEN i % 20 = 3 THEN 'cancelled' WHEN i % 20 < 8 THEN 'closed'
                            ELSE 'awarded' END AS status,
                       CASE WHEN i % 20 < 2 THEN current_date - 1 - i % 20
                            WHEN i % 20 = 2 THEN current_date - i % 5
                            ELSE date '2017-01-10' + (i * 7919) % (current_date - date '2017-03-01')
                            END AS published,
                       CASE WHEN i % 20 < 2 THEN current_date + 5 + i % 55
                            WHEN i % 20 = 2 THEN current_date + 30 + i % 60
                            ELSE date '2017-02-10' + (i * 7919) % (current_date - date '2017-03-01')
                            END AS deadline
                FROM generate_series(1, {sc.tenders}) AS i
            ) t
            """
        )
        self.sql(
            f"""
            INSERT INTO roadmap_portal_demand (
                customer_id, title, description, category, quantity, unit, replaces, deadline,
                created)
            SELECT 1 + (i * 37) % {corporations},
                   {NAMES}[1 + i % {len(PRODUCTS)}] || ' взамен импортных',
                   '', {PREFIXES}[1 + i % {len(PRODUCTS)}], 10 + i % 500,
                   {UNITS}[1 + i % {len(PRODUCTS)}], {ANALOGS}[1 + i % {len(PRODUCTS)}],
                   current_date + 30 + i % 600, now() - make_interval(days => i % 400)
            FROM generate_series(1, {sc.demands}) AS i
            """
        )

    def contracts(self):
        """Contracts between a region's suppliers and the corporations of a group linked
        to the region by a roadmap: a fifth of them awarded tenders of that customer."""
        sc = self.scale
        R, K, G, B, N = sc.regions, sc.roadmaps_per_region, sc.groups, sc.subsidiaries, sc.suppliers
        awarded_blocks = sc.tenders // 20
        region_suppliers = f"(floor(({N} - {{r}}) / {R}.0)::int + 1)"
        subsidiaries_of = f"GREATEST(floor(({B} - {{g}}) / {G}.0)::int + 1, 0)"
        from_tenders = sc.contracts // 5 if awarded_blocks else 0
        if from_tenders:
            self.sql(
                f"""
                WITH picked AS (
                    SELECT i, 20 * floor(random() * {awarded_blocks})::int + 8
                              + floor(random() * 12)::int AS tender_id,
                           random() AS u, random() AS v, random() AS w
                    FROM generate_series(1, {from_tenders}) AS i
                ), t AS (
                    SELECT pk.*, td.customer_id, td.deadline, td.estimated_value, td.title,
                           coalesce(c.parent_id, c.id) AS grp
                    FROM picked pk
                    JOIN procurement_tender td ON td.id = pk.tender_id
                    JOIN roadmap_portal_corporation c ON c.id = td.customer_id
                ), linked AS (
                    SELECT t.*, gr.region_id AS r
                    FROM t JOIN seed_group_links gl ON gl.group_id = t.grp
                    JOIN seed_group_region gr ON gr.group_id = t.grp
                     AND gr.n = floor(t.u * gl.links)::int
                )
                INSERT INTO procurement_contract (
                    supplier_id, customer_id, tender_id, bid_id, number, subject, amount,
                    signed_on, created, updated)
                SELECT l.r + {R} * floor(l.v * {region_suppliers.format(r="l.r")})::int,
                       l.customer_id, l.tender_id, NULL,
                       'Д-' || l.tender_id || '/' || l.i, l.title,
                       round((l.estimated_value * (0.02 + l.w * 0.2))::numeric, 2),
                       LEAST(l.deadline + 10 + (l.i % 50), current_date), now(), now()
                FROM linked l
                """
            )
        self.sql(
            f"""
            WITH picked AS (
                SELECT i, floor(random() * {R * K})::int AS link, random() AS u, random() AS v,
                       random() AS w, random() AS d
                FROM generate_series(1, {sc.contracts - from_tenders}) AS i
            ), linked AS (
                SELECT pk.*, pk.link / {K} + 1 AS r,
                       ((pk.link / {K}) * 7 + pk.link % {K}) % {G} + 1 AS g
                FROM picked pk
            )
            INSERT INTO procurement_contract (
                supplier_id, customer_id, tender_id, bid_id, number, subject, amount,
                signed_on, created, updated)
            SELECT l.r + {R} * floor(l.v * {region_suppliers.format(r="l.r")})::int,
                   CASE WHEN l.u < 0.2 OR {subsidiaries_of.format(g="l.g")} = 0 THEN l.g
                        ELSE {G} + l.g + {G} * floor((l.u - 0.2) / 0.8
                             * {subsidiaries_of.format(g="l.g")})::int END,
                   NULL, NULL, 'Д-' || to_char(l.i, 'FM00000000'),
                   'Поставка продукции по договору', round((20000 + l.w * l.w * l.w * 80000000)::numeric, 2),
                   date '2017-01-01' + floor(l.d * (current_date - date '2017-01-01'))::int,
                   now(), now()
            FROM linked l
            """
        )

    def reset_sequences(self):
        with connection.cursor() as cursor:
            for table in generated_tables():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)",
                    [table],
                )
