"""Demo photo requests, on the demo shopper's orders made for them (demo.builders.STORIES), once
their QC rounds exist: one open, one answered with new photos and a measurement, and one
whose paid second request went unanswered and was refunded. The discount stories need no QC
round and are taken along their steps with the other orders."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from demo.qc import PALETTE, _photo
from orders.models import Order
from qc import services
from qc.models import PhotoRequest


def _fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def _ask(order: Order, shopper: User, note: str, photos: int, token: str) -> PhotoRequest:
    _order, request, _created = services.photo_request_create(
        order=_fresh(order), by=shopper, note=note, photos=photos, token=token
    )
    return request


def _answer(request: PhotoRequest, inspector: User, *, photos: int, note: str, measure: bool) -> None:
    colour = PALETTE[request.order_id % len(PALETTE)]
    for i in range(photos):
        photo = services.photo_request_add_photo(
            photo_request=request,
            uploaded_file=SimpleUploadedFile(
                f"answer-{i}.jpg", _photo(request.order_id * 100 + 50 + i, colour, flaw="seam"), "image/jpeg"
            ),
            by=inspector,
            caption="Close-up of the left sleeve seam" if i == 0 else "Left sleeve, from the inside",
            renditions_in_background=False,
        )
        services.photo_make_renditions(photo_id=photo.pk)  # ready to look at, as the demo's rounds
    if measure:
        services.photo_request_add_measurement(
            photo_request=request,
            by=inspector,
            name="Chest width, laid flat",
            listed_value=Decimal("56.00"),
            measured_value=Decimal("52.50"),
        )
    services.photo_request_answer(photo_request=request, by=inspector, note=note)


def seed_photo_requests(stories: dict[str, Order], *, shopper: User, inspector: User) -> None:
    _ask(stories["photos_open"], shopper, "The stitching on the left sleeve, close up please.", 2, "demo-open")

    answered = _ask(stories["photos_answered"], shopper, "Chest width measured flat, and the left seam.", 2, "demo-a")
    _answer(answered, inspector, photos=2, note="The seam is open for about 4 cm.", measure=True)

    # The free request was answered; the paid second one was not, and its fee came back.
    first = _ask(stories["photos_refunded"], shopper, "A photo of the size label.", 1, "demo-r1")
    _answer(first, inspector, photos=1, note="Here is the label.", measure=False)
    late = _ask(stories["photos_refunded"], shopper, "The zip, the lining and the back collar.", 3, "demo-r2")
    overdue = timezone.now() - timedelta(hours=settings.EXTRA_PHOTO_HOURS, minutes=5)
    PhotoRequest.objects.filter(pk=late.pk).update(requested_at=overdue)
    services.photo_request_expire(photo_request_id=late.pk)
