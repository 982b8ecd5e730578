"""The demo data (`make run`) shows tickets in every stage."""

import pytest

from demo.tickets import seed_tickets
from orders.models import Order
from tests.factories import OrderFactory, SupportFactory, UserFactory
from tickets.models import Ticket

S = Ticket.Status


@pytest.mark.django_db
def test_seed_tickets_links_the_qc_failed_order_and_is_idempotent():
    shopper, shopper2, support = UserFactory(), UserFactory(), SupportFactory()
    failed = OrderFactory(shopper=shopper, qc_failed=True)
    OrderFactory(shopper=shopper, status=Order.Status.REFUNDED)

    assert seed_tickets(shopper=shopper, shopper2=shopper2, support=support) is True
    assert seed_tickets(shopper=shopper, shopper2=shopper2, support=support) is False

    assert Ticket.objects.count() == 5
    qc_ticket = Ticket.objects.get(order=failed)
    assert (qc_ticket.status, qc_ticket.assignee) == (S.AWAITING_SHOPPER, support)
    assert [m.is_internal for m in qc_ticket.messages.all()] == [False, True, False]
    assert len({t.status for t in Ticket.objects.all()}) == 5
