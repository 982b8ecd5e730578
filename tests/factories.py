from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.roles import INSPECTORS, SUPPORT
from orders.models import Order, OrderEvent

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
