"""Turning photos upright, for every app that stores images (QC photos, ticket attachments)."""

import struct
import warnings

from PIL import ExifTags, Image

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
