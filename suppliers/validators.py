"""Identifier and classification checks shared by forms, serializers and the import."""

import json
import re
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

OKPD2_FORMAT = re.compile(r"^\d{2}(\.\d{2}(\.\d{1,2}(\.\d{3})?)?)?$")


@cache
def okpd2_classes():
    """The two-digit OKPD2 classes (OK 034-2014) with their Russian names."""
    path = Path(__file__).parent / "data" / "okpd2_classes.json"
    return json.loads(path.read_text(encoding="utf-8"))


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


def validate_okpd2(value):
    value = (value or "").strip()
    if not OKPD2_FORMAT.match(value):
        raise ValidationError(
            _(
                "OKPD2 code %(code)s is not in the form NN, NN.NN, NN.NN.N, NN.NN.NN or NN.NN.NN.NNN."
            )
            % {"code": value},
            code="okpd2_format",
        )
    if value[:2] not in okpd2_classes():
        raise ValidationError(
            _("OKPD2 class %(cls)s does not exist.") % {"cls": value[:2]}, code="okpd2_class"
        )


def okpd2_matches(code, prefixes):
    """True when ``code`` falls under one of ``prefixes`` (PRODUCT.md: prefix match)."""
    return any(code.startswith(prefix) for prefix in prefixes)


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
    from django.conf import settings

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
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise ValidationError(
            {
                field: _("The file “%(name)s” is not a PDF: only PDF files are accepted.")
                % {"name": upload.name}
            },
            code="file_not_pdf",
        )
