"""Factories and files for the ticket tests."""

from datetime import timedelta
from io import BytesIO

import factory
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from cssbuy_qc.celery import app as celery_app
from tests.factories import UserFactory
from tickets.models import CannedReply, Category, Message, Ticket


class TicketFactory(DjangoModelFactory[Ticket]):
    class Meta:
        model = Ticket

    shopper = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Question #{n}")
    category = Category.OTHER
    first_response_due = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))


class MessageFactory(DjangoModelFactory[Message]):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda m: m.ticket.shopper)
    body = factory.Sequence(lambda n: f"Message body {n}")


class CannedReplyFactory(DjangoModelFactory[CannedReply]):
    class Meta:
        model = CannedReply

    title = factory.Sequence(lambda n: f"Canned {n}")
    body = "Hello {shopper_name}, about order {order_number}: we are on it."


def image_bytes(fmt: str = "PNG", size=(40, 30), exif: bytes | None = None) -> bytes:
    out = BytesIO()
    options = {"exif": exif} if exif else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **options)
    return out.getvalue()


def png_upload(name: str = "photo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", **kwargs), content_type="image/png")


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A small but complete PDF (one empty page)."""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        + extra
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def pdf_upload(name: str = "receipt.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def eager_celery():
    """Run Celery tasks (the notification emails) at once, in the test.

    Set on the Celery app's own conf: `settings.CELERY_TASK_ALWAYS_EAGER` is read only when the
    app is configured, so changing it in a test does nothing. The previous value is put back.
    """
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test stores its files in its own folder, so "nothing stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored_files(settings):
    def files() -> list[str]:
        root = settings.MEDIA_ROOT
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files
