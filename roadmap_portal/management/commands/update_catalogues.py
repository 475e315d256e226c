"""Bring both catalogues up to date with the code, then say what is left to translate.

``makemessages`` (Russian and English, obsolete entries dropped) over the project's own
files; the English catalogue then gets the source text as the translation of every new or
changed message (English is the source language), so only Russian needs a translator.
``tests/test_translations.py`` fails until every Russian entry is translated and not fuzzy.
"""

import contextlib
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Directories that hold no message of the portal's own (packages, output, tests, docs).
IGNORED = (
    ".venv",
    "node_modules",
    "build",
    "test-results",
    "tests",
    "staticfiles",
    "media",
    "docs",
    "benchmarks",
    "static",
)


def catalogue(language: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"


def messages_of(po: Path, *options: str) -> list[str]:
    """The msgids that ``msgattrib`` selects with ``options`` (the header left out)."""
    out = subprocess.run(
        ["msgattrib", "--no-wrap", "--no-location", *options, str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line[len('msgid "') : -1]
        for line in out.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


def fill_english(po: Path) -> None:
    """Every untranslated or fuzzy English entry gets its source text as the translation;
    deliberate English wordings (a translation that differs from the source) stay."""
    text = po.read_text(encoding="utf-8")
    # A fuzzy header would be emptied with the fuzzy entries: it is not a translation.
    po.write_text(text.replace('#, fuzzy\nmsgid ""\nmsgstr ""\n', 'msgid ""\nmsgstr ""\n', 1))
    with tempfile.TemporaryDirectory() as tmp:
        cleared = Path(tmp) / "en.po"
        subprocess.run(
            ["msgattrib", "--clear-fuzzy", "--empty", "--clear-previous", "-o", str(cleared)]
            + [str(po)],
            check=True,
        )
        subprocess.run(["msgen", "-o", str(po), str(cleared)], check=True)


class Command(BaseCommand):
    help = "Update the Russian and English catalogues from the code; list what needs Russian."

    def handle(self, *args, **options) -> None:
        with contextlib.chdir(settings.BASE_DIR):
            call_command(
                "makemessages",
                locale=["ru", "en"],
                no_obsolete=True,
                ignore_patterns=list(IGNORED),
                verbosity=0,
            )
        fill_english(catalogue("en"))
        untranslated = messages_of(catalogue("ru"), "--untranslated")
        fuzzy = messages_of(catalogue("ru"), "--only-fuzzy")
        for title, found in (("Untranslated", untranslated), ("Fuzzy", fuzzy)):
            if found:
                self.stdout.write(f"{title} in Russian ({len(found)}):")
                for msgid in found:
                    self.stdout.write(f"  {msgid}")
        if untranslated or fuzzy:
            self.stdout.write(
                "Translate them in locale/ru/LC_MESSAGES/django.po (and clear the fuzzy "
                "flags), then run compilemessages."
            )
        else:
            self.stdout.write("Both catalogues are complete.")
