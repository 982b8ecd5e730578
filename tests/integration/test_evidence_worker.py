"""A large order's evidence pack, built by a real Celery worker from the Redis broker: the
shopper asks once, the worker on the `images` queue stores the ZIP and the shopper is notified
and emailed; the link then serves the pack."""

import pytest
from django.urls import reverse

from common import publishing
from evidence.models import EvidencePack
from notifications.models import Event, Notification
from tests.evidence.conftest import check_manifest, evidence, media, opened  # noqa: F401 - fixtures
from tests.integration.conftest import mail_messages, wait_until, worker

pytestmark = pytest.mark.integration


def test_a_worker_builds_the_pack_and_the_shopper_is_told(
    fresh_broker,
    settings,
    evidence,  # noqa: F811 - the fixture imported above
    client,
    mail_dir,
    tmp_path,
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3  # the evidence order has four photos
    env = {
        "CELERY_BROKER_URL": fresh_broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EVIDENCE_DIRECT_MAX_PHOTOS": "3",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    client.force_login(evidence.order.shopper)
    response = client.post(reverse("evidence:download", args=[evidence.order.number]))
    assert response.status_code == 302
    publishing.wait_idle()

    ready = Notification.objects.filter(event=Event.EVIDENCE_READY, user=evidence.order.shopper)
    with worker(queues="images,email", log=tmp_path / "worker.log", env=env):
        wait_until(lambda: EvidencePack.objects.get().is_ready, "the pack to be built")
        wait_until(lambda: ready.filter(emailed_at__isnull=False).exists(), "the email saying it is ready")

    pack = EvidencePack.objects.get()
    assert ready.get().link == pack.get_absolute_url()
    title = f"The evidence pack of order {evidence.order.number} is ready"
    assert any(title in message for message in mail_messages(mail_dir))
    got = client.get(pack.get_absolute_url())
    check_manifest(opened(b"".join(got.streaming_content)))
