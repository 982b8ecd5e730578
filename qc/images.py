"""The rendition pipeline: upright, metadata-free JPEGs at three sizes, made fast.

A 12-megapixel JPEG is decoded once at full size for `full`; `display` and `thumb` come from a
second decode in JPEG draft mode (the decoder scales by 1/2, 1/4 or 1/8 while decoding, which
costs a fraction of a full decode), then a resize with `reducing_gap` (a cheap box reduction
before the Lanczos filter). `thumb` is made from `display`, never again from the original.
"""

from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from common.images import exif_orientation, upright
from common.uploads import FORMATS

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


def _open(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data), formats=list(FORMATS))


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation and flatten to RGB (transparency onto white)."""
    image = upright(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _encode(image: Image.Image, name: str, icc_profile: bytes | None) -> Rendition:
    out = BytesIO()
    # No exif=, no xmp=: nothing of the original metadata (GPS included) is written. The
    # colour profile is kept so wide-gamut phone photos keep their colours.
    image.save(
        out,
        "JPEG",
        quality=QUALITY[name],
        optimize=True,
        progressive=name != "thumb",
        icc_profile=icc_profile or None,
    )
    return Rendition(name=name, content=out.getvalue(), width=image.width, height=image.height)


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_renditions(data: bytes) -> dict[str, Rendition]:
    """full, display and thumb for an image that passed `common.uploads.validate_image`."""
    renditions: dict[str, Rendition] = {}

    with _open(data) as source:
        icc = source.info.get("icc_profile")
        full = _upright_rgb(source)
        renditions["full"] = _encode(full, "full", icc)
        upright_size = full.size
        del full

    with _open(data) as source:
        rotated = exif_orientation(source) in (5, 6, 7, 8)
        target = _fit(upright_size, DISPLAY_SIZE)
        if source.format == "JPEG":
            # Draft asks the decoder for the smallest DCT scale still >= the target size.
            source.draft("RGB", (target[1], target[0]) if rotated else target)
        small = _upright_rgb(source)
        display = small.resize(target, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        renditions["display"] = _encode(display, "display", icc)
        thumb = display.resize(_fit(display.size, THUMB_SIZE), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        renditions["thumb"] = _encode(thumb, "thumb", icc)
    return renditions
