"""Uploaded PDFs: kept and offered as ``.pdf`` whatever the sender called them, and refused
when they carry active content (scripts, launch actions, embedded files, automatic actions,
rich media, XFA), including inside compressed object streams and behind escaped names."""

import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from suppliers import validators
from suppliers.models import OfferAttachment

from .conftest import PDF_BYTES, make_offer


def written(prepare=None):
    """A real one-page PDF written by pypdf, changed by ``prepare(writer)`` first."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if prepare:
        prepare(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def action(kind, **entries):
    values = {NameObject("/S"): NameObject(f"/{kind}")}
    for key, value in entries.items():
        values[NameObject(f"/{key}")] = TextStringObject(value)
    return DictionaryObject(values)


def open_action(kind, **entries):
    def prepare(writer):
        writer._root_object[NameObject("/OpenAction")] = action(kind, **entries)

    return prepare


def document_script(writer):
    """A document-level script: the catalog's /Names /JavaScript tree."""
    scripts = ArrayObject([TextStringObject("a"), action("JavaScript", JS="app.alert(1)")])
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): scripts})}
    )


def page_additional_action(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("URI", URI="https://example.org/")}
    )


def rich_media(writer):
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/RichMedia"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([annotation])


def xfa_form(writer):
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/XFA"): ArrayObject([TextStringObject("template"), TextStringObject("x")])}
    )


def object_stream_pdf(catalog_extra=b"", *, name_escape=False):
    """A PDF whose catalog lives in a FlateDecode object stream (as PDF 1.5+ writers save
    them), with ``catalog_extra`` in the catalog's dictionary."""
    catalog = b"<</Type/Catalog/Pages 3 0 R" + catalog_extra + b">>"
    if name_escape:
        catalog = catalog.replace(b"/JS", b"/J#53")
    pages = b"<</Type/Pages/Kids[4 0 R]/Count 1>>"
    page = b"<</Type/Page/Parent 3 0 R/MediaBox[0 0 200 200]>>"
    body = catalog + b" " + pages + b" " + page
    offsets = [0, len(catalog) + 1, len(catalog) + 1 + len(pages) + 1]
    header = b" ".join(b"%d %d" % (n, o) for n, o in zip((2, 3, 4), offsets, strict=True)) + b" "
    packed = zlib.compress(header + body)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = out.tell()
    out.write(
        b"1 0 obj<</Type/ObjStm/N 3/First %d/Filter/FlateDecode/Length %d>>stream\n"
        % (len(header), len(packed))
    )
    out.write(packed + b"\nendstream\nendobj\n")
    xref_at = out.tell()
    entries = [
        b"\x00\x00\x00\xff\xff",
        b"\x01" + stream_at.to_bytes(3, "big") + b"\x00",
        b"\x02\x00\x00\x01\x00",
        b"\x02\x00\x00\x01\x01",
        b"\x02\x00\x00\x01\x02",
        b"\x01" + xref_at.to_bytes(3, "big") + b"\x00",
    ]
    table = b"".join(entries)
    out.write(b"5 0 obj<</Type/XRef/Size 6/W[1 3 1]/Root 2 0 R/Length %d>>stream\n" % len(table))
    out.write(table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


JS_ACTION = b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"


def test_a_clean_pdf_passes():
    assert validators.pdf_refusal(written()) is None
    assert validators.pdf_refusal(object_stream_pdf()) is None
    assert validators.pdf_refusal(PDF_BYTES) is None
    validators.validate_pdf_upload(SimpleUploadedFile("sheet.pdf", written()))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (written(document_script), "JavaScript"),
        (written(open_action("JavaScript", JS="app.alert(1)")), "JavaScript"),
        (written(open_action("Launch", F="calc.exe")), "launch action"),
        (written(lambda w: w.add_attachment("a.exe", b"MZ")), "embedded file"),
        (written(page_additional_action), "automatic actions"),
        (written(rich_media), "rich media"),
        (written(xfa_form), "XFA form"),
        (object_stream_pdf(JS_ACTION), "JavaScript"),
        (object_stream_pdf(JS_ACTION, name_escape=True), "JavaScript"),
        (PDF_BYTES.replace(b"<<>>", b"<</OpenAction<</S/Launch/F(x.exe)>>>>"), "launch action"),
    ],
    ids=[
        "document-js",
        "openaction-js",
        "launch",
        "embedded-file",
        "additional-actions",
        "rich-media",
        "xfa",
        "js-in-object-stream",
        "escaped-name-in-object-stream",
        "unparseable-with-launch",
    ],
)
def test_active_content_is_refused_with_a_clear_message(content, says):
    upload = SimpleUploadedFile("sheet.pdf", content)
    with pytest.raises(ValidationError) as refused:
        validators.validate_pdf_upload(upload, field="scan")
    message = refused.value.message_dict["scan"][0]
    assert "“sheet.pdf” is not accepted" in message and says in message
    assert "active content" in message


def test_an_object_stream_is_what_hides_it_from_a_plain_scan():
    content = object_stream_pdf(JS_ACTION)
    assert b"/JS" not in content and b"JavaScript" not in content
    assert "JavaScript" in validators.pdf_refusal(content)


def test_an_object_stream_that_cannot_be_read_cannot_be_checked():
    content = object_stream_pdf(JS_ACTION)
    start = content.index(b"stream\n") + len(b"stream\n")
    broken = (
        content[:start]
        + bytes(b ^ 0x5A for b in content[start : start + 40])
        + content[start + 40 :]
    )
    assert "cannot be read to be checked" in validators.pdf_refusal(broken)


def test_too_many_objects_to_check(settings):
    settings.PDF_MAX_OBJECTS = 3
    assert "more than the 3 a PDF may have here" in validators.pdf_refusal(object_stream_pdf())


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("x.html", "x.pdf"),
        ("report.PDF", "report.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("archive.tar.gz", "archive.tar.pdf"),
        ("", "document.pdf"),
        (".html", "html.pdf"),
        ("..", "document.pdf"),
    ],
)
def test_stored_names_are_pdf(name, stored):
    assert validators.pdf_stored_name(name) == stored


@pytest.mark.django_db
def test_a_pdf_polyglot_named_html_is_stored_and_served_as_pdf(api_as, world):
    polyglot = b"%PDF-1.4\n<html><script>alert(document.domain)</script></html>\n%%EOF\n"
    offer = make_offer(world)
    client = api_as(world.member)
    response = client.post(
        f"/api/v1/offers/{offer.pk}/attachments/",
        {"file": SimpleUploadedFile("x.html", polyglot, content_type="text/html")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "x.pdf"
    attachment = OfferAttachment.objects.get()
    assert attachment.file.name.endswith(".pdf") and attachment.original_name == "x.pdf"
    download = client.get(f"/api/v1/offers/{offer.pk}/attachments/{attachment.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="x.pdf"' in download["Content-Disposition"]


@pytest.mark.django_db
def test_an_attachment_with_javascript_is_refused_and_not_stored(api_as, world):
    offer = make_offer(world)
    response = api_as(world.member).post(
        f"/api/v1/offers/{offer.pk}/attachments/",
        {"file": SimpleUploadedFile("sheet.pdf", object_stream_pdf(JS_ACTION))},
        format="multipart",
    )
    assert response.status_code == 400
    assert "JavaScript" in response.json()["file"][0]
    assert not OfferAttachment.objects.exists()
