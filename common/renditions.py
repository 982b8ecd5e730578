"""The rendition pipeline (QC photos, listing images): upright, metadata-free JPEGs at three sizes, made fast.

`full` of a JPEG is the original's compressed image data unchanged: every metadata segment is
dropped by rewriting the JPEG's marker segments (EXIF with GPS, XMP, IPTC, comments, thumbnails,
maker notes) and the orientation is kept in a minimal EXIF block holding that one tag, which
browsers honour. Nothing is decoded or re-encoded for it, so it costs a copy of the bytes and
loses nothing. JPEGs that a browser might not show as they are (CMYK, arithmetic-coded, 12-bit,
lossless, hierarchical) and PNG or WebP originals get a re-encoded `full` instead.

`display` and `thumb` come from one decode: a JPEG is decoded in draft mode (the decoder scales
by 1/2, 1/4 or 1/8 while decoding, a fraction of the cost of a full decode) at the smallest scale
still at least the display size, `display` is resized from that and `thumb` from `display`. That
decode reads the rewritten `full`, so it is also the check that `full` decodes. PNG and WebP are
decoded once at full size and everything is made from that. Like libvips, the work is spread
over two threads where Pillow lets go of the GIL (resizing and encoding).

`benchmarks/renditions.py` measures all this against naive Pillow and libvips.
"""

import hashlib
import re
import struct
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import ExifTags, Image

from common.images import PILLOW_ERRORS, UPRIGHT, exif_orientation, jpeg_ready
from common.uploads import FORMATS, validate_image

DISPLAY_SIZE = 1600
THUMB_SIZE = 400
QUALITY = {"full": 88, "display": 84, "thumb": 80}
# Huffman tables fitted to the image: about 2% fewer bytes for the same pixels, at 2.5 times the
# encoding time. Not for display, made from every JPEG upload, where that is 8 ms for 7 kB.
OPTIMIZE = {"full": True, "display": False, "thumb": True}
# Resizes start with a cheap box reduction while the image is at least twice the target size
# (what Image.thumbnail does); the Lanczos filter then only works on the last factor below 2.
REDUCING_GAP = 2.0


@dataclass(frozen=True)
class Rendition:
    name: str  # "full", "display" or "thumb"
    content: bytes
    width: int  # upright, as a browser shows it
    height: int


# --- `full` of a JPEG: the same compressed data without the metadata ------------------------

# Huffman-coded 8-bit frames every browser decodes: baseline, extended sequential, progressive.
COPYABLE_FRAMES = {0xC0, 0xC1, 0xC2}
# Any other start-of-frame: arithmetic coding, lossless, hierarchical; and markers only they use.
NOT_COPIED = {0xC3, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xDC, 0xDE, 0xDF}
# The end of entropy-coded data: 0xFF followed by anything but a stuffed zero, a restart marker
# or a fill byte.
NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _orientation_exif(orientation: int) -> bytes:
    """An APP1 EXIF segment with one tag, Orientation: all a browser needs to show it upright."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", ExifTags.Base.Orientation, 3, 1, orientation, 0)
    payload = b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _kept_app_segment(marker: int, segment: bytes) -> bytes | None:
    """The part of an APPn segment that is kept: the colour profile, and what tells decoders
    how to read the pixels (JFIF without its thumbnail, Adobe's colour transform flag)."""
    body = segment[4:]
    if marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) >= 14:
        return b"\xff\xe0\x00\x10" + body[:12] + b"\x00\x00"  # thumbnail width and height: 0
    if marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"):
        return segment
    if marker == 0xEE and body.startswith(b"Adobe") and len(body) == 12:
        return segment
    return None


