"""Turning photos upright and reading their tones right, for every app that stores images (QC
photos, ticket attachments)."""

import functools
import re
import struct
import warnings
from io import BytesIO

from PIL import ExifTags, Image, ImageCms

# EXIF orientation -> the transposition that turns the photo upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What Pillow raises on a damaged EXIF block or a file it cannot re-encode.
PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error)


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation, or 1 (as shot) when the EXIF block cannot be read.

    Phones write odd EXIF; a damaged block only costs the rotation, since it is dropped anyway.
    (`ImageOps.exif_transpose` also rewrites the EXIF it keeps, and fails on such blocks.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about each broken tag it skips
        try:
            return int(image.getexif().get(ExifTags.Base.Orientation, 1))
        except PILLOW_ERRORS:
            return 1


def upright(image: Image.Image) -> Image.Image:
    """The photo turned the way it was shot (the image itself when no turn is needed)."""
    method = UPRIGHT.get(exif_orientation(image))
    return image.transpose(method) if method is not None else image


# --- Any decoded image as 8-bit pixels with the tones it shows -------------------------------

WHITE = 255


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_colour_space(icc: bytes | None) -> bytes | None:
    """The colour space an ICC profile describes (b"RGB ", b"GRAY", b"CMYK"...), from its header."""
    return icc[16:20] if icc and len(icc) >= 128 else None


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if _icc_colour_space(icc) == b"CMYK":
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(BytesIO(icc)),
                _srgb(),
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode="RGB",
                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
            )
        except (ImageCms.PyCMSError, *PILLOW_ERRORS):
            pass  # a damaged profile: Pillow's formula below is close enough
        else:
            if converted is not None:
                return converted
    return image.convert("RGB")


def _on_white(image: Image.Image, mask: Image.Image) -> Image.Image:
    background = Image.new(image.mode, image.size, (WHITE,) * len(image.getbands()))
    background.paste(image, mask=mask)
    return background


def jpeg_ready(image: Image.Image) -> tuple[Image.Image, bytes | None]:
    """The image as 8-bit "L" or "RGB" pixels with the tones it shows, and the ICC profile to
    embed with them (None when the source's profile does not describe them: they are sRGB).

    `Image.convert` clips where it should scale: 16-bit grey ("I;16", "I;16B", "I;16L",
    "I;16N", and "I", in which Pillow has decoded 16-bit PNGs) comes out almost white. Those
    samples are scaled from 0-65535 down to 0-255 instead; "F" follows Pillow's own 0-255 float
    convention. Transparent parts are put on white, as on the page. CMYK goes through its ICC
    profile when it has one (Pillow has already undone Adobe's inverted CMYK while decoding),
    else through Pillow's formula. The original's comment is not carried over.
    """
    icc = image.info.get("icc_profile") or None
    mode = image.mode
    transparency = image.info.get("transparency")
    if mode == "CMYK":
        return _cmyk_to_rgb(image, icc), None
    if mode.startswith("I"):
        wide = image.convert("I")
        pixels = wide.point(lambda value: value / 257 + 0.5).convert("L")  # rounds, and clips to 0-255
        if isinstance(transparency, int):
            opaque = [0 if value == transparency else WHITE for value in range(65536)]
            pixels = _on_white(pixels, wide.point(opaque, "L"))
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La") or transparency is not None:
        rgba = image.convert("RGBA")
        target = "L" if mode in ("L", "LA", "La") else "RGB"
        pixels = _on_white(rgba.convert(target), rgba.getchannel("A"))
    elif mode in ("L", "RGB"):
        pixels = image
    elif mode in ("1", "F"):
        pixels = image.convert("L")
    else:  # "P" without transparency, and what no decoder of ours produces ("YCbCr", "LAB", "HSV")
        pixels = image.convert("RGB")
    wanted = b"GRAY" if pixels.mode == "L" else b"RGB "
    return pixels, icc if _icc_colour_space(icc) == wanted else None


# --- When a photo was taken ------------------------------------------------------------------

EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011


def exif_taken_at(image: Image.Image) -> str | None:
    """When the camera says the photo was taken, as ISO 8601 ("2026-11-30T14:02:11", with the
    camera's UTC offset when it wrote one), or None. The camera's clock, not a verified time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exif = image.getexif().get_ifd(EXIF_IFD)
            taken, offset = exif.get(DATE_TIME_ORIGINAL), exif.get(OFFSET_TIME_ORIGINAL)
        except PILLOW_ERRORS:
            return None
    match = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})", str(taken or "").strip("\x00 "))
    if match is None:
        return None
    stamp = "{}-{}-{}T{}:{}:{}".format(*match.groups())
    offset = str(offset or "").strip("\x00 ")
    return stamp + offset if re.fullmatch(r"[+-]\d{2}:\d{2}", offset) else stamp
