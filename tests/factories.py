from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.roles import INSPECTORS, SUPPORT
from orders.models import Order, OrderEvent
from refunds.models import DiscountRequest, ReturnRequest
from refunds.quotes import exchange_quote, refund_quote

PASSWORD = "correct-horse-battery-2026"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password(PASSWORD)


class InspectorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=INSPECTORS))


class SupportFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=SUPPORT))


class OrderFactory(DjangoModelFactory[Order]):
    class Meta:
        model = Order

    shopper = factory.SubFactory(UserFactory)
    product_title = factory.Sequence(lambda n: f"Linen shirt #{n}")
    product_url = factory.Sequence(lambda n: f"https://item.taobao.com/item.htm?id={1000 + n}")
    option_text = "M / sage"
    unit_price = Decimal("129.00")
    quantity = 1
    domestic_shipping = Decimal("8.00")
    seller_name = "Hangzhou Linen House"
    status = Order.Status.PENDING_PAYMENT

    class Params:
        qc_failed = factory.Trait(
            status=Order.Status.QC_FAILED,
            decision_deadline=factory.LazyFunction(lambda: timezone.now() + timedelta(hours=120)),
        )
        stored = factory.Trait(
            status=Order.Status.STORED,
            decision_deadline=factory.LazyFunction(lambda: timezone.now() + timedelta(hours=120)),
        )


class OrderEventFactory(DjangoModelFactory[OrderEvent]):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    from_status = Order.Status.PENDING_PAYMENT
    to_status = Order.Status.PAID
    note = "Paid from balance."


class ReturnRequestFactory(DjangoModelFactory[ReturnRequest]):
    class Meta:
        model = ReturnRequest

    order = factory.SubFactory(OrderFactory, status=Order.Status.RETURN_REQUESTED)
    kind = ReturnRequest.Kind.REFUND
    fault = ReturnRequest.Fault.SELLER
    requested_by = factory.LazyAttribute(lambda o: o.order.shopper)
    quote = factory.LazyAttribute(
        lambda o: (
            refund_quote(order=o.order, refundable=o.order.total, fault=o.fault).as_json()
            if o.kind == ReturnRequest.Kind.REFUND
            else exchange_quote(order=o.order, new_unit_price=None, fault=o.fault).as_json()
        )
    )
    new_option = factory.LazyAttribute(lambda o: "L / sage" if o.kind == ReturnRequest.Kind.EXCHANGE else "")


class DiscountRequestFactory(DjangoModelFactory[DiscountRequest]):
    """A negotiation as `order_request_discount` leaves it: the order is asking, its decision
    clock paused. `countered=True`: the seller's counter-offer waits for the shopper."""

    class Meta:
        model = DiscountRequest

    order = factory.SubFactory(
        OrderFactory,
        status=Order.Status.DISCOUNT_REQUESTED,
        decision_deadline=factory.LazyFunction(lambda: timezone.now() + timedelta(hours=100)),
        decision_pauses=1,
        decision_paused_at=factory.LazyFunction(timezone.now),
    )
    asked_amount = Decimal("30.00")
    requested_by = factory.LazyAttribute(lambda o: o.order.shopper)

    class Params:
        countered = factory.Trait(
            status=DiscountRequest.Status.COUNTERED,
            counter_amount=Decimal("20.00"),
            seller_answered_at=factory.LazyFunction(timezone.now),
        )


def fund(user, amount) -> None:
    """Put money on a shopper's balance, as support records a top-up."""
    from ledger.services import wallet_topup

    wallet_topup(user=user, amount=Decimal(amount), by=None, reason="bank transfer", token=f"test-{uuid4()}")


def paid_order(**kwargs) -> Order:
    """An order in any status whose payment is in the ledger (so refunds have something to return)."""
    from ledger.services import ledger_post, platform_account, wallet_for

    order = OrderFactory(**kwargs)
    fund(order.shopper, order.total)
    ledger_post(
        key=f"pay:{order.pk}",
        kind="payment",
        legs=[(wallet_for(user=order.shopper), -order.total), (platform_account("order_payments"), order.total)],
        description=f"Payment for order {order.number}",
        order_id=order.pk,
    )
    return order
