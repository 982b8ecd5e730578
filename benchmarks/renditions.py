"""Renditions of a 12-megapixel JPEG: the project against naive Pillow and libvips, interleaved.

    .venv/bin/python benchmarks/renditions.py [--rounds 5] [--reps 3] [--orientation 1] [--against REF]

Makes a photo-like 4000x3000 JPEG in memory (gradients, shapes, sensor-like noise, a blur so the
encoder works as on a real photo) carrying EXIF with GPS, XMP, a comment and an ICC profile,
then times three pipelines that each make full + display (1600 px) + thumb (400 px):

- naive Pillow: open, exif_transpose, convert to RGB, save full (Q88, optimize, progressive),
  then resize the full image to 1600 and 400 with LANCZOS and save each;
- libvips (pyvips): autorot + jpegsave Q88 strip for full, `thumbnail_buffer` at 1600 and 400
  + jpegsave strip for display and thumb (libvips' own thread pool, its default size);
- the project: `common.renditions.make_renditions`;
- with `--against REF`: also the pipeline as it was at git revision REF ("project@REF"): it lived in
  `qc/images.py` before it moved to `common/renditions.py`.

The pipelines run interleaved: every round runs each of them `--reps` times, in an order that
rotates from round to round, so a noisy neighbour on the machine hits all of them alike. Printed:
the median wall time per pipeline with its min-max and interquartile range, the speed-up of the
project over each anchor (median over rounds, with the min-max of the per-round ratios), the same
for CPU time (all threads; what the machine's load changes least), the peak memory of each
pipeline (the growth of peak RSS in a fresh subprocess, since tracemalloc does not see libjpeg's
or libvips' C allocations), the SSIM of each display rendition against a Lanczos reference made
from the full decode, whether any EXIF/GPS/XMP/comment survived, and which goals are met.
It never runs in the test suite.
"""

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (4000, 3000)  # 12 megapixels, a typical phone photo
CAMERA = "BenchCam QX-12"  # must not appear in any rendition
GOALS = {"naive": 4.0, "libvips": 2.0}  # the project at least this many times faster (issue 14)
SSIM_FLOOR = 0.95  # and its display no worse than this (nor than project@REF's, when given)
Pipeline = Callable[[bytes], dict[str, bytes]]


# --- The sample photo ------------------------------------------------------------------------


