"""Listing images and evidence packs on S3-compatible object storage (a real SeaweedFS): the
views redirect to short-lived signed URLs that name the file."""

import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from evidence.models import EvidencePack
from tests.evidence.conftest import check_manifest, opened
from tests.qc.test_s3 import _get

pytestmark = pytest.mark.django_db


def test_listing_images_and_a_built_pack_come_from_signed_urls(
    s3_storage, evidence, client, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    client.force_login(evidence.order.shopper)
    image = evidence.order.listing_images.first()
    response = client.get(image.display_url)
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    status, body = _get(response["Location"])
    assert status == 200 and body[:2] == b"\xff\xd8"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence:download", args=[evidence.order.number]))
    pack = EvidencePack.objects.get()
    response = client.get(pack.get_absolute_url())
    assert response.status_code == 302
    signed = response["Location"]
    query = parse_qs(urlparse(signed).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert f"evidence-{evidence.order.number}.zip" in query["response-content-disposition"][0]
    with urllib.request.urlopen(signed, timeout=10) as got:
        assert got.headers["Content-Disposition"].startswith("attachment")
        check_manifest(opened(got.read()))
