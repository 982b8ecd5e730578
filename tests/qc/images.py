"""Images made in memory for the QC tests: real encoders, no files from elsewhere."""

import base64
import functools
import struct
import sys
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageOps


def jpeg(size=(64, 48), color=(200, 40, 40), **save) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png(size=(64, 48), color=(40, 120, 200)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def webp(size=(64, 48), color=(40, 200, 120)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "WEBP", quality=80)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG that claims width x height pixels; tiny on disk, huge decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo_with_exif(size=(80, 40)) -> bytes:
    """Left half red, right half blue; EXIF says "rotate 90° clockwise" and carries GPS."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to view
    exif[0x010F] = "QC Test Camera"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 11.0)}
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


# --- Sources in every mode a decoder gives us, with the tones they should show ---------------

TONE_SIZE = (512, 128)
# A JPEG coded arithmetically (browsers may not decode those), 32x16: the left half (200, 40, 40),
# the right half (30, 60, 220). Pillow cannot write one; made with `cjpeg -arithmetic -quality 90`
# from libjpeg-turbo 2.1.5.
ARITHMETIC_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMU"
    "FRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"
    "FBQUFBQUFBT/yQARCAAQACADASIAAhEBAxEB/8wACgAQEAUBEBEF/9oADAMBAAIRAxEAPwD/ANH/AOUCAisPxxmy/HkQ/9k="
)


def grey_ramp(size=TONE_SIZE) -> Image.Image:
    """8-bit grey: black at the left to white at the right, every tone equally often."""
    return Image.linear_gradient("L").rotate(90).resize(size)


def colour_ramps(size=TONE_SIZE) -> Image.Image:
    """8-bit RGB with a different ramp in each channel (kept inside what print inks reach)."""
    across = grey_ramp(size)
    down = Image.linear_gradient("L").resize(size)
    return Image.merge(
        "RGB",
        (
            across.point(lambda v: 70 + v * 0.45),
            down.point(lambda v: 80 + v * 0.4),
            across.point(lambda v: 170 - v * 0.4),
        ),
    )


def sixteen_bit(grey: Image.Image) -> Image.Image:
    """The same tones on 16 bits ("I", 0-65535), as a 16-bit PNG holds them."""
    return grey.convert("I").point(lambda v: v * 257)


def raw16(grey: Image.Image, mode: str) -> Image.Image:
    """A 16-bit grey image in one of Pillow's raw layouts ("I;16", "I;16B", "I;16L", "I;16N")."""
    values = sixteen_bit(grey).get_flattened_data()
    order = "big" if mode == "I;16B" else ("little" if mode != "I;16N" else sys.byteorder)
    return Image.frombytes(mode, grey.size, b"".join(v.to_bytes(2, order) for v in values))


def png16_rgb(rgb: Image.Image) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow reads those but cannot write them)."""
    width, height = rgb.size
    pixels = rgb.tobytes()
    rows = [
        b"\x00" + b"".join(struct.pack(">H", value * 257) for value in pixels[y * width * 3 : (y + 1) * width * 3])
        for y in range(height)
    ]
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    idat = zlib.compress(b"".join(rows))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def half_transparent(size=TONE_SIZE) -> Image.Image:
    """An alpha channel: opaque at the top, fading to fully transparent at the bottom."""
    return ImageOps.invert(Image.linear_gradient("L").resize(size))


def on_white(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """What a page shows of `image` with `alpha` over a white background."""
    return Image.composite(image, Image.new(image.mode, image.size, (255,) * len(image.getbands())), alpha)


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def tones(image: Image.Image) -> list[tuple[float, ...]]:
    """Per channel: the mean and the 5th, 25th, 50th, 75th and 95th percentiles."""
    result = []
    for band in image.getbands():
        histogram = image.getchannel(band).histogram()
        total = sum(histogram)
        mean = sum(value * count for value, count in enumerate(histogram)) / total
        points, seen, value = [], 0, 0
        for share in (0.05, 0.25, 0.5, 0.75, 0.95):
            while seen + histogram[value] < share * total:
                seen += histogram[value]
                value += 1
            points.append(value)
        result.append((round(mean, 1), *points))
    return result


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG before its first scan: (marker, payload without length)."""
    assert data[:2] == b"\xff\xd8"
    segments, i = [], 2
    while True:
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segments.append((marker, data[i + 4 : i + 2 + length]))
        if marker == 0xDA:
            return segments
        i += 2 + length


# How far a rendition's mean and percentiles may be from the source's: JPEG at quality 80 and a
# Lanczos resize move a smooth ramp by a level or two, never by tens.
TOLERANCE = 4


def assert_same_tones(image: Image.Image, expected: Image.Image, tolerance: float = TOLERANCE) -> None:
    got, wanted = tones(image.convert(expected.mode)), tones(expected)
    for band, (got_band, wanted_band) in enumerate(zip(got, wanted, strict=True)):
        assert all(abs(g - w) <= tolerance for g, w in zip(got_band, wanted_band, strict=True)), (
            f"band {band}: mean and percentiles {got_band}, the source has {wanted_band}"
        )


@functools.cache
def cmyk_profile() -> bytes:
    """A real print (CMYK) ICC profile: the one libvips builds in."""
    import pyvips

    rgb = pyvips.Image.black(1, 1, bands=3).cast("uchar").copy(interpretation="srgb")
    return rgb.icc_export(output_profile="cmyk").get("icc-profile-data")


