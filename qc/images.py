"""The rendition pipeline: upright, metadata-free JPEGs at three sizes, made fast.

A 12-megapixel JPEG is decoded once at full size for `full`; `display` and `thumb` come from a
second decode in JPEG draft mode (the decoder scales by 1/2, 1/4 or 1/8 while decoding, which
costs a fraction of a full decode), then a resize with `reducing_gap` (a cheap box reduction
before the Lanczos filter). `thumb` is made from `display`, never again from the original.
"""

import functools
import struct
import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import ExifTags, Image, ImageCms

from .uploads import FORMATS

DISPLAY_SIZE = 1600
THUMB_SIZE = 400
QUALITY = {"full": 88, "display": 84, "thumb": 80}
REDUCING_GAP = 3.0


@dataclass(frozen=True)
class Rendition:
    name: str  # "full", "display" or "thumb"
    content: bytes
    width: int
    height: int


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


def _open(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data), formats=list(FORMATS))


def _encode(image: Image.Image, name: str, icc_profile: bytes | None) -> Rendition:
    out = BytesIO()
    # No exif=, no xmp=, and comment="" because Pillow would copy the original's comment: nothing
    # of the original metadata (GPS included) is written. The colour profile is kept so
    # wide-gamut phone photos keep their colours.
    image.save(
        out,
        "JPEG",
        quality=QUALITY[name],
        optimize=True,
        progressive=name != "thumb",
        icc_profile=icc_profile,
        comment="",
    )
    return Rendition(name=name, content=out.getvalue(), width=image.width, height=image.height)


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_renditions(data: bytes) -> dict[str, Rendition]:
    """full, display and thumb for an image that passed `qc.uploads.validate_image`."""
    renditions: dict[str, Rendition] = {}

    with _open(data) as source:
        full, icc = jpeg_ready(upright(source))
        renditions["full"] = _encode(full, "full", icc)
        upright_size = full.size
        del full

    with _open(data) as source:
        rotated = exif_orientation(source) in (5, 6, 7, 8)
        target = _fit(upright_size, DISPLAY_SIZE)
        if source.format == "JPEG":
            # Draft asks the decoder for the smallest DCT scale still >= the target size.
            source.draft("RGB", (target[1], target[0]) if rotated else target)
        small, icc = jpeg_ready(upright(source))
        display = small.resize(target, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        renditions["display"] = _encode(display, "display", icc)
        thumb = display.resize(_fit(display.size, THUMB_SIZE), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        renditions["thumb"] = _encode(thumb, "thumb", icc)
    return renditions
