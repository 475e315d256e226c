"""With S3_BUCKET set, a message's attachments live in the bucket (moto's S3 server, the
fixtures of the certification storage tests) and come back only through the scoped views."""

import pytest

from tests.certification.test_object_storage import bucket, s3_endpoint  # noqa: F401

from .conftest import PDF_BYTES, make_offer, stored_on_disk
from .test_conversations import pdf, url

pytestmark = pytest.mark.django_db


def test_a_messages_attachment_is_kept_in_the_bucket_not_on_disk(
    bucket,  # noqa: F811
    world,
    api_as,
    settings,
):
    s3, name = bucket
    offer = make_offer(world, status="forwarded")
    answer = api_as(world.member).post(
        url(offer.pk),
        {"body": "the type approval", "attachments": [pdf("approval.pdf")]},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith(f"conversations/{offer.pk}/")
    assert stored_on_disk(settings.MEDIA_ROOT) == []
    download = api_as(world.reviewer).get(answer.json()["attachments"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Length"] == str(len(PDF_BYTES))
    assert (
        api_as(world.other_reviewer).get(answer.json()["attachments"][0]["url"]).status_code == 404
    )
