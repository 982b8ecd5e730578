"""Ticket attachments: photos (validated and re-encoded by the QC upload rules) and PDFs.

Everything is checked before anything is written: a bad file is a form error, and neither a
row nor a file exists afterwards.
"""

import hashlib
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from common.images import PILLOW_ERRORS, jpeg_ready, upright
from common.uploads import ValidatedImage, read_limited, size_beyond, validate_image

PDF_MAGIC = re.compile(rb"\A%PDF-[12]\.\d")
PDF_EOF = b"%%EOF"
# Markup that makes a file render as a web page if a browser ever sniffs it (a polyglot).
MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|link|style)[\s>/]", re.IGNORECASE
)
# The binary data of PDF streams (compressed); the structure around it is what is scanned.
PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.S)
SNIFF_BYTES = 1024
# PDF features that run code or carry other files; a receipt or a screenshot needs none.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm|ImportData)(?![A-Za-z])")

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed validation: what will be stored, and how it is described."""

    kind: str  # Attachment.Kind value
    file_format: str  # "jpeg", "png", "webp" or "pdf"
    content_type: str
    content: bytes
    original_name: str
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def clean_name(name: str, file_format: str) -> str:
    """The shopper's file name without any path, control characters, or a misleading extension."""
    stem = PurePath((name or "").replace("\\", "/")).name
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '\\/:*?"<>|').strip(" .")
    stem = PurePath(stem).stem[:150] or "attachment"
    extension = "jpg" if file_format == "jpeg" else file_format
    return f"{stem}.{extension}"


def check_pdf(uploaded: UploadedFile) -> CheckedFile:
    name = PurePath(uploaded.name or "").name
    limit = settings.TICKET_PDF_MAX_BYTES
    data = read_limited(uploaded, limit)
    if data is None:
        shown = size_beyond(getattr(uploaded, "size", None), limit)
        values = {"name": name, "size": shown, "limit": filesizeformat(limit)}
        if shown is None:
            message = _("“%(name)s” is just over the %(limit)s limit for a PDF.") % values
        else:
            message = _("“%(name)s” is %(size)s; a PDF may be at most %(limit)s.") % values
        raise ValidationError(message, code="too_large")
    if not PDF_MAGIC.match(data) or PDF_EOF not in data[-2048:]:
        raise ValidationError(
            _("“%(name)s” is not a complete PDF file. Save it again as a PDF and attach that.") % {"name": name},
            code="corrupt",
        )
    structure = PDF_STREAM.sub(b"stream endstream", data)
    if MARKUP.search(data[:SNIFF_BYTES]) or MARKUP.search(structure) or PDF_ACTIVE.search(structure):
        raise ValidationError(
            _("“%(name)s” contains web page or script content, so it cannot be accepted. Attach a plain PDF.")
            % {"name": name},
            code="active_content",
        )
    return CheckedFile(
        kind="pdf",
        file_format="pdf",
        content_type="application/pdf",
        content=data,
        original_name=clean_name(name, "pdf"),
    )


def _without_metadata(image: ValidatedImage) -> tuple[bytes, int, int]:
    """Re-encode an accepted photo: pixels only, turned upright, no EXIF/GPS or other metadata."""
    pillow_format = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[image.format]
    with Image.open(BytesIO(image.content), formats=[pillow_format]) as opened:
        opened.load()
        upright_image = upright(opened)
        options: dict = {"icc_profile": opened.info.get("icc_profile")}
        if pillow_format == "JPEG":
            # CMYK through its profile; comment="" because Pillow would copy the original's.
            upright_image, icc_profile = jpeg_ready(upright_image)
            options |= {"quality": 90, "optimize": True, "icc_profile": icc_profile, "comment": ""}
        elif pillow_format == "WEBP":
            options |= {"quality": 90}
        else:
            options |= {"optimize": True}
        out = BytesIO()
        upright_image.save(out, pillow_format, **{k: v for k, v in options.items() if v is not None})
        return out.getvalue(), upright_image.width, upright_image.height


def check_image(uploaded: UploadedFile) -> CheckedFile:
    name = PurePath(uploaded.name or "").name
    try:
        image = validate_image(uploaded)
    except ValidationError as error:
        raise ValidationError(
            [_("“%(name)s”: %(problem)s") % {"name": name, "problem": message} for message in error.messages],
            code="invalid_image",
        ) from None
    try:
        content, width, height = _without_metadata(image)
    except PILLOW_ERRORS:
        raise ValidationError(
            _("“%(name)s”: this image is damaged and cannot be read. Save or export it again and retry.")
            % {"name": name},
            code="corrupt",
        ) from None
    return CheckedFile(
        kind="image",
        file_format=image.format,
        content_type=image.content_type,
        content=content,
        original_name=clean_name(name, image.format),
        width=width,
        height=height,
    )


def check_upload(uploaded: UploadedFile) -> CheckedFile:
    """Validate one uploaded file as a PDF or a photo; raise ValidationError with a clear message."""
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    if not head:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": PurePath(uploaded.name or "").name}, code="empty")
    if head.startswith(b"%PDF"):
        return check_pdf(uploaded)
    return check_image(uploaded)
