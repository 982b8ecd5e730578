"""Rendition pipeline benchmark: a 12-megapixel JPEG made in-process, median of 10 runs.

    .venv/bin/python benchmarks/renditions.py

Compares qc.images.make_renditions (one full decode for `full`, a JPEG draft-mode decode plus
resizes with reducing_gap for `display` and `thumb`) with a naive Pillow pipeline (a full decode
and a Lanczos resize from the original for each rendition), and prints the bytes of each
rendition against the original.
"""

import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qc.images import DISPLAY_SIZE, QUALITY, THUMB_SIZE, make_renditions

RUNS = 10
SIZE = (4000, 3000)  # 12 megapixels, a typical phone photo


def sample_photo() -> bytes:
    """A photo-like JPEG: gradients, shapes and fine noise, so encoders have real work to do."""
    width, height = SIZE
    base = Image.linear_gradient("L").resize(SIZE)
    image = Image.merge("RGB", (base, base.rotate(90).resize(SIZE), Image.effect_noise(SIZE, 40)))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        x, y = (i * 997) % width, (i * 613) % height
        draw.ellipse([x, y, x + 300, y + 200], outline=(255 - i * 5, i * 6, 120), width=12)
    image = image.filter(ImageFilter.GaussianBlur(1))
    out = BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def make_renditions_naive(data: bytes) -> dict[str, bytes]:
    """The straightforward way, for comparison: for each rendition decode the original fully,
    turn it upright and resize it from full size; encoded with the qc pipeline's settings."""
    renditions: dict[str, bytes] = {}
    for name, box in (("full", None), ("display", DISPLAY_SIZE), ("thumb", THUMB_SIZE)):
        with Image.open(BytesIO(data)) as source:
            image = ImageOps.exif_transpose(source).convert("RGB")
        if box is not None:
            scale = min(1.0, box / max(image.size))
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        out = BytesIO()
        image.save(out, "JPEG", quality=QUALITY[name], optimize=True, progressive=name != "thumb")
        renditions[name] = out.getvalue()
    return renditions


def median_seconds(pipeline, data: bytes) -> tuple[float, dict]:
    times, result = [], {}
    for _ in range(RUNS):
        start = time.perf_counter()
        result = pipeline(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    data = sample_photo()
    ours, renditions = median_seconds(make_renditions, data)
    naive, _ = median_seconds(make_renditions_naive, data)
    print(f"Original: {SIZE[0]}x{SIZE[1]} JPEG, {len(data):,} bytes")
    print(f"Median of {RUNS} runs:")
    print(f"  qc pipeline (draft + reducing_gap): {ours * 1000:8.1f} ms")
    print(f"  naive Pillow pipeline:              {naive * 1000:8.1f} ms  ({naive / ours:.2f}x slower)")
    print("Renditions (qc pipeline):")
    for name in ("thumb", "display", "full"):
        r = renditions[name]
        share = len(r.content) / len(data)
        print(f"  {name:<8} {r.width:>5}x{r.height:<5} {len(r.content):>12,} bytes  {share:7.1%} of original")


if __name__ == "__main__":
    main()
