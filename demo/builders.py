"""Demo users and orders, built through the real services so every timeline is plausible."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import INSPECTORS, SUPPORT
from demo.decisions import seed_photo_requests
from demo.listing import seed_evidence_pack, seed_listing
from demo.qc import seed_qc
from demo.tickets import seed_tickets
from ledger import services as ledger
from notifications.services import notifications_record_history
from orders import services
from orders.models import Order, OrderEvent
from refunds import services as refunds

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the documented demo login
S = Order.Status

# The steps that lead from a new order to each status, as (service, needs) pairs.
PATHS: dict[str, list[str]] = {
    S.PENDING_PAYMENT: [],
    S.PAID: ["pay"],
    S.PURCHASED: ["pay", "purchase"],
    S.SHIPPED_TO_WAREHOUSE: ["pay", "purchase", "ship_to_warehouse"],
    S.AWAITING_QC: ["pay", "purchase", "ship_to_warehouse", "receive"],
    S.QC_FAILED: ["pay", "purchase", "ship_to_warehouse", "receive", "fail_qc"],
    S.STORED: ["pay", "purchase", "ship_to_warehouse", "receive", "pass_qc"],
    S.RETURN_REQUESTED: ["pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_refund"],
    S.RETURNING: ["pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_refund", "ship_return"],
    S.SELLER_REFUNDING: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_refund", "ship_return",
        "seller_received",
    ],
    S.REFUNDED: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_refund", "ship_return",
        "seller_received", "confirm_refund",
    ],
    S.EXCHANGE_REQUESTED: ["pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_exchange"],
    S.EXCHANGE_RETURNING: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_exchange", "ship_return",
    ],
    S.AWAITING_REPLACEMENT: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_exchange", "ship_return",
        "replacement_shipped",
    ],
    S.RETURN_REFUSED: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_refund", "ship_return",
        "seller_refused",
    ],
    S.CANCELLED: ["pay", "cancel"],
    S.DISCOUNT_REQUESTED: ["pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_discount"],
    S.DISCOUNT_OFFERED: [
        "pay", "purchase", "ship_to_warehouse", "receive", "fail_qc", "request_discount", "counter_discount",
    ],
}  # fmt: skip

# More orders of the demo shopper, for the decision tools (demo.decisions adds the photo
# requests once the QC rounds exist): name -> steps.
STORIES: dict[str, list[str]] = {
    "photos_open": PATHS[S.QC_FAILED],
    "photos_answered": PATHS[S.QC_FAILED],
    "photos_refunded": PATHS[S.QC_FAILED],
    "discount_accepted": [*PATHS[S.DISCOUNT_REQUESTED], "accept_discount"],
}

PRODUCTS = [
    ("Oversized wool-blend coat, charcoal", "L", "389.00", "12.00", "Jiangnan Outerwear"),
    ("Retro running sneakers", "EU 43", "259.00", "10.00", "Putian Runner Co."),
    ("Linen shirt, relaxed fit", "M / sage", "129.00", "8.00", "Hangzhou Linen House"),
    ("Leather crossbody bag", "Black", "468.00", "15.00", "Guangzhou Leatherworks"),
    ("Mechanical keyboard, 75%", "Brown switches", "499.00", "18.00", "Shenzhen Keys"),
    ("Hooded sweatshirt, heavyweight", "XL / navy", "169.00", "9.00", "Ningbo Basics"),
    ("Wide-leg denim jeans", "W32 L32", "219.00", "10.00", "Foshan Denim Lab"),
    ("Ceramic pour-over set", "White", "98.00", "14.00", "Jingdezhen Studio"),
    ("Down puffer vest", "M / olive", "299.00", "12.00", "Harbin Warm"),
    ("Silk scarf, printed", "90 cm", "159.00", "6.00", "Suzhou Silk Road"),
    ("Canvas tote bag", "Natural", "59.00", "6.00", "Yiwu Bags"),
    ("Wireless earbuds", "White", "199.00", "8.00", "Dongguan Audio"),
    ("Cashmere beanie", "Grey", "139.00", "6.00", "Inner Mongolia Knits"),
    ("Trail hiking boots", "EU 42", "429.00", "16.00", "Quanzhou Outdoor"),
    ("Pleated midi skirt", "S / black", "189.00", "8.00", "Shanghai Atelier"),
    ("Stainless water bottle", "750 ml", "79.00", "7.00", "Yongkang Steel"),
]


def _user(email: str, *, name: str, staff: bool = False, superuser: bool = False, group: str | None = None) -> User:
    """A demo person. Staff (the warehouse and support in China) read the site in Chinese and
    in China time; shoppers start in English and their browser's zone."""
    user = User.objects.filter(email=email).first()
    if user is None:
        profile = {"display_name": name, "language": "zh-hans" if staff or superuser else "en"}
        if superuser:
            user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD, **profile)
        else:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, is_staff=staff, **profile)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _step(name: str, order: Order, *, shopper: User, staff: User, inspector: User) -> Order:
    """Take `order` one step further through the real service; return the fresh order."""
    exchange_price = (order.unit_price + Decimal("10.00")) if order.pk % 2 else None
    discount = (order.items_total * Decimal("0.15")).quantize(Decimal("1"))  # 15 % of the item price
    calls = {
        "pay": lambda: services.order_pay(order=order, by=shopper),
        "cancel": lambda: services.order_cancel(order=order, by=shopper, note="Changed my mind about the colour."),
        "purchase": lambda: services.order_purchase(order=order, by=staff),
        "ship_to_warehouse": lambda: services.order_ship_to_warehouse(
            order=order, by=staff, tracking=f"YT{order.pk:010d}"
        ),
        "receive": lambda: services.order_receive(order=order, by=inspector),
        "pass_qc": lambda: services.order_pass_qc(order=order, by=inspector),
        "fail_qc": lambda: services.order_fail_qc(order=order, by=inspector, note="Stitching open at the left seam."),
        "request_refund": lambda: refunds.order_request_refund(
            order=order, by=shopper, reason="The seam is open, please return it."
        )[0],
        "request_exchange": lambda: refunds.order_request_exchange(
            order=order, by=shopper, new_option="One size up", new_unit_price=exchange_price
        )[0],
        "ship_return": lambda: refunds.return_ship(order=order, by=staff, tracking=f"SF{order.pk:010d}")[0],
        "seller_received": lambda: refunds.return_seller_received(order=order, by=staff)[0],
        "seller_refused": lambda: refunds.return_seller_refused(
            order=order, by=staff, note="The seller says the item was sent undamaged."
        )[0],
        "confirm_refund": lambda: refunds.refund_confirm(order=order, by=staff)[0],
        "replacement_shipped": lambda: refunds.exchange_replacement_shipped(
            order=order, by=staff, tracking=f"ZT{order.pk:010d}"
        )[0],
        "request_discount": lambda: refunds.order_request_discount(
            order=order, by=shopper, amount=discount, reason="The stain is small; I would keep it for a discount."
        )[0],
        "counter_discount": lambda: refunds.discount_counter(
            order=order, by=staff, amount=(discount / 2).quantize(Decimal("1"))
        )[0],
        "accept_discount": lambda: refunds.discount_accept(order=order, by=staff)[0],
    }
    return calls[name]()