def jpeg_without_metadata(data: bytes, orientation: int) -> tuple[bytes, tuple[int, int]] | None:
    """The JPEG with the same compressed image data and no metadata, and its stored size.

    Keeps the quantisation and Huffman tables, frame, scans and restart intervals as they are
    (so decoding gives the very same pixels), the ICC profile, and the JFIF and Adobe segments
    that say how to read the pixels. Adds an EXIF block holding only the orientation (when it is
    not 1). Everything after the end of the first image goes. None when the file is not a
    Huffman-coded 8-bit greyscale or YCbCr/RGB JPEG that this walk fully understands: the caller
    re-encodes those.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    kept: list[bytes] = [b"\xff\xd8"]
    size = None
    scans = 0
    i, n = 2, len(data)
    while True:
        if i + 2 > n or data[i] != 0xFF:
            return None
        while i + 2 < n and data[i + 1] == 0xFF:  # fill bytes before a marker
            i += 1
        marker = data[i + 1]
        if marker == 0xD9:  # end of image
            kept.append(b"\xff\xd9")
            break
        if i + 4 > n or marker in NOT_COPIED or 0xD0 <= marker <= 0xD8 or marker == 0x01 or 0xF0 <= marker <= 0xFD:
            return None  # out of place, or a coding we do not copy (JPEG extensions 0xF0-0xFD too)
        end = i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if end > n or end < i + 4:
            return None
        segment = data[i:end]
        if marker in COPYABLE_FRAMES:
            precision, height, width, components = struct.unpack_from(">BHHB", data, i + 4)
            if size is not None or precision != 8 or not height or not width or components not in (1, 3):
                return None
            size = (width, height)
            kept.append(segment)
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn, COM
            if (app := _kept_app_segment(marker, segment)) is not None:
                kept.append(app)
        elif marker == 0xDA:  # start of scan: copy it and its entropy-coded data
            following = NEXT_MARKER.search(data, end)
            if size is None or following is None:
                return None
            kept.append(data[i : following.start()])
            scans += 1
            i = following.start()
            continue
        else:  # DQT, DHT, DRI
            kept.append(segment)
        i = end
    if size is None or not scans:
        return None
    if orientation in UPRIGHT:
        kept.insert(2 if kept[1].startswith(b"\xff\xe0") else 1, _orientation_exif(orientation))
    return b"".join(kept), size


# --- The renditions --------------------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data), formats=list(FORMATS))


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _turned(image: Image.Image, orientation: int) -> Image.Image:
    method = UPRIGHT.get(orientation)
    return image.transpose(method) if method is not None else image


def _resized(image: Image.Image, size: tuple[int, int], helper: Executor | None = None) -> Image.Image:
    """Lanczos resize; with a helper thread, the top half of the rows is made there meanwhile
    (Pillow lets go of the GIL while resampling, and each half reads the rows around its edge)."""
    if image.size == size:
        return image
    width, height = size
    if helper is None or height < 2:
        return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    split = height // 2
    seam = split * image.height / height
    top = helper.submit(
        image.resize, (width, split), Image.Resampling.LANCZOS, (0, 0, image.width, seam), REDUCING_GAP
    )
    bottom = image.resize(
        (width, height - split), Image.Resampling.LANCZOS, (0, seam, image.width, image.height), REDUCING_GAP
    )
    resized = Image.new(image.mode, size)
    resized.paste(top.result(), (0, 0))
    resized.paste(bottom, (0, split))
    return resized


def _encode(image: Image.Image, name: str, icc_profile: bytes | None) -> Rendition:
    out = BytesIO()
    # Baseline: progressive would cost six times the time for the same pixels. No exif=, no xmp=,
    # and comment="" because Pillow would copy the original's comment.
    image.save(out, "JPEG", quality=QUALITY[name], optimize=OPTIMIZE[name], icc_profile=icc_profile, comment="")
    return Rendition(name=name, content=out.getvalue(), width=image.width, height=image.height)


def _smaller(pixels: Image.Image, icc: bytes | None, orientation: int, stored_display: tuple[int, int]) -> list:
    """display and thumb from decoded pixels (in stored orientation): resize, then turn.

    On two threads, as libvips works: half the display resize, then the display's encoding
    while the thumb is made.
    """
    with ThreadPoolExecutor(max_workers=1) as helper:
        display = _turned(_resized(pixels, stored_display, helper), orientation)
        display_rendition = helper.submit(_encode, display, "display", icc)
        thumb = _resized(display, _fit(display.size, THUMB_SIZE))
        return [display_rendition.result(), _encode(thumb, "thumb", icc)]


def _stored(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """A size in upright orientation as stored (and back: swapping is its own inverse)."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _from_jpeg(data: bytes, orientation: int) -> list[Rendition] | None:
    stripped = jpeg_without_metadata(data, orientation)
    if stripped is None:
        return None
    content, stored_size = stripped
    upright_size = _stored(stored_size, orientation)
    stored_display = _stored(_fit(upright_size, DISPLAY_SIZE), orientation)
    try:
        with _open(content) as image:
            if image.format != "JPEG" or image.size != stored_size or exif_orientation(image) != orientation:
                return None
            image.draft(image.mode, stored_display)
            image.load()  # every scan of the rewritten file decodes
            pixels, icc = jpeg_ready(image)
    except PILLOW_ERRORS:
        return None
    full = Rendition(name="full", content=content, width=upright_size[0], height=upright_size[1])
    return [full, *_smaller(pixels, icc, orientation, stored_display)]


def _reencoded(data: bytes) -> list[Rendition]:
    with _open(data) as source:
        orientation = exif_orientation(source)
        source.load()
        pixels, icc = jpeg_ready(source)
    full = _turned(pixels, orientation)
    stored_display = _stored(_fit(full.size, DISPLAY_SIZE), orientation)
    return [_encode(full, "full", icc), *_smaller(pixels, icc, orientation, stored_display)]


def make_renditions(data: bytes) -> dict[str, Rendition]:
    """full, display and thumb for an image that passed `common.uploads.validate_image`."""
    with _open(data) as source:
        is_jpeg, orientation = source.format == "JPEG", exif_orientation(source)
    orientation = orientation if orientation in UPRIGHT else 1  # 1, or a value no viewer knows
    renditions = (_from_jpeg(data, orientation) if is_jpeg else None) or _reencoded(data)
    return {rendition.name: rendition for rendition in renditions}


# --- An upload made ready to store -----------------------------------------------------------


@dataclass(frozen=True)
class PreparedImage:
    """An uploaded image that passed `validate_image`, with its renditions made: what a service
    stores. Only `prepare_image` makes one, so holding one means the checks were passed."""

    name: str  # the uploaded file's name, for messages
    sha256: str  # of the uploaded bytes: the same file uploaded twice is recognised
    renditions: dict[str, Rendition]


def prepare_image(uploaded_file) -> PreparedImage:
    """Check an upload as every image is checked and make its renditions (upright, without
    EXIF/GPS or other metadata); raise ValidationError with a message naming the file."""
    name = PurePath(getattr(uploaded_file, "name", "") or "").name
    try:
        image = validate_image(uploaded_file)
        renditions = make_renditions(image.content)
    except ValidationError as error:
        raise ValidationError(
            [_("“%(name)s”: %(problem)s") % {"name": name, "problem": message} for message in error.messages],
            code="invalid_image",
        ) from None
    except PILLOW_ERRORS:
        raise ValidationError(
            _("“%(name)s”: this image is damaged and cannot be read. Save or export it again and retry.")
            % {"name": name},
            code="corrupt",
        ) from None
    return PreparedImage(name=name, sha256=hashlib.sha256(image.content).hexdigest(), renditions=renditions)
