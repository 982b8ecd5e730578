"""Validation of uploaded photos, before anything is stored.

`validate_image` is the one gate every uploaded image passes (QC photos, ticket attachments).
It reads the whole file, opens it with an explicit format allowlist, checks size and pixel count
before decoding, decodes it fully, and refuses files that carry anything after the end of the
image (a PNG with a web page appended is a classic polyglot) or whose extension lies about the
content. It stores nothing; callers store only what it accepted.
"""

import struct
import warnings
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Pillow format name -> (our format, content type, extensions it may be uploaded with).
FORMATS: dict[str, tuple[str, str, frozenset[str]]] = {
    "JPEG": ("jpeg", "image/jpeg", frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})),
    "PNG": ("png", "image/png", frozenset({".png"})),
    "WEBP": ("webp", "image/webp", frozenset({".webp"})),
}
ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"


@dataclass(frozen=True)
class ValidatedImage:
    """An image that passed validation. `content` is the uploaded bytes, unchanged."""

    format: str  # "jpeg", "png" or "webp"
    width: int
    height: int
    content_type: str = ""
    content: bytes = field(default=b"", repr=False)

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else self.format


def max_bytes() -> int:
    return settings.QC_PHOTO_MAX_BYTES


def max_pixels() -> int:
    return settings.QC_PHOTO_MAX_PIXELS


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_image() -> ValidationError:
    return _error(_("This file is not a JPEG, PNG or WebP image."), "not_image")


def _corrupt() -> ValidationError:
    return _error(
        _("This image is damaged or incomplete and cannot be read. Save or export it again and retry."), "corrupt"
    )


def _too_many_pixels(pixels: int | None) -> ValidationError:
    limit = max_pixels() // 1_000_000
    if pixels is None:
        return _error(
            _("This image has too many pixels; the limit is %(limit)s megapixels.") % {"limit": limit},
            "too_many_pixels",
        )
    return _error(
        _("This image has %(pixels)s megapixels; the limit is %(limit)s megapixels.")
        % {"pixels": round(pixels / 1_000_000, 1), "limit": limit},
        "too_many_pixels",
    )


def read_limited(uploaded_file, limit: int) -> bytes | None:
    """The file's bytes, or None when it is larger than `limit` (never more is read)."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        return None
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return data if len(data) <= limit else None


def _read_all(uploaded_file) -> bytes:
    data = read_limited(uploaded_file, max_bytes())
    if data is None:
        raise _too_large(getattr(uploaded_file, "size", None))
    return data


def size_beyond(size: int | None, limit: int) -> str | None:
    """A refused file's size as people read it (filesizeformat), or None when that would read
    the same as the limit (a file one byte over 25 MB reads "25.0 MB" too) or is unknown."""
    if size is None or filesizeformat(size) == filesizeformat(limit):
        return None
    return filesizeformat(size)


def _too_large(size: int | None) -> ValidationError:
    limit = filesizeformat(max_bytes())
    shown = size_beyond(size, max_bytes())
    if shown is None:
        message = _("This file is just over the %(limit)s limit for a photo.") % {"limit": limit}
    else:
        message = _("This file is %(size)s; a photo may be at most %(limit)s.") % {"size": shown, "limit": limit}
    return _error(message, "too_large")


# --- Where an image ends: anything after it is refused -------------------------------------


def _png_end(data: bytes) -> int | None:
    """Offset just past the IEND chunk, walking the chunk list; None if there is none."""
    offset = 8
    while offset + 12 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        offset += 12 + length
        if kind == b"IEND":
            return offset if offset <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the EOI marker of the first image, walking its segments.

    Segment lengths are followed (so an EXIF thumbnail's own EOI is skipped) and the
    entropy-coded data after each SOS is scanned for the next real marker.
    """
    n = len(data)
    i = 2  # past SOI
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if i + 2 > n:
            return None
        i += int.from_bytes(data[i : i + 2], "big")
        if marker == 0xDA:  # SOS: skip the entropy-coded data up to the next marker
            while True:
                i = data.find(b"\xff", i)
                if i == -1 or i + 1 >= n:
                    return None
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    i += 1
                    continue
                break
    return None


def _webp_end(data: bytes) -> int | None:
    if len(data) < 12:
        return None
    size = int.from_bytes(data[4:8], "little")
    return 8 + size + (size & 1)


def _has_trailing_data(pillow_format: str, data: bytes) -> bool:
    end = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}[pillow_format](data)
    if end is None or end > len(data):
        raise _corrupt()
    # Some encoders pad the file with zero bytes; that is harmless. Anything else is not.
    return data[end:].strip(b"\x00") != b""


# --- The gate ------------------------------------------------------------------------------


def validate_image(uploaded_file) -> ValidatedImage:
    """Check an uploaded photo fully; raise ValidationError with a clear message if it is refused.

    Accepts any file-like object with `read` (Django's UploadedFile, File, BytesIO with a
    `name`). The file's position is left at the start. Nothing is stored.
    """
    name = PurePath(getattr(uploaded_file, "name", "") or "").name
    data = _read_all(uploaded_file)
    if not data:
        raise _error(_("This file is empty."), "empty")

    with warnings.catch_warnings():
        # Pillow warns about images big enough to be decompression bombs; refuse those.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=list(FORMATS)) as image:
                pillow_format = image.format or ""
                width, height = image.size
                if width * height > max_pixels():
                    raise _too_many_pixels(width * height)
                if getattr(image, "is_animated", False):
                    raise _error(_("Animated images are not accepted; upload a still photo."), "animated")
                image.verify()  # structure and checksums (PNG CRCs)
            with Image.open(BytesIO(data), formats=list(FORMATS)) as image:
                image.load()  # decode every pixel: a truncated or corrupt file fails here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(None) from None
        except UnidentifiedImageError:
            raise _not_image() from None
        except ValidationError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error):
            raise _corrupt() from None

    if pillow_format not in FORMATS:
        raise _not_image()
    our_format, content_type, extensions = FORMATS[pillow_format]
    if _has_trailing_data(pillow_format, data):
        raise _error(
            _("This file has extra data after the end of the image. Save it again as a plain photo and retry."),
            "trailing_data",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in extensions:
        raise _error(
            _("This file is a %(format)s image but its name ends in “%(extension)s”. Rename it to .%(expected)s.")
            % {
                "format": pillow_format if pillow_format != "WEBP" else "WebP",
                "extension": extension or _("(no extension)"),
                "expected": "jpg" if our_format == "jpeg" else our_format,
            },
            "wrong_extension",
        )
    return ValidatedImage(format=our_format, width=width, height=height, content_type=content_type, content=data)
