"""Demo listing images (the shopper's screenshots, the purchaser's seller photos), drawn with
Pillow, and a ready evidence pack for the demo shopper's QC-failed order. Idempotent: an order
that has listing images keeps them, and the pack is asked for once."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import User
from common.renditions import prepare_image
from demo.qc import PALETTE
from evidence import services as evidence
from evidence.models import EvidencePack
from orders import services as orders
from orders.models import ListingImage, Order, OrderEvent

S = Order.Status
# Orders of the demo shopper that get listing images: from the shopper when ordering, and the
# seller's photos from the purchaser once bought.
SCREENSHOTS_FOR = [S.QC_FAILED, S.STORED, S.PAID, S.RETURN_REQUESTED]
SELLER_PHOTOS_FOR = [S.QC_FAILED, S.STORED, S.PURCHASED, S.RETURN_REQUESTED]


def _item(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], colour) -> None:
    """The item as the demo QC photos draw it: a body with two sleeves."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    draw.rounded_rectangle(
        [left + width * 0.2, top + height * 0.12, right - width * 0.2, bottom], radius=width * 0.06, fill=colour
    )
    for side in (-1, 1):
        shoulder = left + width * (0.5 + side * 0.3)
        draw.polygon(
            [
                (shoulder, top + height * 0.16),
                (shoulder + side * width * 0.16, top + height * 0.5),
                (shoulder + side * width * 0.06, top + height * 0.56),
                (shoulder - side * width * 0.1, top + height * 0.34),
            ],
            fill=colour,
        )


def _encoded(image: Image.Image, name: str) -> SimpleUploadedFile:
    out = BytesIO()
    fmt = "PNG" if name.endswith(".png") else "JPEG"
    image.save(out, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def screenshot(order: Order, colour) -> SimpleUploadedFile:
    """A phone screenshot of the listing: the product photo, its title and price, a size chart."""
    width, height = 390, 844
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 44], fill=(255, 80, 0))
    draw.text((16, 14), "taobao.com", fill=(255, 255, 255))
    draw.rectangle([0, 44, width, 434], fill=(244, 241, 236))
    _item(draw, (40, 80, width - 40, 410), colour)
    draw.text((16, 450), order.product_title[:48], fill=(30, 30, 30))
    draw.text((16, 478), f"¥{order.unit_price}", fill=(255, 80, 0))
    draw.text((16, 520), "Size chart (cm)", fill=(30, 30, 30))
    for row, (size, chest, length) in enumerate([("S", 52, 70), ("M", 54, 71), ("L", 56, 72), ("XL", 58, 74)]):
        y = 548 + row * 34
        draw.rectangle([16, y, width - 16, y + 30], outline=(210, 210, 210))
        draw.text((28, y + 9), f"{size}    chest {chest}    length {length}", fill=(60, 60, 60))
    return _encoded(image, f"listing-{order.number}.png")


def seller_photo(order: Order, colour, number: int) -> SimpleUploadedFile:
    """A clean studio photo from the seller's listing: the same item, no flaw, on white."""
    size = (1000, 1000)
    image = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    _item(draw, (120, 140, 880, 900) if number == 1 else (200, 120, 800, 880), colour)
    draw.text((40, 40), "Official photo", fill=(120, 120, 120))
    return _encoded(image, f"seller-{order.number}-{number}.jpg")


def _when(order: Order, transition: str | None, images: list[ListingImage]) -> None:
    """Put the images and their timeline line where the demo's history has them: the shopper's
    just after ordering, the purchaser's at the purchase."""
    events = OrderEvent.objects.filter(order=order)
    step = events.filter(transition=transition) if transition else events.order_by("created_at", "id")[:1]
    at = step.values_list("created_at", flat=True).first() + timedelta(minutes=2)
    ListingImage.objects.filter(pk__in=[image.pk for image in images]).update(created_at=at)
    OrderEvent.objects.filter(pk=events.order_by("-id").values("pk")[:1]).update(created_at=at)


def seed_listing(*, shopper: User, purchaser: User) -> bool:
    """Listing images on a few of the demo shopper's orders, from both sides."""
    created = False
    wanted = set(SCREENSHOTS_FOR) | set(SELLER_PHOTOS_FOR)
    for order in Order.objects.filter(shopper=shopper, status__in=wanted, listing_images__isnull=True):
        colour = PALETTE[order.pk % len(PALETTE)]
        if order.status in SCREENSHOTS_FOR:
            added = orders.listing_images_add(
                order=order,
                images=[prepare_image(screenshot(order, colour))],
                source=ListingImage.Source.SHOPPER,
                by=shopper,
            )
            _when(order, None, added)
        if order.status in SELLER_PHOTOS_FOR:
            added = orders.listing_images_add(
                order=order,
                images=[prepare_image(seller_photo(order, colour, n)) for n in (1, 2)],
                source=ListingImage.Source.PURCHASER,
                by=purchaser,
            )
            _when(order, "purchase", added)
        created = True
    return created


def seed_evidence_pack(*, shopper: User) -> bool:
    """A ready evidence pack of the demo shopper's QC-failed order, built here and now."""
    order = Order.objects.filter(shopper=shopper, status=S.QC_FAILED).first()
    if order is None or EvidencePack.objects.filter(order=order).exists():
        return False
    pack = evidence.evidence_pack_request(
        order=order, by=shopper, audience=EvidencePack.Audience.SHOPPER, build_in_background=False
    )
    evidence.evidence_pack_build(pack_id=pack.pk)
    return True
