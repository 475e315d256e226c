"""Conversations on an offer: who reads and writes what, notifications, timeline, files."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from roadmap_portal.conversations.models import Message, MessageAttachment
from roadmap_portal.conversations.services import message_post
from roadmap_portal.models import Delivery, Notification, NotificationPreference
from suppliers.services import offer_transition
from tests.helpers import assert_constant_queries, count_queries

from .conftest import PDF_BYTES, make_offer, stored_on_disk

pytestmark = pytest.mark.django_db


def url(offer_id):
    return f"/api/v1/offers/{offer_id}/messages/"


def pdf(name="answer.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post(world_user, offer, body, *, internal=False, uploads=()):
    return message_post(
        offer_id=offer.pk, user=world_user, body=body, internal=internal, uploads=uploads
    )


def bodies(api_as, user, offer):
    response = api_as(user).get(url(offer.pk))
    assert response.status_code == 200, response.content
    return {row["body"] for row in response.json()["results"]}


@pytest.fixture
def thread(world, django_capture_on_commit_callbacks):
    """A tested offer (every side sees it) with a message or note from each side."""
    offer = make_offer(world, status="tested", name="Gas analyser")
    with django_capture_on_commit_callbacks(execute=True):
        post(world.staff, offer, "Q: which standard?")
        post(world.member, offer, "A: GOST 13320")
        post(world.staff, offer, "note: region", internal=True)
        post(world.reviewer, offer, "note: corporation", internal=True)
        post(world.officer, offer, "note: certification", internal=True)
        post(world.admin, offer, "admin: thanks")
    return offer


PUBLIC = {"Q: which standard?", "A: GOST 13320", "admin: thanks"}


def test_each_reader_sees_the_thread_and_only_their_own_sides_notes(api_as, world, thread):
    assert bodies(api_as, world.member, thread) == PUBLIC
    assert bodies(api_as, world.member2, thread) == PUBLIC
    assert bodies(api_as, world.staff2, thread) == PUBLIC | {"note: region"}
    assert bodies(api_as, world.reviewer2, thread) == PUBLIC | {"note: corporation"}
    assert bodies(api_as, world.officer, thread) == PUBLIC | {"note: certification"}
    assert bodies(api_as, world.admin, thread) == PUBLIC | {
        "note: region",
        "note: corporation",
        "note: certification",
    }
    rows = api_as(world.reviewer).get(url(thread.pk)).json()["results"]
    flags = {row["body"]: (row["internal"], row["audience"]) for row in rows}
    assert flags["note: corporation"] == (True, "corporation")
    assert flags["A: GOST 13320"] == (False, "everyone")
    assert [row["body"] for row in rows][:2] == ["Q: which standard?", "A: GOST 13320"]
    only_notes = api_as(world.staff).get(url(thread.pk) + "?internal=true").json()["results"]
    assert [row["body"] for row in only_notes] == ["note: region"]


def test_the_supplier_never_reads_a_note_in_html_api_or_notifications(
    api_as, client, world, thread
):
    client.force_login(world.member)
    page = client.get(reverse("suppliers:offer-detail", args=[thread.pk])).content.decode()
    assert "A: GOST 13320" in page and "Q: which standard?" in page
    assert "note:" not in page
    assert "Internal note" not in page  # no checkbox for a supplier either
    for row in api_as(world.member).get(url(thread.pk)).json()["results"]:
        assert row["internal"] is False
    note = Message.objects.get(body="note: region")
    single = api_as(world.member).get(f"{url(thread.pk)}{note.pk}/")
    assert single.status_code == 404
    told = Notification.objects.filter(recipient__profile__role="supplier")
    assert told.count() == 4  # the question and the administrator's message, two members
    assert not told.filter(message__contains="note:").exists()
    notifications = api_as(world.member).get("/api/v1/notifications/?page_size=100").json()
    assert all("note:" not in row["message"] for row in notifications["results"])
    assert all("note:" not in m.body for m in mail.outbox if m.to[0].startswith("member"))


def test_staff_pages_show_their_side_notes_marked(client, world, thread):
    client.force_login(world.staff)
    page = client.get(reverse("suppliers:offer-detail", args=[thread.pk])).content.decode()
    assert "note: region" in page
    assert "note: corporation" not in page and "note: certification" not in page
    note = Message.objects.get(body="note: region")
    entry = re.search(rf'id="message-{note.pk}"[^>]*data-audience="(\w+)"', page)
    assert entry.group(1) == "region"
    assert 'name="internal"' in page  # staff may keep notes


@pytest.mark.parametrize(
    "who", ["far_member", "kaluga_staff", "other_reviewer", "other_officer", "partner"]
)
def test_an_offer_outside_the_scope_is_404_for_reading_and_posting(api_as, client, world, who):
    offer = make_offer(world, status="tested")
    message = post(world.staff, offer, "Q")
    user = getattr(world, who)
    client_api = api_as(user)
    missing = offer.pk + 1000
    for offer_id in (offer.pk, missing):
        assert client_api.get(url(offer_id)).status_code == 404
        answer = client_api.post(url(offer_id), {"body": "hello"}, format="json")
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Not found."}
        assert client_api.get(f"{url(offer_id)}{message.pk}/").status_code == 404
    client.force_login(user)
    web = client.post(reverse("conversations:message-create", args=[offer.pk]), {"body": "hi"})
    assert web.status_code == 404
    assert Message.objects.count() == 1


def test_a_draft_is_the_suppliers_own_conversation(api_as, world):
    draft = make_offer(world, status="draft")
    assert api_as(world.staff).get(url(draft.pk)).status_code == 404
    forwarded = make_offer(world, status="forwarded")  # not yet the certification body's
    assert api_as(world.officer).get(url(forwarded.pk)).status_code == 404
    assert api_as(world.reviewer).get(url(forwarded.pk)).status_code == 200
    answer = api_as(world.member).post(url(draft.pk), {"body": "note to self"}, format="json")
    assert answer.status_code == 201
    assert Notification.objects.count() == 0  # nobody else sees a draft


def test_a_supplier_or_an_administrator_cannot_post_an_internal_note(api_as, client, world):
    offer = make_offer(world, status="forwarded")
    for user in (world.member, world.admin):
        answer = api_as(user).post(url(offer.pk), {"body": "hidden", "internal": True})
        assert answer.status_code == 403
        assert "Internal notes are kept by region staff" in answer.json()["detail"]
    client.force_login(world.member)
    web = client.post(
        reverse("conversations:message-create", args=[offer.pk]),
        {"body": "hidden", "internal": "on"},
        follow=True,
    )
    assert web.status_code == 200
    assert "The message was not sent: Internal notes are kept by region staff" in (
        web.content.decode()
    )
    assert not Message.objects.exists()


def test_a_question_notifies_the_suppliers_members_only(world, django_capture_on_commit_callbacks):
    offer = make_offer(world, status="tested", name="Gas analyser")
    with django_capture_on_commit_callbacks(execute=True):
        message = post(world.reviewer, offer, "Which standard?\nAnd the year?")
    told = Notification.objects.filter(event="offer_message")
    assert set(told.values_list("recipient__username", flat=True)) == {"member", "member2"}
    one = told.get(recipient=world.member)
    assert one.message == (
        f"{world.reviewer.username} wrote on “Gas analyser”: Which standard? And the year?"
    )
    assert one.url == f"/suppliers/offers/{offer.pk}/#message-{message.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == ["member2@example.org", "member@example.org"]


def test_an_answer_notifies_the_staff_who_see_the_offer_now(
    world, django_capture_on_commit_callbacks
):
    tested = make_offer(world, status="tested")
    submitted = make_offer(world, status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        post(world.member, tested, "Answer one")
        post(world.member, submitted, "Answer two")
    assert set(
        Notification.objects.filter(object_id=tested.pk).values_list(
            "recipient__username", flat=True
        )
    ) == {"staff", "staff2", "reviewer", "reviewer2", "officer"}
    assert set(
        Notification.objects.filter(object_id=submitted.pk).values_list(
            "recipient__username", flat=True
        )
    ) == {"staff", "staff2"}


def test_an_internal_note_reaches_colleagues_of_the_side_only(
    world, django_capture_on_commit_callbacks
):
    offer = make_offer(world, status="tested", name="Gas analyser")
    with django_capture_on_commit_callbacks(execute=True):
        post(world.reviewer, offer, "check the price", internal=True)
    told = Notification.objects.get()
    assert told.recipient == world.reviewer2
    assert told.message.startswith("Internal note by reviewer on “Gas analyser”")
    assert [m.to[0] for m in mail.outbox] == ["reviewer2@example.org"]


def test_each_person_hears_as_they_chose(world, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=world.member, event="offer_message", email="off")
    NotificationPreference.objects.create(user=world.member2, event="offer_message", email="digest")
    offer = make_offer(world, status="forwarded")
    with django_capture_on_commit_callbacks(execute=True):
        post(world.staff, offer, "A question")
    flags = dict(Notification.objects.values_list("recipient__username", "email_digest"))
    assert flags == {"member": False, "member2": True}  # both in the bell
    assert Delivery.objects.count() == 0 and mail.outbox == []


def test_messages_and_transitions_interleave_by_time(
    client, world, django_capture_on_commit_callbacks
):
    offer = make_offer(world, status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        post(world.member, offer, "before submitting")
        _, submitted = offer_transition(offer_id=offer.pk, user=world.member, action="submit")
        question = post(world.staff, offer, "a question")
        _, forwarded = offer_transition(offer_id=offer.pk, user=world.staff, action="forward")
        answer = post(world.member, offer, "an answer")
    first = Message.objects.get(body="before submitting")
    client.force_login(world.member)
    page = client.get(reverse("suppliers:offer-detail", args=[offer.pk])).content.decode()
    timeline = page[page.index('id="timeline"') :]
    order = re.findall(r'id="((?:history|message)-\d+)"', timeline)
    assert order == [
        f"message-{first.pk}",
        f"history-{submitted.pk}",
        f"message-{question.pk}",
        f"history-{forwarded.pk}",
        f"message-{answer.pk}",
    ]


def test_text_is_plain_escaped_with_line_breaks_kept(client, world):
    offer = make_offer(world, status="forwarded")
    client.force_login(world.staff)
    answer = client.post(
        reverse("conversations:message-create", args=[offer.pk]),
        {"body": "<b>bold?</b>\r\nsecond line"},
    )
    message = Message.objects.get()
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"#message-{message.pk}")
    assert message.body == "<b>bold?</b>\nsecond line"
    page = client.get(reverse("suppliers:offer-detail", args=[offer.pk])).content.decode()
    assert "&lt;b&gt;bold?&lt;/b&gt;<br>second line" in page


def test_too_long_or_empty_text_is_refused_clearly(api_as, client, world, settings):
    offer = make_offer(world, status="forwarded")
    api = api_as(world.staff)
    long = "x" * (settings.INPUT_TEXT_MAX_LENGTH + 1)
    answer = api.post(url(offer.pk), {"body": long}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "body": [f"Ensure this field has no more than {settings.INPUT_TEXT_MAX_LENGTH} characters."]
    }
    answer = api.post(url(offer.pk), {"body": "   "}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"body": ["This field may not be blank."]}
    with pytest.raises(Exception) as refused:
        post(world.staff, offer, long)
    assert refused.value.message_dict == {
        "body": [f"body is {len(long)} characters long; the limit is 5000."]
    }
    client.force_login(world.staff)
    web = client.post(
        reverse("conversations:message-create", args=[offer.pk]), {"body": long}, follow=True
    )
    text = web.content.decode()
    assert "The message was not sent" in text
    assert long in text  # the text is given back in the form, not lost
    assert not Message.objects.exists()


def test_attachments_are_validated_stored_and_downloaded_in_scope(api_as, world, media_root):
    offer = make_offer(world, status="tested")
    answer = api_as(world.member).post(
        url(offer.pk),
        {"body": "the protocol", "attachments": [pdf("../etc/protocol.pdf"), pdf("b.pdf")]},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    files = answer.json()["attachments"]
    assert [f["original_name"] for f in files] == ["protocol.pdf", "b.pdf"]
    stored = MessageAttachment.objects.get(pk=files[0]["id"])
    assert stored.file.name.startswith(f"conversations/{offer.pk}/")
    assert "protocol" not in stored.file.name
    download = api_as(world.officer).get(files[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert api_as(world.other_officer).get(files[0]["url"]).status_code == 404
    assert api_as(world.partner).get(files[0]["url"]).status_code == 404


def test_a_notes_attachment_is_not_downloadable_by_the_supplier(api_as, client, world):
    offer = make_offer(world, status="tested")
    note = post(world.staff, offer, "scan of the visit", internal=True, uploads=[pdf()])
    attachment = note.attachments.get()
    api_path = f"{url(offer.pk)}{note.pk}/attachments/{attachment.pk}/"
    web_path = reverse("conversations:attachment-download", args=[offer.pk, attachment.pk])
    assert api_as(world.staff2).get(api_path).status_code == 200
    assert api_as(world.member).get(api_path).status_code == 404
    client.force_login(world.member)
    assert client.get(web_path).status_code == 404
    client.force_login(world.staff2)
    web = client.get(web_path)
    assert web.status_code == 200
    assert web["Content-Disposition"] == 'attachment; filename="answer.pdf"'


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            [pdf("zip.pdf", b"PK\x03\x04 a zip")],
            "The file “zip.pdf” is not a PDF: only PDF files are accepted.",
        ),
        ([pdf("empty.pdf", b"")], "The file “empty.pdf” is empty."),
        (
            [pdf(f"{n}.pdf") for n in range(6)],
            "6 files were sent; a message carries at most 5 files.",
        ),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_kept(
    api_as, world, media_root, files, expected
):
    offer = make_offer(world, status="tested")
    answer = api_as(world.member).post(
        url(offer.pk), {"body": "see attached", "attachments": files}, format="multipart"
    )
    assert answer.status_code == 400
    assert answer.json() == {"attachments": [expected]}
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert stored_on_disk(media_root) == []


def test_an_oversize_attachment_is_refused(api_as, world, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    offer = make_offer(world, status="tested")
    answer = api_as(world.member).post(
        url(offer.pk),
        {"body": "big", "attachments": [pdf("big.pdf", b"%PDF-" + b"x" * 2048)]},
        format="multipart",
    )
    assert answer.status_code == 400
    assert answer.json() == {"attachments": ["The file “big.pdf” is 0.0 MB; the limit is 0.0 MB."]}
    assert not Message.objects.exists()


def test_a_failed_write_leaves_no_file_behind(world, media_root, monkeypatch):
    offer = make_offer(world, status="tested")
    from roadmap_portal.conversations import services

    def broken(message_id):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(services, "_notify", broken)
    with pytest.raises(RuntimeError):
        post(world.member, offer, "with a file", uploads=[pdf()])
    assert not Message.objects.exists()
    assert stored_on_disk(media_root) == []


def test_messages_are_append_only(world):
    offer = make_offer(world, status="tested")
    post(world.member, offer, "said once", uploads=[pdf()])
    for table in ("conversations_message", "conversations_messageattachment"):
        for sql in (f"UPDATE {table} SET created = created", f"DELETE FROM {table}"):
            with (
                pytest.raises(DatabaseError, match=f"{table} is append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    assert Message.objects.get().body == "said once"


def _messages(world, offer):
    def make(n):
        for i in range(n):
            author = world.member if i % 2 else world.staff
            post(author, offer, f"message {i}", uploads=[pdf()])
            post(world.staff, offer, f"note {i}", internal=True)

    return make


def test_the_api_list_takes_the_same_queries_for_1_and_50_messages(api_as, world):
    offer = make_offer(world, status="tested")
    client = api_as(world.staff)
    client.get(url(offer.pk))  # the forced user caches its scope on the first request
    queries = assert_constant_queries(
        _messages(world, offer), lambda: client.get(url(offer.pk) + "?page_size=200")
    )
    assert queries == 5, queries  # the offer, count, the page's ids, its rows, attachments


def test_the_offer_page_takes_the_same_queries_for_1_and_50_messages(client, world):
    offer = make_offer(world, status="tested")
    client.force_login(world.staff)
    page = reverse("suppliers:offer-detail", args=[offer.pk])

    def call():
        response = client.get(page)
        assert response.status_code == 200
        return response

    call()
    _, without_messages = count_queries(call)
    queries = assert_constant_queries(_messages(world, offer), call)
    # The messages are one query with their authors, with or without rows; their
    # attachments one more, only when there are messages.
    assert queries == without_messages + 1, (queries, without_messages)