def one_bit() -> Image.Image:
    """Black and white, undithered: a third black, the rest white."""
    return grey_ramp().point(lambda v: 255 if v > 85 else 0, "1")


def with_index_transparent(image: Image.Image) -> Image.Image:
    palette = image.quantize(256)
    palette.info["transparency"] = palette.getpixel((0, 0))  # the colour of the top-left corner
    return palette


def cmyk_through(profile: bytes) -> Image.Image:
    return ImageCms.profileToProfile(
        colour_ramps(),
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(BytesIO(profile)),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="CMYK",
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


# Each case: an uploaded file, and the 8-bit image a browser would show for it.
TONE_CASES = {
    "16-bit grey PNG (I;16)": lambda: (saved(raw16(grey_ramp(), "I;16"), "PNG"), grey_ramp()),
    "16-bit big-endian grey PNG (I;16B)": lambda: (saved(raw16(grey_ramp(), "I;16B"), "PNG"), grey_ramp()),
    "16-bit RGB PNG": lambda: (png16_rgb(colour_ramps()), colour_ramps()),
    "grey PNG (L)": lambda: (saved(grey_ramp(), "PNG"), grey_ramp()),
    "1-bit PNG": lambda: (saved(one_bit(), "PNG"), one_bit().convert("L")),
    "grey PNG with alpha (LA)": lambda: (
        saved(Image.merge("LA", (grey_ramp(), half_transparent())), "PNG"),
        on_white(grey_ramp(), half_transparent()),
    ),
    "palette PNG (P)": lambda: (
        saved(colour_ramps().quantize(256), "PNG"),
        colour_ramps().quantize(256).convert("RGB"),
    ),
    "palette PNG with a transparent colour": lambda: (
        saved(with_index_transparent(colour_ramps()), "PNG"),
        on_white(
            colour_ramps().quantize(256).convert("RGB"),
            with_index_transparent(colour_ramps()).convert("RGBA").getchannel("A"),
        ),
    ),
    "grey PNG with a transparent grey": lambda: (
        saved(grey_ramp(), "PNG", transparency=0),
        grey_ramp().point(lambda v: 255 if v == 0 else v),
    ),
    "RGBA PNG": lambda: (
        saved(Image.merge("RGBA", (*colour_ramps().split(), half_transparent())), "PNG"),
        on_white(colour_ramps(), half_transparent()),
    ),
    "RGB PNG": lambda: (saved(colour_ramps(), "PNG"), colour_ramps()),
    "RGB JPEG": lambda: (saved(colour_ramps(), "JPEG", quality=95), colour_ramps()),
    "grey JPEG": lambda: (saved(grey_ramp(), "JPEG", quality=95), grey_ramp()),
    "CMYK JPEG (Adobe, inverted)": lambda: (saved(colour_ramps().convert("CMYK"), "JPEG", quality=95), colour_ramps()),
    "CMYK JPEG with its print profile": lambda: (
        saved(cmyk_through(cmyk_profile()), "JPEG", quality=95, icc_profile=cmyk_profile()),
        colour_ramps(),
    ),
    "RGB WebP": lambda: (saved(colour_ramps(), "WEBP", quality=95), colour_ramps()),
    "RGBA WebP": lambda: (
        saved(Image.merge("RGBA", (*colour_ramps().split(), half_transparent())), "WEBP", lossless=True),
        on_white(colour_ramps(), half_transparent()),
    ),
}


# --- A phone's JPEG, with everything phones and editors put in one -------------------------

PHONE = "QC Test Camera"
GPS = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 11.0)}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def upright_scene(size=(96, 64)) -> Image.Image:
    """What the camera saw: four quadrants of different colours, so every turn shows."""
    width, height = size
    scene = Image.new("RGB", size, (220, 30, 30))
    scene.paste((30, 30, 220), (width // 2, 0, width, height // 2))
    scene.paste((30, 200, 30), (0, height // 2, width // 2, height))
    scene.paste((240, 240, 240), (width // 2, height // 2, width, height))
    return scene


# How a camera stores the scene for each EXIF orientation (the EXIF 2.3 definitions: 6 is "the
# 0th row is the visual right-hand side", so the scene is stored turned 90° anticlockwise).
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def phone_photo(orientation: int = 1, **save) -> bytes:
    """The scene as a phone stores it: pixels as the sensor read them, EXIF saying how to turn
    them, GPS, XMP, a comment, a colour profile, IPTC, a second-image index and a JFIF thumbnail."""
    method = STORED_AS.get(orientation)
    stored = upright_scene().transpose(method) if method is not None else upright_scene()
    exif = Image.Exif()
    exif[0x010F] = PHONE
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description tiff:Model="{PHONE}"/></x:xmpmeta>'
    data = saved(stored, "JPEG", quality=90, exif=exif, xmp=xmp.encode(), icc_profile=SRGB, comment=PHONE, **save)
    assert data[2:6] == b"\xff\xe0\x00\x10"  # Pillow's JFIF segment, replaced by one with a thumbnail
    jfif_with_thumbnail = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x0b\x01" + (f"{PHONE} thumbnail " * 2).encode()[:33]
    extra = (
        _segment(0xE0, jfif_with_thumbnail)
        + _segment(0xED, b"Photoshop 3.0\x008BIM" + PHONE.encode())  # IPTC
        + _segment(0xE2, b"MPF\x00" + PHONE.encode())  # multi-picture index
        + _segment(0xEA, PHONE.encode())
    )
    return data[:2] + extra + data[20:]
