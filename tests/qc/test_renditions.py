"""Renditions: the tones of every kind of image, and a JPEG's `full` made without re-encoding."""

from io import BytesIO

import pytest
from PIL import Image, ImageOps

from common.images import jpeg_ready
from common.renditions import make_renditions
from tests.qc.images import (
    ARITHMETIC_JPEG,
    PHONE,
    SRGB,
    TONE_CASES,
    assert_same_tones,
    colour_ramps,
    grey_ramp,
    jpeg_segments,
    one_bit,
    phone_photo,
    raw16,
    saved,
    sixteen_bit,
    upright_scene,
)

# The phone photo carries an index of further images (MPF) that points nowhere; Pillow says so.
pytestmark = pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO file")


@pytest.mark.parametrize("case", list(TONE_CASES))
def test_every_kind_of_image_keeps_its_tones_in_every_rendition(case):
    data, expected = TONE_CASES[case]()
    renditions = make_renditions(data)
    for name, rendition in renditions.items():
        with Image.open(BytesIO(rendition.content)) as image:
            assert image.format == "JPEG" and image.mode in ("L", "RGB")
            assert (image.width, image.height) == (rendition.width, rendition.height)
            if name != "thumb":
                assert image.size == expected.size
            icc = image.info.get("icc_profile")
            assert icc is None or icc[16:20] == {"L": b"GRAY", "RGB": b"RGB "}[image.mode], (
                "an embedded profile must describe the pixels it comes with"
            )
            assert_same_tones(image, expected)


# Images as Pillow holds them in memory, including layouts no decoder of ours produces.
IMAGES = {
    "I;16": lambda: raw16(grey_ramp(), "I;16"),
    "I;16B": lambda: raw16(grey_ramp(), "I;16B"),
    "I;16L": lambda: raw16(grey_ramp(), "I;16L"),
    "I;16N": lambda: raw16(grey_ramp(), "I;16N"),
    "I": lambda: sixteen_bit(grey_ramp()),
    "F": lambda: grey_ramp().convert("F"),
    "1": one_bit,
    "L": grey_ramp,
    "RGB": colour_ramps,
    "CMYK": lambda: colour_ramps().convert("CMYK"),
    "P": lambda: colour_ramps().quantize(256),
}
EXPECTED = {
    "1": lambda: one_bit().convert("L"),
    "L": grey_ramp,
    "P": lambda: colour_ramps().quantize(256).convert("RGB"),
}


@pytest.mark.parametrize("mode", list(IMAGES))
def test_the_conversion_scales_deep_images_instead_of_clipping_them(mode):
    image = IMAGES[mode]()
    assert image.mode == mode
    expected = EXPECTED.get(mode, grey_ramp if mode.startswith(("I", "F")) else colour_ramps)()
    pixels, icc = jpeg_ready(image)
    assert pixels.mode == expected.mode and icc is None
    assert_same_tones(pixels, expected, tolerance=1)


def test_a_16_bit_grey_png_with_a_transparent_grey_shows_white_there():
    ramp = raw16(grey_ramp(), "I;16")
    pixels, _ = jpeg_ready(Image.open(BytesIO(saved(ramp, "PNG", transparency=0))))
    assert grey_ramp().getpixel((0, 0)) == 0 and grey_ramp().getpixel((100, 0)) == 50
    assert pixels.getpixel((0, 0)) == 255 and pixels.getpixel((100, 0)) == 50


# --- `full` of a JPEG -------------------------------------------------------------------------


def _first_scan_onwards(data: bytes) -> bytes:
    return data[data.index(b"\xff\xda") : data.index(b"\xff\xd9") + 2]


def assert_nothing_but_orientation_and_profile(content: bytes, orientation: int) -> None:
    assert PHONE.encode() not in content
    segments = jpeg_segments(content)
    for marker, payload in segments:
        if marker == 0xE0:
            assert payload.startswith(b"JFIF\x00") and payload[12:14] == b"\x00\x00", "no JFIF thumbnail"
        elif marker == 0xE2:
            assert payload.startswith(b"ICC_PROFILE\x00")
        else:
            assert marker == 0xE1 or not (0xE0 <= marker <= 0xEF or marker == 0xFE), f"APP/COM {marker:#x} kept"
    exif_blocks = [payload for marker, payload in segments if marker == 0xE1]
    assert all(payload.startswith(b"Exif\x00\x00") for payload in exif_blocks), "no XMP"
    with Image.open(BytesIO(content)) as image:
        exif = image.getexif()
        assert dict(exif) == ({} if orientation == 1 else {0x0112: orientation})
        assert not exif.get_ifd(0x8825) and "comment" not in image.info
        assert image.info["icc_profile"] == SRGB


