import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from suppliers.validators import (
    inn_with_checksum,
    ogrn_with_checksum,
    validate_inn,
    validate_ogrn,
    validate_pdf_upload,
)

VALID_INN = "7017004461"  # a valid organisation INN (checksum digit 1)
VALID_OGRN = "1027000854242"


def _codes(exc):
    return {e.code for e in exc.value.error_list}


def test_known_identifiers_are_valid():
    assert inn_with_checksum(701700446) == VALID_INN
    validate_inn(VALID_INN)
    validate_ogrn(VALID_OGRN)
    validate_ogrn(ogrn_with_checksum(102700085424))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("7017004462", "inn_checksum"),
        ("701700446", "inn_length"),
        ("70170044611", "inn_length"),
        ("70170O4461", "inn_format"),
        ("", "inn_format"),
    ],
)
def test_bad_inn_is_rejected_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_inn(value)
    assert _codes(exc) == {code}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1027000854243", "ogrn_checksum"),
        ("102700085424", "ogrn_length"),
        ("10270008542421", "ogrn_length"),
        ("10270008542A2", "ogrn_format"),
    ],
)
def test_bad_ogrn_is_rejected_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_ogrn(value)
    assert _codes(exc) == {code}


def test_pdf_upload_checks_content_size_and_emptiness(settings):
    settings.MAX_UPLOAD_BYTES = 100
    validate_pdf_upload(SimpleUploadedFile("a.pdf", b"%PDF-1.4 tiny"))
    with pytest.raises(ValidationError, match="not a PDF"):
        validate_pdf_upload(SimpleUploadedFile("a.pdf", b"<html>fake</html>"))
    with pytest.raises(ValidationError, match="empty"):
        validate_pdf_upload(SimpleUploadedFile("a.pdf", b""))
    with pytest.raises(ValidationError, match="limit"):
        validate_pdf_upload(SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 200))
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.7")
    validate_pdf_upload(upload)
    assert upload.read() == b"%PDF-1.7"  # the check leaves the file at its start
