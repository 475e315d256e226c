"""Identifier and classification checks shared by forms, serializers and the import."""

import contextlib
import io
import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from roadmap_portal import okpd2

# pypdf reports every oddity of a damaged file as a warning; the checks below decide.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def validate_inn(value):
    value = (value or "").strip()
    if not value.isdigit():
        raise ValidationError(_("INN must contain digits only."), code="inn_format")
    if len(value) != 10:
        raise ValidationError(
            _("An organisation's INN has 10 digits; this one has %(count)d.")
            % {"count": len(value)},
            code="inn_length",
        )
    try:
        stdnum_inn.validate(value)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("INN check digit is wrong: please check the number."), code="inn_checksum"
        ) from exc
    except StdnumError as exc:  # format, length, or a part that cannot exist
        raise ValidationError(_("INN is not valid."), code="inn_invalid") from exc


def validate_ogrn(value):
    value = (value or "").strip()
    if not value.isdigit():
        raise ValidationError(_("OGRN must contain digits only."), code="ogrn_format")
    if len(value) != 13:
        raise ValidationError(
            _("An organisation's OGRN has 13 digits; this one has %(count)d.")
            % {"count": len(value)},
            code="ogrn_length",
        )
    try:
        stdnum_ogrn.validate(value)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("OGRN check digit is wrong: please check the number."), code="ogrn_checksum"
        ) from exc
    except StdnumError as exc:  # format, length, or a part that cannot exist
        raise ValidationError(_("OGRN is not valid."), code="ogrn_invalid") from exc


# Migrations name the OKPD2 validator by this path.
validate_okpd2 = okpd2.validate


INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_with_checksum(first_nine):
    """Complete a 9-digit stem into a valid organisation INN (demo data, generators)."""
    digits = [int(c) for c in f"{int(first_nine):09d}"]
    check = sum(w * d for w, d in zip(INN_WEIGHTS, digits, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def ogrn_with_checksum(first_twelve):
    """Complete a 12-digit stem into a valid OGRN."""
    stem = f"{int(first_twelve):012d}"
    return stem + str(int(stem) % 11 % 10)


PDF_MAGIC = b"%PDF-"


def validate_pdf_upload(upload, *, field="file"):
    """An uploaded datasheet or scan: not empty, within ``MAX_UPLOAD_BYTES``, and a real PDF.

    The content is checked, not the name or the browser's content type.
    """
    limit = settings.MAX_UPLOAD_BYTES
    if upload is None:
        raise ValidationError({field: _("Choose a PDF file to upload.")}, code="file_missing")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(
            {field: _("The file “%(name)s” is empty.") % {"name": upload.name}}, code="file_empty"
        )
    if size > limit:
        raise ValidationError(
            {
                field: _("The file “%(name)s” is %(size).1f MB; the limit is %(limit).1f MB.")
                % {"name": upload.name, "size": size / 1_048_576, "limit": limit / 1_048_576}
            },
            code="file_too_large",
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    upload.seek(0)
    if content[: len(PDF_MAGIC)] != PDF_MAGIC:
        raise ValidationError(
            {
                field: _("The file “%(name)s” is not a PDF: only PDF files are accepted.")
                % {"name": upload.name}
            },
            code="file_not_pdf",
        )
    refusal = pdf_refusal(content)
    if refusal:
        raise ValidationError(
            {
                field: _("The PDF “%(name)s” is not accepted: %(reason)s")
                % {"name": upload.name, "reason": refusal}
            },
            code="pdf_active_content",
        )


def pdf_stored_name(name, *, default="document.pdf"):
    """The name a PDF is kept and offered for download under: always ``.pdf``, whatever the
    sender called it (``x.html`` holding a PDF must never be saved as HTML by a browser)."""
    base = Path(str(name or "")).name.strip().replace("\x00", "")
    stem = base[:-4] if base.lower().endswith(".pdf") else Path(base).stem
    stem = stem.strip(" .")[:200]
    return f"{stem}.pdf" if stem else default


# --- active content in PDFs -----------------------------------------------------------
#
# What a viewer may run or open by itself. Found as a dictionary key or a name value
# anywhere in the document: /S /JavaScript and /JS (scripts, also behind /OpenAction),
# /Launch (runs a program), /EmbeddedFile(s) (files inside the PDF), /AA (actions run on
# open, close, focus...), /RichMedia (Flash, video), /XFA (scripted forms).
PDF_ACTIVE_NAMES = {
    "JS": gettext_lazy("JavaScript"),
    "JavaScript": gettext_lazy("JavaScript"),
    "Launch": gettext_lazy("a launch action, which runs a program"),
    "EmbeddedFile": gettext_lazy("an embedded file"),
    "EmbeddedFiles": gettext_lazy("embedded files"),
    "AA": gettext_lazy("automatic actions (/AA)"),
    "RichMedia": gettext_lazy("rich media (Flash or video)"),
    "XFA": gettext_lazy("an XFA form, which can run scripts"),
}
PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")


def _pdf_name(raw):
    return PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


def _outside_streams(content):
    """The document's text with stream bodies (images, fonts, page drawing) left out: the
    bytes where dictionaries are written. A body ends at its ``endstream``."""
    position = 0
    for match in PDF_STREAM_START.finditer(content):
        if match.start() < position:
            continue
        yield content[position : match.start()]
        end = content.find(b"endstream", match.end())
        if end < 0:
            return
        position = end + len(b"endstream")
    yield content[position:]


def _raw_names(content):
    """Every name written outside stream bodies, unescaped."""
    names = set()
    for text in _outside_streams(content):
        names.update(_pdf_name(raw) for raw in PDF_NAME.findall(text))
    return names


def _cannot_check():
    return PdfUnreadable(
        _(
            "part of it is compressed in a way that cannot be read to be checked: print it to "
            "a new PDF and upload that."
        )
    )


def _parsed_active_name(content):
    """(read, name): whether pypdf could read the document, and the first active name it
    found in any object, object streams and encryption included.

    Raises ``PdfUnreadable`` for what cannot be checked: encrypted with a password, too
    many objects, or an object inside an object stream (where the raw scan cannot see)
    that cannot be read.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NullObject

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfUnreadable(
                _("it is protected by a password: save it without protection and upload it again.")
            )
        numbers = {number for table in reader.xref.values() for number in table}
        numbers.update(reader.xref_objStm)
    except PdfUnreadable:
        raise
    except DependencyError as exc:
        raise _cannot_check() from exc
    except Exception:  # pypdf raises many kinds for a damaged file
        return False, None
    # pypdf reads about ten thousand objects a second: past the limit a PDF is refused
    # rather than parsed for seconds.
    limit = settings.PDF_MAX_OBJECTS
    if len(numbers) > limit:
        raise PdfUnreadable(
            _(
                "it holds %(count)d objects, more than the %(limit)d a PDF may have here: "
                "print it to a new PDF or split it."
            )
            % {"count": len(numbers), "limit": limit}
        )
    compressed = set(reader.xref_objStm)
    pending = []
    with contextlib.suppress(Exception):
        pending.append(reader.trailer)
    for number in sorted(numbers):
        try:
            item = reader.get_object(number)
        except Exception as exc:
            if number in compressed or reader.is_encrypted:
                raise _cannot_check() from exc
            item = None  # a damaged plain object: the raw scan reads its bytes
        else:
            if number in compressed and (item is None or isinstance(item, NullObject)):
                raise _cannot_check()  # pypdf gave up on the stream quietly
        pending.append(item)
        while pending:
            item = pending.pop()
            if isinstance(item, DictionaryObject):
                for key, value in item.items():
                    if key[1:] in PDF_ACTIVE_NAMES:
                        return True, key[1:]
                    pending.append(value)
            elif isinstance(item, ArrayObject):
                pending.extend(item)
            elif isinstance(item, NameObject) and item[1:] in PDF_ACTIVE_NAMES:
                return True, item[1:]
    return True, None


class PdfUnreadable(Exception):
    pass


def pdf_refusal(content):
    """Why a PDF is refused (a translated reason), or None for a PDF without active content.

    Two passes: pypdf reads every object, compressed object streams and encrypted
    documents included; a raw scan reads every name written outside stream bodies, for
    what pypdf cannot parse or does not list. A name may be escaped (``/J#53``); both
    passes read it unescaped. A document pypdf cannot read whose raw text declares object
    streams cannot be checked, and is refused.
    """
    try:
        read, found = _parsed_active_name(content)
        if found is None:
            names = _raw_names(content)
            found = next((name for name in PDF_ACTIVE_NAMES if name in names), None)
            if found is None and not read and "ObjStm" in names:
                raise _cannot_check()
    except PdfUnreadable as exc:
        return str(exc)
    if found is None:
        return None
    return _(
        "it contains %(what)s. PDFs with active content (scripts, launch actions, embedded "
        "files, automatic actions, rich media, XFA forms) are refused: print it to a new PDF "
        "or scan the paper again."
    ) % {"what": PDF_ACTIVE_NAMES[found]}
