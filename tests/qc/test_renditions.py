"""Renditions keep the tones of every kind of image."""

from io import BytesIO

import pytest
from PIL import Image

from qc.images import jpeg_ready, make_renditions
from tests.qc.images import (
    TONE_CASES,
    assert_same_tones,
    colour_ramps,
    grey_ramp,
    one_bit,
    raw16,
    saved,
    sixteen_bit,
)


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
    transparent = ramp.getpixel((0, 0))
    ramp.info["transparency"] = transparent
    pixels, _ = jpeg_ready(Image.open(BytesIO(saved(ramp, "PNG", transparency=transparent))))
    assert pixels.getpixel((0, 0)) == 255 and pixels.getpixel((100, 0)) == grey_ramp().getpixel((100, 0))
