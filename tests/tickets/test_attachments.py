"""Attachments: what is refused (with a clear form error, storing nothing) and what is kept."""

import os
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.qc.images import TONE_CASES, assert_same_tones, on_white
from tests.tickets.conftest import TicketFactory, image_bytes, pdf_bytes, pdf_upload, png_upload
from tickets.attachments import check_image
from tickets.models import Attachment, Category, Message, Ticket

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _noise_png() -> bytes:
    """A PNG that does not compress: about 30 kB."""
    out = BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(out, "PNG")
    return out.getvalue()


def _bad_inputs():
    png = image_bytes("PNG")
    return {
        "non-image text": (_upload("notes.jpg", b"just some text, not a photo"), "not a JPEG, PNG or WebP image"),
        "html page named .png": (_upload("page.png", HTML), "not a JPEG, PNG or WebP image"),
        "corrupt png": (_upload("broken.png", png[: len(png) // 2]), "damaged or incomplete"),
        "oversized photo": (_upload("huge.png", _noise_png()), "a photo may be at most"),
        "png with a web page appended": (_upload("polyglot.png", png + HTML), "extra data after the end of the image"),
        "pdf with a web page inside": (_upload("poly.pdf", pdf_bytes(HTML)), "contains web page or script content"),
        "html page starting like a pdf": (
            _upload("trick.pdf", b"%PDF-1.4\n" + HTML + b"\n%%EOF"),
            "contains web page or script content",
        ),
        "pdf with javascript": (
            _upload("action.pdf", pdf_bytes(b"4 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n")),
            "contains web page or script content",
        ),
        "truncated pdf": (_upload("cut.pdf", pdf_bytes()[:60]), "not a complete PDF file"),
        "oversized pdf": (pdf_upload("big.pdf", pdf_bytes(b"% padding " * 200)), "a PDF may be at most 1.5\xa0KB"),
        "empty file": (_upload("empty.png", b""), "The submitted file is empty."),
    }


BAD_INPUTS = _bad_inputs()


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_attachment_is_a_clear_form_error_and_nothing_is_stored(shopper_client, settings, stored_files, case):
    settings.QC_PHOTO_MAX_BYTES = 20_000  # the noise PNG is larger than this; the small ones are not
    settings.TICKET_PDF_MAX_BYTES = 1_500
    upload, message = BAD_INPUTS[case]

    response = shopper_client.post(
        reverse("tickets:new"),
        {"category": Category.OTHER, "subject": "Photo", "body": "See attached.", "attachments": [upload]},
    )

    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["attachments"])
    assert message in errors
    assert upload.name in errors
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_one_bad_file_among_good_ones_stores_none_of_them(shopper_client, shopper, stored_files):
    ticket = TicketFactory(shopper=shopper)

    response = shopper_client.post(
        reverse("tickets:reply", args=[ticket.number]),
        {"body": "Three files", "attachments": [png_upload(), pdf_upload(), _upload("x.png", HTML)]},
    )

    assert response.status_code == 400
    assert not Message.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_too_many_files_is_a_form_error(shopper_client, shopper, settings):
    settings.TICKET_ATTACHMENTS_PER_MESSAGE = 2
    ticket = TicketFactory(shopper=shopper)

    response = shopper_client.post(
        reverse("tickets:reply", args=[ticket.number]),
        {"body": "Many", "attachments": [png_upload("a.png"), png_upload("b.png"), png_upload("c.png")]},
    )

    assert response.status_code == 400
    assert "Attach at most 2 files." in response.text
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_photo_is_stored_upright_without_its_exif_and_gps(shopper_client, shopper, settings):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS
    photo = image_bytes("JPEG", size=(60, 20), exif=exif.tobytes())
    assert b"PhoneMaker" in photo
    ticket = TicketFactory(shopper=shopper)

    response = shopper_client.post(
        reverse("tickets:reply", args=[ticket.number]),
        {"body": "", "attachments": [_upload("IMG_0001.JPG", photo, "image/jpeg")]},
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    assert b"PhoneMaker" not in stored
    with Image.open(BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (20, 60)  # turned upright
    assert (attachment.width, attachment.height, attachment.original_name) == (20, 60, "IMG_0001.jpg")
    assert attachment.size == len(stored)


@pytest.mark.django_db
def test_file_names_lose_paths_and_lying_extensions(shopper_client, shopper):
    from tickets.attachments import clean_name

    assert clean_name("../../etc/passwd.pdf", "pdf") == "passwd.pdf"
    assert clean_name('C:\\Users\\me\\"bill".pdf', "pdf") == "bill.pdf"
    assert clean_name("photo.png", "jpeg") == "photo.jpg"
    assert clean_name("", "png") == "attachment.png"


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "name"), [("PNG", "photo.png"), ("WEBP", "photo.webp"), ("JPEG", "photo.jpg")])
def test_a_photo_with_a_damaged_exif_block_is_kept_without_it_not_a_500(shopper_client, shopper, fmt, name):
    # Pillow reads the photo but cannot parse this EXIF (ImageOps.exif_transpose raised on it).
    out = BytesIO()
    Image.new("RGB", (30, 10), (10, 200, 10)).save(out, fmt, exif=b"Exif\x00\x00NOT A TIFF HEADER, PhoneMaker")
    ticket = TicketFactory(shopper=shopper)

    response = shopper_client.post(
        reverse("tickets:reply", args=[ticket.number]), {"body": "", "attachments": [_upload(name, out.getvalue())]}
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    assert b"PhoneMaker" not in stored
    assert (attachment.width, attachment.height) == (30, 10)


def test_the_attachments_help_is_formatted_when_shown_not_at_import(settings):
    from django.utils.functional import Promise

    from tickets.forms import ReplyForm, SupportReplyForm, TicketOpenForm

    settings.TICKET_ATTACHMENTS_PER_MESSAGE = 3
    for form_class in (ReplyForm, SupportReplyForm):
        help_text = form_class().fields["attachments"].help_text
        assert isinstance(help_text, Promise)  # still lazy: translated in each request's language
        assert str(help_text) == "JPEG, PNG or WebP photos, or PDF files; up to 3 files."
    settings.TICKET_ATTACHMENTS_PER_MESSAGE = 1
    assert str(TicketOpenForm.base_fields["attachments"].help_text).endswith("up to 1 file.")


@pytest.mark.parametrize(
    ("over", "message"),
    [
        (1, "“big.pdf” is just over the 10.0\xa0MB limit for a PDF."),
        (2 * 1024 * 1024, "“big.pdf” is 12.0\xa0MB; a PDF may be at most 10.0\xa0MB."),
    ],
)
def test_an_oversized_pdf_never_reads_as_two_equal_sizes(settings, over, message):
    from django.core.exceptions import ValidationError

    from tickets.attachments import check_pdf

    settings.TICKET_PDF_MAX_BYTES = 10 * 1024 * 1024
    too_big = pdf_upload("big.pdf")
    too_big.size = settings.TICKET_PDF_MAX_BYTES + over  # refused on its size, before a byte is read
    with pytest.raises(ValidationError) as refused:
        check_pdf(too_big)
    assert refused.value.messages == [message]


@pytest.mark.parametrize("case", list(TONE_CASES))
def test_a_photo_of_any_kind_keeps_its_tones(case):
    data, expected = TONE_CASES[case]()
    with Image.open(BytesIO(data)) as original:
        fmt = original.format
        original.load()
    name = {"JPEG": "photo.jpg", "PNG": "photo.png", "WEBP": "photo.webp"}[fmt]

    checked = check_image(_upload(name, data))

    with Image.open(BytesIO(checked.content)) as stored:
        assert stored.format == fmt
        if fmt == "PNG":  # lossless: every sample as uploaded, 16 bits and transparency included
            assert stored.mode == original.mode and stored.tobytes() == original.tobytes()
            assert stored.info.get("transparency") == original.info.get("transparency")
        elif stored.mode == "RGBA":
            assert_same_tones(on_white(stored.convert("RGB"), stored.getchannel("A")), expected)
        else:
            icc = stored.info.get("icc_profile")
            assert icc is None or icc[16:20] == {"L": b"GRAY", "RGB": b"RGB "}[stored.mode]
            assert_same_tones(stored, expected)


def test_a_jpeg_comment_is_not_kept():
    photo = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo, "JPEG", comment="Home, 31.2N 121.5E")
    checked = check_image(_upload("photo.jpg", photo.getvalue()))
    assert b"31.2N" not in checked.content
    assert "comment" not in Image.open(BytesIO(checked.content)).info