def _backdate(order: Order, start) -> None:
    """Spread the order's timeline over the days before now, oldest first."""
    events = list(order.events.order_by("id"))
    gap = timedelta(hours=19)
    for i, event in enumerate(events):
        OrderEvent.objects.filter(pk=event.pk).update(created_at=start + gap * i)
    last = start + gap * max(len(events) - 1, 0)
    Order.objects.filter(pk=order.pk).update(created_at=start, status_changed_at=last)
    if order.decision_deadline:
        # Keep the decision window open in the demo: the QC round "just" finished.
        Order.objects.filter(pk=order.pk).update(decision_deadline=timezone.now() + timedelta(hours=100))


def _orders_for(shopper: User, paths: list[str], *, staff: User, inspector: User, offset: int) -> dict[str, Order]:
    """One order per name of `paths` (a status of PATHS or a story of STORIES), taken along its
    steps; returns them by name."""
    steps = {**PATHS, **STORIES}
    made = {}
    now = timezone.now()
    ledger.wallet_topup(
        user=shopper, amount=Decimal("8000.00"), by=staff, reason="Alipay transfer 2026-11", token=f"demo-{shopper.pk}"
    )
    for i, name in enumerate(paths):
        title, option, price, shipping, seller = PRODUCTS[(i + offset) % len(PRODUCTS)]
        order = services.order_place(
            shopper=shopper,
            product_title=title,
            product_url=f"https://item.taobao.com/item.htm?id={6200000000 + i + offset * 100}",
            option_text=option,
            unit_price=Decimal(price),
            quantity=1 + (i % 3 == 2),
            domestic_shipping=Decimal(shipping),
            seller_name=seller,
        )
        for step in steps[name]:
            order = _step(step, order, shopper=shopper, staff=staff, inspector=inspector)
        _backdate(order, now - timedelta(days=len(steps[name]) + 1, hours=i))
        made[name] = order
    return made


@transaction.atomic
def seed_demo() -> bool:
    """Create what is missing; return whether anything was created.

    The demo's history happened "before": its notifications count as emailed already, so
    nothing is queued for them.
    """
    with notifications_record_history():
        return _seed()


def _seed() -> bool:
    shopper = _user("shopper@example.com", name="Alex Morgan")
    shopper2 = _user("shopper2@example.com", name="Sam Rivera")
    inspector = _user("inspector@example.com", name="王芳", staff=True, group=INSPECTORS)
    support = _user("support@example.com", name="李伟", staff=True, group=SUPPORT)
    _user("admin@example.com", name="陈静", superuser=True)
    created = False
    stories: dict[str, Order] = {}
    if not Order.objects.filter(shopper=shopper).exists():
        stories = _orders_for(shopper, [*PATHS, *STORIES], staff=support, inspector=inspector, offset=0)
        created = True
    if not Order.objects.filter(shopper=shopper2).exists():
        statuses = [S.PAID, S.QC_FAILED, S.STORED, S.RETURNING]
        _orders_for(shopper2, statuses, staff=support, inspector=inspector, offset=7)
        created = True
    created |= seed_qc(inspector=inspector)
    if stories:
        seed_photo_requests(stories, shopper=shopper, inspector=inspector)
    created |= seed_tickets(shopper=shopper, shopper2=shopper2, support=support)
    created |= seed_listing(shopper=shopper, purchaser=support)
    created |= seed_evidence_pack(shopper=shopper)
    return created
