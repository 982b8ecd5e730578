"""Demo QC rounds: photos drawn with Pillow (nothing downloaded), defects boxed on them, and
measurements, for every demo order that went through QC. Idempotent: an order that has a round
keeps it."""

from datetime import datetime
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import User
from orders.models import Order, OrderEvent
from qc import services
from qc.models import Defect, Inspection, Measurement

PHOTO_SIZE = (1200, 900)
PALETTE = [(52, 73, 94), (142, 68, 173), (39, 174, 96), (192, 57, 43), (41, 128, 185), (211, 84, 0)]

# (caption, what is drawn) for each photo of a round; the defect box is where the flaw is drawn.
SHOTS = ["Front, laid flat", "Detail of the flaw", "Size label and tag", "Measured across the chest"]
STAIN_BOX = (0.56, 0.30, 0.16, 0.16)
SEAM_BOX = (0.18, 0.52, 0.22, 0.18)


def _photo(number: int, colour: tuple[int, int, int], *, flaw: str | None) -> bytes:
    """A plain studio-style shot: backdrop, the item as a shape, a scale ruler, maybe a flaw."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, (236, 233, 226))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 8):  # a soft backdrop gradient
        shade = 236 - y * 30 // height
        draw.line([(0, y), (width, y + 8)], fill=(shade, shade - 3, shade - 10), width=8)
    body = [width * 0.2, height * 0.18, width * 0.8, height * 0.88]
    draw.rounded_rectangle(body, radius=60, fill=colour)
    draw.polygon(
        [
            (width * 0.2, height * 0.22),
            (width * 0.06, height * 0.5),
            (width * 0.16, height * 0.56),
            (width * 0.3, height * 0.36),
        ],
        fill=colour,
    )
    draw.polygon(
        [
            (width * 0.8, height * 0.22),
            (width * 0.94, height * 0.5),
            (width * 0.84, height * 0.56),
            (width * 0.7, height * 0.36),
        ],
        fill=colour,
    )
    draw.ellipse([width * 0.42, height * 0.12, width * 0.58, height * 0.26], fill=(236, 233, 226))
    for x in range(int(width * 0.1), int(width * 0.9), 40):  # a ruler along the bottom
        draw.line([(x, height - 60), (x, height - (40 if (x // 40) % 5 else 20))], fill=(40, 40, 40), width=3)
    draw.text((40, 30), f"QC #{number}", fill=(30, 30, 30))
    if flaw == "stain":
        x, y, w, h = STAIN_BOX
        draw.ellipse(
            [width * (x + 0.02), height * (y + 0.03), width * (x + w - 0.03), height * (y + h - 0.02)],
            fill=(96, 78, 52),
        )
    elif flaw == "seam":
        x, y, w, h = SEAM_BOX
        draw.line(
            [(width * (x + 0.02), height * (y + 0.1)), (width * (x + w - 0.02), height * (y + 0.08))],
            fill=(250, 250, 250),
            width=10,
        )
    out = BytesIO()
    image.save(out, "JPEG", quality=86)
    return out.getvalue()


def _round(order: Order, *, failed: bool, inspector: User, completed_at: datetime) -> None:
    inspection = Inspection.objects.create(order=order, round_number=1, inspector=inspector)
    colour = PALETTE[order.pk % len(PALETTE)]
    photos = []
    for i, caption in enumerate(SHOTS[: 4 if failed else 3]):
        flaw = ("stain" if i == 0 else "seam" if i == 1 else None) if failed else None
        data = _photo(order.pk * 10 + i, colour, flaw=flaw)
        photo = services.photo_add(
            inspection=inspection,
            uploaded_file=SimpleUploadedFile(f"demo-{i}.jpg", data, content_type="image/jpeg"),
            by=inspector,
            caption=caption,
            renditions_in_background=False,
        )
        # The same pipeline the Celery task runs, made at once so the demo is ready to look at.
        services.photo_make_renditions(photo_id=photo.pk)
        photos.append(photo)
    chest = Decimal("56.00")
    if failed:
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.STAIN,
            severity=Defect.Severity.MAJOR,
            description="Brown stain on the front, about 3 cm across; it does not come off with a damp cloth.",
            photo=photos[0],
            box_x=STAIN_BOX[0],
            box_y=STAIN_BOX[1],
            box_w=STAIN_BOX[2],
            box_h=STAIN_BOX[3],
            position=0,
        )
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.DAMAGE,
            severity=Defect.Severity.MINOR,
            description="Stitching open at the left seam, 4 cm.",
            photo=photos[1],
            box_x=SEAM_BOX[0],
            box_y=SEAM_BOX[1],
            box_w=SEAM_BOX[2],
            box_h=SEAM_BOX[3],
            position=1,
        )
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.SIZING,
            severity=Defect.Severity.MAJOR,
            description="Chest is 3.5 cm narrower than the size chart says.",
            photo=photos[3],
            position=2,
        )
        measured = chest - Decimal("3.50")
    else:
        measured = chest - Decimal("0.50")
    Measurement.objects.create(
        inspection=inspection, name="Chest width", listed_value=chest, measured_value=measured, position=0
    )
    Measurement.objects.create(
        inspection=inspection,
        name="Length",
        listed_value=Decimal("72.00"),
        measured_value=Decimal("71.50"),
        position=1,
    )
    # The orders already moved through the order services when the demo built their history;
    # here the round only records its verdict, at the time the timeline says QC happened.
    Inspection.objects.filter(pk=inspection.pk).update(
        result=Inspection.Result.FAILED if failed else Inspection.Result.PASSED,
        completed_at=completed_at,
        public_note="The stain and the open seam are marked on the photos." if failed else "All good: no flaws found.",
    )


def seed_qc(*, inspector: User) -> bool:
    """A completed round for each demo order whose timeline has a QC verdict and no round yet."""
    verdicts = (
        OrderEvent.objects.filter(transition__in=["fail_qc", "pass_qc"], order__inspections__isnull=True)
        .select_related("order")
        .order_by("order_id", "id")
    )
    created = False
    seen: set[int] = set()
    for event in verdicts:
        if event.order_id in seen:
            continue
        seen.add(event.order_id)
        _round(event.order, failed=event.transition == "fail_qc", inspector=inspector, completed_at=event.created_at)
        created = True
    return created
