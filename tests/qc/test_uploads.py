"""What an inspector may upload: the bad-upload matrix, and what the stored renditions carry."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image, ImageOps

from common.uploads import validate_image
from qc import services
from qc.models import QCPhoto
from tests.qc.conftest import stored_files
from tests.qc.images import jpeg, photo_with_exif, png, png_bomb, upload, webp

pytestmark = pytest.mark.django_db


def _corrupt_png() -> bytes:
    data = bytearray(png(size=(64, 64)))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # one flipped byte in the compressed pixels: the CRC no longer matches
    return bytes(data)


BAD_UPLOADS = {
    "non-image": ("invoice.jpg", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "not_image", "is not a JPEG, PNG or WebP"),
    "html": ("page.png", b"<!doctype html><script>alert(1)</script>", "not_image", "is not a JPEG, PNG or WebP"),
    "empty": ("empty.jpg", b"", "empty", "is empty"),
    "truncated": ("cut.jpg", jpeg(size=(640, 480))[:1500], "corrupt", "damaged or incomplete"),
    "corrupt": ("broken.png", _corrupt_png(), "corrupt", "damaged or incomplete"),
    "png+html polyglot": (
        "poly.png",
        png() + b"<html><body><script>alert(document.cookie)</script></body></html>",
        "trailing_data",
        "extra data after the end of the image",
    ),
    "jpeg+zip": ("tail.jpg", jpeg() + b"PK\x03\x04 hidden archive", "trailing_data", "extra data after the end"),
    "lying extension": ("photo.jpg", png(), "wrong_extension", "is a PNG image but its name ends in “.jpg”"),
    "no extension": ("photo", jpeg(), "wrong_extension", "(no extension)"),
    "decompression bomb": ("bomb.png", png_bomb(20_000, 20_000), "too_many_pixels", "too many pixels"),
    "over 60 megapixels": ("big.png", png_bomb(8_000, 7_700), "too_many_pixels", "61.6 megapixels"),
    "oversize": ("huge.jpg", jpeg() + b"\x00" * (25 * 1024 * 1024), "too_large", "just over the 25.0\xa0MB limit"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_validate_image_refuses_bad_files(case):
    name, data, code, message = case
    with pytest.raises(ValidationError) as refused:
        validate_image(upload(name, data))
    assert refused.value.code == code
    assert message in refused.value.messages[0]


@pytest.mark.parametrize("case", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_bad_upload_through_the_admin_stores_nothing(client, inspector, open_round, media_root, case):
    name, data, _code, message = case
    client.force_login(inspector)
    response = client.post(
        reverse("admin:qc_inspection_upload", args=[open_round.pk]),
        {"photo": upload(name, data)},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    [result] = response.json()["results"]
    assert result["ok"] is False
    assert message in result["errors"][0]
    assert not QCPhoto.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [("a.jpg", jpeg(), "jpeg"), ("a.JPEG", jpeg(), "jpeg"), ("b.png", png(), "png"), ("c.webp", webp(), "webp")],
)
def test_good_images_pass_with_their_format_and_size(name, data, expected):
    image = validate_image(upload(name, data))
    assert (image.format, image.width, image.height) == (expected, 64, 48)
    assert image.content == data


def test_a_jpeg_with_an_embedded_thumbnail_is_not_trailing_data():
    # An EXIF thumbnail carries its own EOI marker inside APP1: the segment walk must skip it.
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    thumb = jpeg(size=(16, 12))
    exif_bytes = exif.tobytes() + thumb
    validate_image(upload("t.jpg", jpeg(size=(320, 240), exif=exif_bytes)))


def test_zero_padding_after_the_image_is_tolerated():
    validate_image(upload("padded.jpg", jpeg() + b"\x00" * 64))


def test_same_photo_twice_in_one_round_is_refused(open_round, inspector, media_root):
    data = jpeg()
    services.photo_add(inspection=open_round, uploaded_file=upload("a.jpg", data), by=inspector)
    before = stored_files(media_root)
    with pytest.raises(ValidationError, match="already in this QC round"):
        services.photo_add(inspection=open_round, uploaded_file=upload("again.jpg", data), by=inspector)
    assert QCPhoto.objects.count() == 1
    assert stored_files(media_root) == before


def test_exif_orientation_applied_and_all_metadata_stripped(open_round, inspector, media_root):
    original = photo_with_exif(size=(80, 40))
    photo = services.photo_add(inspection=open_round, uploaded_file=upload("gps.jpg", original), by=inspector)
    assert services.photo_make_renditions(photo_id=photo.pk) is True
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (40, 80)  # upright: portrait
    for name in ("full", "display", "thumb"):
        data = getattr(photo, name).read()
        getattr(photo, name).close()
        assert b"QC Test Camera" not in data
        with Image.open(BytesIO(data)) as image:
            assert image.format == "JPEG"
            # `full` is the original's image data, turned by the one EXIF tag a browser reads.
            assert dict(image.getexif()) == ({0x0112: 6} if name == "full" else {})
            image = ImageOps.exif_transpose(image)
            assert image.height > image.width
            top = image.getpixel((image.width // 2, image.height // 8))
            bottom = image.getpixel((image.width // 2, image.height * 7 // 8))
            assert top[0] > 200 and top[2] < 60, f"{name}: the red half must be on top, got {top}"
            assert bottom[2] > 200 and bottom[0] < 60, f"{name}: the blue half must be at the bottom, got {bottom}"
    # The private original is kept as uploaded.
    assert photo.original.read() == original


def test_renditions_sizes_and_idempotence(open_round, inspector, media_root):
    photo = services.photo_add(
        inspection=open_round, uploaded_file=upload("big.jpg", jpeg(size=(4000, 3000))), by=inspector
    )
    assert services.photo_make_renditions(photo_id=photo.pk) is True
    files = stored_files(media_root)
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (4000, 3000)
    assert (photo.display_width, photo.display_height) == (1600, 1200)
    assert (photo.thumb_width, photo.thumb_height) == (400, 300)
    with Image.open(photo.full) as full:
        assert full.size == (4000, 3000)
    # A second run (a retried task, a second worker) changes nothing.
    assert services.photo_make_renditions(photo_id=photo.pk) is False
    assert stored_files(media_root) == files
    assert services.photo_make_renditions(photo_id=999_999) is False


@pytest.mark.parametrize(
    ("over", "message"),
    [
        (1, "This file is just over the 25.0\xa0MB limit for a photo."),
        (5 * 1024 * 1024, "This file is 30.0\xa0MB; a photo may be at most 25.0\xa0MB."),
    ],
)
def test_an_oversized_photo_never_reads_as_two_equal_sizes(over, message):
    too_big = upload("big.jpg", b"")
    too_big.size = 25 * 1024 * 1024 + over  # refused on its size, before a byte is read
    with pytest.raises(ValidationError) as refused:
        validate_image(too_big)
    assert refused.value.messages == [message]
