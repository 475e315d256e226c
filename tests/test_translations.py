"""Both catalogues are complete, and words with more than one meaning carry a context.

``makemessages`` runs over the project's code into a temporary copy of the catalogues (the
real ones are never touched): a message in the code that a catalogue lacks comes out
untranslated, a changed one comes out fuzzy, and either fails the test with the messages
named. English is the source language; its catalogue still holds every message, its
translation equal to the source unless an English wording was chosen on purpose.

To bring the catalogues up to date after adding or changing a message::

    .venv/bin/python manage.py update_catalogues

It runs ``makemessages`` for both languages, gives every new English entry its source
text, and lists the Russian entries to translate (and to clear of the fuzzy flag); then
``compilemessages``.
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import pgettext

from certification import choices as certification_choices
from procurement.choices import BidStatus, TenderStatus
from roadmap_portal.choices import ReportStatus, RoadmapStatus
from suppliers.choices import OfferStatus, VerificationStatus

LANGUAGES = ("ru", "en")

# The module's tests share one regeneration when they run on one worker (pytest-xdist's
# loadgroup); each worker that runs one of them regenerates in a copy of its own.
pytestmark = pytest.mark.xdist_group("translations")
# The directories whose files hold the project's messages (the same that the command
# above reads; tests, documentation and front-end packages hold none).
SOURCES = ("certification", "procurement", "roadmap_portal", "suppliers", "templates")
CATALOGUE = Path("LC_MESSAGES") / "django.po"
# makemessages over the copy given as the first argument, into the copy's catalogues.
MAKEMESSAGES = """
import sys
import django
from django.conf import settings
django.setup()
settings.LOCALE_PATHS = [sys.argv[1] + "/locale"]
from django.core.management import call_command
call_command("makemessages", locale=sys.argv[2:], no_obsolete=True, verbosity=0)
"""


def _entries(po: Path, *options: str) -> list[str]:
    """The messages ``msgattrib`` selects with ``options``, as ``context|msgid`` lines."""
    out = subprocess.run(
        ["msgattrib", "--no-wrap", "--no-location", *options, str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for block in out.split("\n\n"):
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        if msgid and msgid.group(1):
            found.append(f"{context.group(1)}|{msgid.group(1)}" if context else msgid.group(1))
    return found


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """The catalogues as ``makemessages`` makes them from the code today, in a copy."""
    root = tmp_path_factory.mktemp("messages")
    # A copy, not links: makemessages writes each template's preprocessed ``.html.py`` next
    # to the template and deletes it afterwards, and in the project's own folders another
    # run at the same time would read those files as sources and then lose them.
    for name in SOURCES:
        shutil.copytree(
            Path(settings.BASE_DIR) / name,
            root / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.html.py", "*.txt.py"),
        )
    for language in LANGUAGES:
        target = root / "locale" / language / CATALOGUE
        target.parent.mkdir(parents=True)
        shutil.copy(Path(settings.BASE_DIR) / "locale" / language / CATALOGUE, target)
    # In a process of its own: makemessages reads the working directory, which this
    # process's other tests must keep.
    subprocess.run(
        [sys.executable, "-c", MAKEMESSAGES, str(root), *LANGUAGES],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
        check=True,
    )
    return root / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_code_is_translated(regenerated, language):
    po = regenerated / language / CATALOGUE
    untranslated = _entries(po, "--untranslated")
    assert untranslated == [], (
        f"without a {language} translation (see this file's docstring):\n" + "\n".join(untranslated)
    )
    fuzzy = _entries(po, "--only-fuzzy")
    assert fuzzy == [], f"fuzzy in {language}: check, then clear the flag:\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_catalogue_compiles_and_holds_every_message(regenerated, language):
    committed = Path(settings.BASE_DIR) / "locale" / language / CATALOGUE
    check = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(committed)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    # Nothing of the code is missing from the committed file, fuzzy or not.
    missing = sorted(set(_entries(regenerated / language / CATALOGUE)) - set(_entries(committed)))
    assert missing == [], "missing from the catalogue:\n" + "\n".join(missing)
    assert _entries(committed, "--untranslated") == []
    assert _entries(committed, "--only-fuzzy") == []


# One English word, several meanings: each meaning has its own Russian.
MEANINGS = [
    ("action", "Open", "Открыть"),
    ("tender status", "Open", "Открыта"),
    ("button", "Register", "Зарегистрироваться"),
    (None, "Register", "Реестр"),
    ("button", "Sign in", "Войти"),
    (None, "Sign in", "Вход"),
    ("filter option", "Active", "Действующие"),
    ("state", "Active", "Действует"),
    ("filter option", "Excluded", "Исключённые"),
    ("register column", "Excluded", "Исключение"),
    ("offer status", "Excluded", "Исключено"),
    ("filter option", "Read", "Прочитанные"),
    ("state", "Read", "Прочитано"),
    ("date the status was set", "Since", "Дата статуса"),
    ("bid status", "Submitted", "Подана"),
    ("offer status", "Submitted", "Подано"),
    ("bid status", "Awarded", "Победила"),
    ("tender status", "Awarded", "Определён победитель"),
    ("supplier verification", "Rejected", "Отклонён"),
    ("offer status", "Rejected", "Отклонено"),
    ("test result", "Failed", "Не пройдены"),
    ("report status", "Failed", "Ошибка"),
    (None, "Failed", "Не доставлено"),
    (None, "API keys", "Ключи API"),
    ("model name", "API keys", "ключи API"),
    (None, "OKPD2 code", "Код ОКПД2"),
]


@pytest.mark.parametrize(("context", "english", "russian"), MEANINGS)
def test_each_meaning_has_its_own_russian(context, english, russian):
    with translation.override("ru"):
        text = pgettext(context, english) if context else translation.gettext(english)
    assert text == russian


def test_status_labels_say_what_the_status_means_in_russian():
    with translation.override("ru"):
        labels = [
            str(label)
            for label in (
                TenderStatus.OPEN.label,
                BidStatus.AWARDED.label,
                OfferStatus.SUBMITTED.label,
                VerificationStatus.REJECTED.label,
                RoadmapStatus.ACTIVE.label,
                ReportStatus.FAILED.label,
                certification_choices.TestResult.FAILED.label,
            )
        ]
    assert labels == [
        "Открыта",
        "Победила",
        "Подано",
        "Отклонён",
        "Действует",
        "Ошибка",
        "Не пройдены",
    ]


DAY = datetime.date(2026, 12, 2)
MOMENT = timezone.make_aware(datetime.datetime(2026, 12, 2, 14, 30))


@pytest.mark.parametrize(
    ("language", "date", "moment"),
    [("en", "2 Dec 2026", "2 Dec 2026, 14:30"), ("ru", "02.12.2026", "02.12.2026 14:30")],
)
def test_dates_read_the_same_way_in_every_format_of_a_language(language, date, moment):
    with translation.override(language):
        assert [date_format(DAY, f) for f in ("DATE_FORMAT", "SHORT_DATE_FORMAT")] == [date] * 2
        assert [date_format(MOMENT, f) for f in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT")] == [
            moment
        ] * 2
        rendered = Template(
            '{{ day|date:"SHORT_DATE_FORMAT" }}|{{ day }}|{{ moment|date:"SHORT_DATETIME_FORMAT" }}'
        ).render(Context({"day": DAY, "moment": MOMENT}))
    assert rendered == f"{date}|{date}|{moment}"