@pytest.mark.parametrize("orientation", range(1, 9))
def test_full_of_a_jpeg_is_the_original_image_data_without_metadata_and_every_rendition_is_upright(orientation):
    original = phone_photo(orientation)
    renditions = make_renditions(original)
    full = renditions["full"]

    assert_nothing_but_orientation_and_profile(full.content, orientation)
    # Not re-encoded: the compressed data is the original's, byte for byte.
    assert _first_scan_onwards(full.content) == _first_scan_onwards(original)
    with Image.open(BytesIO(original)) as source, Image.open(BytesIO(full.content)) as copy:
        expected = ImageOps.exif_transpose(source)
        shown = ImageOps.exif_transpose(copy)  # what a browser shows
        assert shown.tobytes() == expected.tobytes()
    assert (full.width, full.height) == shown.size == upright_scene().size

    scene = upright_scene()
    for name in ("display", "thumb"):
        rendition = renditions[name]
        with Image.open(BytesIO(rendition.content)) as image:
            assert not image.getexif() and image.size == scene.size == (rendition.width, rendition.height)
            assert_nothing_but_orientation_and_profile(rendition.content, 1)
            for corner in ((10, 10), (85, 10), (10, 53), (85, 53)):
                got, wanted = image.getpixel(corner), scene.getpixel(corner)
                assert max(abs(g - w) for g, w in zip(got, wanted, strict=True)) < 40, (name, corner, got, wanted)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param({"progressive": True}, id="progressive"),
        pytest.param({"restart_marker_blocks": 2}, id="restart markers"),
        pytest.param({"subsampling": 0, "optimize": True}, id="4:4:4 optimised"),
    ],
)
def test_odd_but_common_jpegs_are_copied_too(variant):
    original = phone_photo(6, **variant)
    full = make_renditions(original)["full"]
    assert _first_scan_onwards(full.content) == _first_scan_onwards(original)
    with Image.open(BytesIO(original)) as source, Image.open(BytesIO(full.content)) as copy:
        assert ImageOps.exif_transpose(copy).tobytes() == ImageOps.exif_transpose(source).tobytes()


def test_zero_padding_after_the_image_is_left_out():
    original = phone_photo(1) + b"\x00" * 100
    full = make_renditions(original)["full"]
    assert full.content.endswith(b"\xff\xd9")
    assert _first_scan_onwards(full.content) == _first_scan_onwards(original)


def _reencoded_full(data: bytes) -> Image.Image:
    full = make_renditions(data)["full"]
    assert _first_scan_onwards(full.content) != _first_scan_onwards(data)
    image = Image.open(BytesIO(full.content))
    assert [marker for marker, _ in jpeg_segments(full.content) if 0xC0 <= marker <= 0xCF and marker != 0xC4] == [0xC0]
    assert image.mode == "RGB" and (image.width, image.height) == (full.width, full.height)
    return image


def test_an_arithmetic_coded_jpeg_is_re_encoded_as_a_baseline_one():
    image = _reencoded_full(ARITHMETIC_JPEG)
    assert image.size == (32, 16)
    assert max(abs(a - b) for a, b in zip(image.getpixel((4, 8)), (200, 40, 40), strict=True)) < 12
    assert max(abs(a - b) for a, b in zip(image.getpixel((28, 8)), (30, 60, 220), strict=True)) < 12


def test_a_jpeg_with_junk_between_its_segments_is_re_encoded():
    original = phone_photo(6)
    at = original.index(b"\xff\xdb")  # before the first quantisation table: decoders skip junk bytes
    image = _reencoded_full(original[:at] + b"\x00junk" + original[at:])
    assert image.size == upright_scene().size
    assert image.getpixel((10, 10))[0] > 180  # red at the top left: turned upright


def test_a_cmyk_jpeg_is_re_encoded_as_rgb():
    _reencoded_full(saved(upright_scene().convert("CMYK"), "JPEG"))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_decoded_once_turned_upright_and_scaled(fmt):
    big = colour_ramps((2000, 1000))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = PHONE
    data = saved(big, fmt, exif=exif, **({"quality": 90} if fmt == "WEBP" else {}))
    renditions = make_renditions(data)
    sizes = {name: (r.width, r.height) for name, r in renditions.items()}
    assert sizes == {"full": (1000, 2000), "display": (800, 1600), "thumb": (200, 400)}
    for rendition in renditions.values():
        assert PHONE.encode() not in rendition.content
        with Image.open(BytesIO(rendition.content)) as image:
            assert image.size == (rendition.width, rendition.height) and not image.getexif()
            assert_same_tones(image, big.transpose(Image.Transpose.ROTATE_270).resize(image.size))


def test_an_orientation_no_viewer_knows_is_dropped_and_the_photo_kept_as_stored():
    original = phone_photo(9)
    full = make_renditions(original)["full"]
    assert_nothing_but_orientation_and_profile(full.content, 1)
    assert _first_scan_onwards(full.content) == _first_scan_onwards(original)
    assert (full.width, full.height) == upright_scene().size