def sample_photo(orientation: int = 1) -> bytes:
    """A photo-like JPEG with the metadata a phone writes: EXIF with GPS, XMP, ICC, a comment."""
    width, height = SIZE
    horizontal = Image.linear_gradient("L").rotate(90).resize(SIZE)
    vertical = Image.linear_gradient("L").resize(SIZE)
    image = Image.merge("RGB", (horizontal, vertical, ImageOps.invert(horizontal)))
    draw = ImageDraw.Draw(image)
    for i in range(60):
        x, y = (i * 997) % width, (i * 613) % height
        colour = ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)
        if i % 3:
            draw.ellipse([x, y, x + 200 + i * 7, y + 150 + i * 5], fill=colour, outline=(20, 20, 20), width=9)
        else:
            draw.rectangle([x, y, x + 400, y + 90], fill=colour)
    # Texture like fabric seen up close: fine stripes and checks of several periods.
    for i in range(0, width, 23):
        draw.line([(i, 0), (i + height // 3, height)], fill=(180, 170, 160), width=2)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    # Surface detail at a few scales (cloth weave, paper, skin), then sensor noise as at ISO 400.
    texture = Image.merge("RGB", [Image.effect_noise((width // 6, height // 6), 64).resize(SIZE)] * 3)
    image = Image.blend(image, texture, 0.15)
    image = Image.blend(image, Image.effect_noise(SIZE, 48).convert("RGB"), 0.12)

    exif = Image.Exif()
    exif[0x010F] = CAMERA.split()[0]  # Make
    exif[0x0110] = CAMERA  # Model
    exif[0x0132] = "2026:05:01 10:20:30"  # DateTime
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 11.0)}  # GPS
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description tiff:Model="{CAMERA}"/></x:xmpmeta>'.encode()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif, xmp=xmp, icc_profile=icc, comment=f"Shot on {CAMERA}")
    return out.getvalue()


# --- The pipelines ---------------------------------------------------------------------------


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    scale = min(1.0, box / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _save(image: Image.Image, **options) -> bytes:
    out = BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def naive(data: bytes) -> dict[str, bytes]:
    with Image.open(BytesIO(data)) as source:
        image = ImageOps.exif_transpose(source).convert("RGB")
    return {
        "full": _save(image, quality=88, optimize=True, progressive=True),
        "display": _save(
            image.resize(_fit(image.size, 1600), Image.Resampling.LANCZOS), quality=84, optimize=True, progressive=True
        ),
        "thumb": _save(image.resize(_fit(image.size, 400), Image.Resampling.LANCZOS), quality=80, optimize=True),
    }


def libvips(data: bytes) -> dict[str, bytes]:
    import pyvips

    full = pyvips.Image.new_from_buffer(data, "").autorot()
    return {
        "full": full.jpegsave_buffer(Q=88, keep="none"),
        "display": pyvips.Image.thumbnail_buffer(data, 1600).jpegsave_buffer(Q=84, keep="none"),
        "thumb": pyvips.Image.thumbnail_buffer(data, 400).jpegsave_buffer(Q=80, keep="none"),
    }


def _contents(make_renditions: Callable) -> Pipeline:
    def pipeline(data: bytes) -> dict[str, bytes]:
        return {name: rendition.content for name, rendition in make_renditions(data).items()}

    return pipeline


def project_at(ref: str) -> Pipeline:
    """The pipeline as committed at `ref` (common/renditions.py, or qc/images.py before it moved),
    imported beside today's package."""
    places = (("common/renditions.py", "common"), ("qc/images.py", "qc"))
    shown = {
        path: subprocess.run(["git", "show", f"{ref}:{path}"], cwd=ROOT, capture_output=True, text=True)
        for path, _ in places
    }
    found = next(((path, package) for path, package in places if shown[path].returncode == 0), None)
    if found is None:
        raise SystemExit(f"No rendition pipeline at {ref}")
    path, package = found
    module = types.ModuleType(f"{package}.renditions_at_ref")
    module.__package__ = package
    exec(compile(shown[path].stdout, f"{path}@{ref}", "exec"), module.__dict__)  # noqa: S102 - our own file at a ref
    return _contents(module.make_renditions)


def pipelines(against: str | None) -> dict[str, Pipeline]:
    project = _contents(importlib.import_module("common.renditions").make_renditions)
    chosen = {"naive": naive, "libvips": libvips, "project": project}
    if against:
        chosen[f"project@{against}"] = project_at(against)
    return chosen


# --- Measurements ----------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_child(name: str, path: str, against: str | None) -> None:
    """In a fresh process: run one pipeline once, print how far it raised the peak RSS (KiB)."""
    pipeline = pipelines(against)[name]
    data = Path(path).read_bytes()
    if name == "libvips":
        import pyvips  # load the library before the baseline, as the other pipelines have Pillow loaded

        pyvips.Image.black(1, 1)
    before = _status_kb("VmRSS")
    try:  # reset the high-water mark to the current RSS (Linux >= 4.0)
        Path("/proc/self/clear_refs").write_text("5")
        baseline = before
    except OSError:
        baseline = _status_kb("VmHWM")
    pipeline(data)
    print(json.dumps({"peak_kb": _status_kb("VmHWM") - baseline}))


def peak_memory_mb(name: str, path: str, against: str | None) -> float:
    command = [sys.executable, __file__, "--peak-child", name, "--input", path]
    if against:
        command += ["--against", against]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])["peak_kb"] / 1024


def _gaussian_blur(array: np.ndarray, sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    height, width = array.shape
    rows = sum(k * array[:, radius + o : width - radius + o] for o, k in zip(offsets, kernel, strict=True))
    return sum(k * rows[radius + o : height - radius + o, :] for o, k in zip(offsets, kernel, strict=True))


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM of the luma of two images (Wang et al. 2004: 11x11 Gaussian, sigma 1.5)."""
    x = np.asarray(a.convert("L"), dtype=np.float64)
    y = np.asarray(b.convert("L"), dtype=np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = _gaussian_blur(x), _gaussian_blur(y)
    var_x = _gaussian_blur(x * x) - mu_x**2
    var_y = _gaussian_blur(y * y) - mu_y**2
    cov = _gaussian_blur(x * y) - mu_x * mu_y
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(index.mean())


def leaks(content: bytes) -> list[str]:
    """What of the original's metadata a rendition still carries (an empty list: nothing)."""
    found = []
    if CAMERA.split()[0].encode() in content:
        found.append("camera make/model")
    if b"http://ns.adobe.com/xap/1.0/" in content:
        found.append("XMP")
    with Image.open(BytesIO(content)) as image:
        exif = image.getexif()
        if exif.get_ifd(0x8825):
            found.append("GPS")
        if set(exif) - {0x0112}:
            found.append("EXIF tags other than Orientation")
        if "comment" in image.info:
            found.append("comment")
    return found


def _iqr(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    quartiles = statistics.quantiles(values, n=4)
    return quartiles[0], quartiles[2]


def _report(title: str, times: dict[str, list[list[float]]], *, judge: bool) -> list[bool]:
    """Print the times of each pipeline and the project's speed-up over each other one."""
    print(f"\n{title}:")
    print(f"  {'pipeline':<22}{'median':>9}{'min':>9}{'max':>9}{'IQR':>18}")
    for name, rounds in times.items():
        flat = [t * 1000 for samples in rounds for t in samples]
        low, high = _iqr(flat)
        print(
            f"  {name:<22}{statistics.median(flat):9.1f}{min(flat):9.1f}{max(flat):9.1f}{f'{low:.1f}-{high:.1f}':>18}"
        )
    print("  Speed-up of the project (anchor / project, per-round medians; the range over rounds):")
    verdicts = []
    for anchor in [name for name in times if name != "project"]:
        ratios = [
            statistics.median(a) / statistics.median(p) for a, p in zip(times[anchor], times["project"], strict=True)
        ]
        median_ratio = statistics.median(ratios)
        line = f"    vs {anchor:<19}{median_ratio:6.2f}x  (rounds: {min(ratios):.2f}x-{max(ratios):.2f}x)"
        if judge and anchor in GOALS:
            met = median_ratio >= GOALS[anchor]
            line += f"  goal >= {GOALS[anchor]:.0f}x: {'met' if met else 'NOT met'}"
            line += "" if not met or min(ratios) >= GOALS[anchor] else " (not in every round)"
            verdicts.append(met)
        print(line)
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3, help="runs of each pipeline per round")
    parser.add_argument("--orientation", type=int, default=1, choices=range(1, 9))
    parser.add_argument("--against", help="also time the pipeline as it was at this git revision")
    parser.add_argument("--peak-child", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        peak_child(args.peak_child, args.input, args.against)
        return

    import pyvips

    data = sample_photo(args.orientation)
    chosen = pipelines(args.against)
    print(f"Sample: {SIZE[0]}x{SIZE[1]} JPEG (orientation {args.orientation}), {len(data):,} bytes,", end="")
    print(" with EXIF+GPS, XMP,")
    libvips_version = ".".join(str(pyvips.version(i)) for i in range(3))
    print(f"        ICC and a comment. Pillow {Image.__version__}, libvips {libvips_version}", end="")
    print(f" ({pyvips.concurrency_get()} threads), {os.cpu_count()} CPUs.")

    results = {name: pipeline(data) for name, pipeline in chosen.items()}  # warm-up, and the outputs
    load_before = os.getloadavg()[0]
    wall: dict[str, list[list[float]]] = {name: [] for name in chosen}
    cpu: dict[str, list[list[float]]] = {name: [] for name in chosen}
    names = list(chosen)
    for round_number in range(args.rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            wall[name].append([])
            cpu[name].append([])
            for _ in range(args.reps):
                start, start_cpu = time.perf_counter(), time.process_time()
                chosen[name](data)
                wall[name][-1].append(time.perf_counter() - start)
                cpu[name][-1].append(time.process_time() - start_cpu)
    print(f"Load average before / after the timed runs: {load_before:.2f} / {os.getloadavg()[0]:.2f}")

    verdicts = _report(
        f"Wall time per run (ms), {args.rounds} rounds x {args.reps} runs, interleaved", wall, judge=True
    )
    _report("CPU time per run (ms, all threads: the work done, less sensitive to a busy machine)", cpu, judge=False)

    with tempfile.NamedTemporaryFile(suffix=".jpg") as sample:
        sample.write(data)
        sample.flush()
        print("\nPeak memory (growth of peak RSS while running once, fresh process each):")
        peaks = {name: peak_memory_mb(name, sample.name, args.against) for name in names}
        for name, peak in peaks.items():
            print(f"  {name:<22}{peak:8.1f} MiB")
    before = f"project@{args.against}"
    if args.against:
        met = peaks["project"] <= peaks[before]
        verdicts.append(met)
        print(f"  goal: the project's peak no higher than {before}'s: {'met' if met else 'NOT met'}")

    with Image.open(BytesIO(data)) as source:
        upright = ImageOps.exif_transpose(source).convert("RGB")
    print("\nDisplay rendition against a Lanczos resize of the full decode (SSIM of luma), and sizes:")
    scores = {}
    for name, renditions in results.items():
        with Image.open(BytesIO(renditions["display"])) as display:
            display = ImageOps.exif_transpose(display)
            reference = upright.resize(display.size, Image.Resampling.LANCZOS)
            score = scores[name] = round(ssim(display, reference), 4)
        sizes = "  ".join(f"{r} {len(renditions[r]) / 1024:,.0f} KiB" for r in ("full", "display", "thumb"))
        print(f"  {name:<22}SSIM {score:.4f}   {sizes}")
    floor = max(SSIM_FLOOR, scores.get(before, 0))
    verdicts.append(scores["project"] >= floor)
    print(f"  goal: the project's SSIM >= {floor:.4f}: {'met' if verdicts[-1] else 'NOT met'}")

    print("\nMetadata left in the renditions (EXIF other than Orientation, GPS, XMP, comment, camera name):")
    for name, renditions in results.items():
        found = {r: leaks(content) for r, content in renditions.items()}
        print(f"  {name:<22}" + ("none" if not any(found.values()) else repr({r: f for r, f in found.items() if f})))
        if name == "project":
            verdicts.append(not any(found.values()))
    print(f"\nAll goals met: {'yes' if all(verdicts) else 'no'}")


if __name__ == "__main__":
    main()
